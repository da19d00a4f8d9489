package demo

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package if Run leaves a goroutine behind.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
