package fsm_test

import (
	"strings"
	"testing"

	"github.com/wsd-dev/wsd/fsm"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		name  string
		check func(string) string
		in    string
		valid bool
	}{
		{"name/simple", fsm.ValidateName, "ml-team", true},
		{"name/63", fsm.ValidateName, "a" + strings.Repeat("0", 62), true},
		{"name/64", fsm.ValidateName, "a" + strings.Repeat("0", 63), false},
		{"name/empty", fsm.ValidateName, "", false},
		{"name/trailing hyphen", fsm.ValidateName, "a-", false},
		{"name/trailing digit", fsm.ValidateName, "a-1", true},
		{"name/uppercase", fsm.ValidateName, "aB", false},
		{"name/leading digit", fsm.ValidateName, "0a", false},
		{"name/unicode", fsm.ValidateName, "aé", false},
		{"name/underscore", fsm.ValidateName, "a_b", false},

		{"type/simple", fsm.ValidateEntityType, "models", true},
		{"type/underscore and hyphen", fsm.ValidateEntityType, "customization_jobs-v2", true},
		{"type/trailing underscore", fsm.ValidateEntityType, "jobs_", true},
		{"type/63", fsm.ValidateEntityType, "a" + strings.Repeat("_", 62), true},
		{"type/64", fsm.ValidateEntityType, "a" + strings.Repeat("_", 63), false},
		{"type/empty", fsm.ValidateEntityType, "", false},
		{"type/leading underscore", fsm.ValidateEntityType, "_a", false},
		{"type/uppercase", fsm.ValidateEntityType, "Models", false},
		{"type/reserved", fsm.ValidateEntityType, fsm.ProjectEntityType, false},
		{"type/near reserved", fsm.ValidateEntityType, "project", true},

		{"entity/slash", fsm.ValidateEntityName, "org/model:v1 final", true},
		{"entity/unicode", fsm.ValidateEntityName, "模型", true},
		{"entity/255", fsm.ValidateEntityName, strings.Repeat("x", 255), true},
		{"entity/256", fsm.ValidateEntityName, strings.Repeat("x", 256), false},
		{"entity/empty", fsm.ValidateEntityName, "", false},
		{"entity/tab", fsm.ValidateEntityName, "a\tb", false},
		{"entity/nul", fsm.ValidateEntityName, "a\x00b", false},
		{"entity/C1", fsm.ValidateEntityName, "a\u009fb", false},
		{"entity/nbsp", fsm.ValidateEntityName, "a\u00a0b", true},
		{"entity/invalid utf-8", fsm.ValidateEntityName, "a\xffb", false},

		{"description/empty", fsm.ValidateDescription, "", true},
		{"description/4096", fsm.ValidateDescription, strings.Repeat("x", 4096), true},
		{"description/4097", fsm.ValidateDescription, strings.Repeat("x", 4097), false},
		{"description/4097 bytes of runes", fsm.ValidateDescription, strings.Repeat("é", 2048) + "x", false},
		{"description/invalid utf-8", fsm.ValidateDescription, "\xff", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			msg := tt.check(tt.in)
			if got := msg == ""; got != tt.valid {
				t.Errorf("valid: got %v (%q), want %v", got, msg, tt.valid)
			}
		})
	}
}
