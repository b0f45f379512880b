package e2e

import (
	"os"
	"testing"

	"go.uber.org/goleak"

	"github.com/wsd-dev/wsd/internal/testserver"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) {
		testserver.RemoveBinaries()
		os.Exit(code)
	}))
}
