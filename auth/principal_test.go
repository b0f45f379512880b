package auth

import (
	"reflect"
	"strings"
	"testing"
)

func TestPrincipal_Names(t *testing.T) {
	tests := []struct {
		name string
		p    Principal
		want []string
	}{
		{name: "anonymous", p: Anonymous, want: nil},
		{name: "id only", p: Principal{ID: "u1"}, want: []string{"u1", "*"}},
		{name: "id, email and groups", p: Principal{ID: "u1", Email: "a@example.com", Groups: []string{"ml", "ops"}},
			want: []string{"u1", "a@example.com", "ml", "ops", "*"}},
		{name: "duplicates removed", p: Principal{ID: "a@example.com", Email: "a@example.com", Groups: []string{"ml", "ml", "*"}},
			want: []string{"a@example.com", "ml", "*"}},
		{name: "email without id is anonymous", p: Principal{Email: "a@example.com"}, want: nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.Names(); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Names() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestPrincipal_IsAnonymous(t *testing.T) {
	tests := []struct {
		name string
		p    Principal
		want bool
	}{
		{name: "zero", p: Principal{}, want: true},
		{name: "Anonymous", p: Anonymous, want: true},
		{name: "with id", p: Principal{ID: "u1"}, want: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := tt.p.IsAnonymous(); got != tt.want {
				t.Errorf("IsAnonymous() = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestNewPrincipal(t *testing.T) {
	tests := []struct {
		name    string
		id      string
		email   string
		groups  []string
		want    Principal
		wantErr bool
	}{
		{name: "all fields", id: "u1", email: "a@x", groups: []string{"g1", "", "g2", "g1"},
			want: Principal{ID: "u1", Email: "a@x", Groups: []string{"g1", "g2"}}},
		{name: "unicode", id: "usuário", want: Principal{ID: "usuário"}},
		{name: "empty id", id: "", wantErr: true},
		{name: "wildcard id", id: "*", wantErr: true},
		{name: "wildcard email", id: "u1", email: "*", wantErr: true},
		{name: "control character in id", id: "u\x1b1", wantErr: true},
		{name: "invalid UTF-8 in email", id: "u1", email: "a\xff@x", wantErr: true},
		{name: "long group", id: "u1", groups: []string{strings.Repeat("g", maxNameBytes+1)}, wantErr: true},
		{name: "longest id", id: strings.Repeat("u", maxNameBytes), want: Principal{ID: strings.Repeat("u", maxNameBytes)}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := newPrincipal(tt.id, tt.email, tt.groups)
			if tt.wantErr {
				if err == nil {
					t.Fatalf("newPrincipal = %+v, nil; want an error", got)
				}
				return
			}
			if err != nil {
				t.Fatalf("newPrincipal: %v", err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("newPrincipal = %+v, want %+v", got, tt.want)
			}
		})
	}
}
