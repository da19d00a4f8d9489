package heartbeat_test

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if any test leaves a goroutine behind: a probe
// loop that outlives Run's context, or an HTTP probe that was never closed.
func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}
