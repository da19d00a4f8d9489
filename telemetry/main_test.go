package telemetry

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if a test leaves a goroutine behind: a periodic reader or exporter
// that Shutdown did not stop.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
