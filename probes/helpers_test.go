package probes_test

import (
	"errors"
	"log/slog"
	"sync"
	"testing"
	"time"

	"github.com/telediag/telediag/probes"
)

// manualClock is a Clock that moves only when told to.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func newManualClock() *manualClock {
	return &manualClock{now: time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)}
}

func (c *manualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *manualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

var errHeartbeat = errors.New("connection refused")

// quietLogger drops log output so that test logs show only failures.
func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// newMonitor builds a Monitor on a manual clock and fails the test on error.
func newMonitor(t *testing.T, opts ...probes.Option) (*probes.Monitor, *manualClock) {
	t.Helper()
	clk := newManualClock()
	m, err := probes.New(append([]probes.Option{probes.WithClock(clk), probes.WithLogger(quietLogger()), probes.WithTeleportTexts()}, opts...)...)
	if err != nil {
		t.Fatalf("probes.New: %v", err)
	}
	return m, clk
}

// drive brings component into state s using only the public API.
func drive(t *testing.T, m *probes.Monitor, component string, s probes.State) {
	t.Helper()
	switch s {
	case probes.StateStarting:
		m.Expect(component)
	case probes.StateOK:
		m.Heartbeat(component, nil)
	case probes.StateDegraded:
		m.Heartbeat(component, errHeartbeat)
	case probes.StateRecovering:
		m.Heartbeat(component, errHeartbeat)
		m.Heartbeat(component, nil)
	}
	got, ok := m.Component(component)
	if !ok || got.State != s {
		t.Fatalf("drive(%q, %v): component is %v (known=%v)", component, s, got.State, ok)
	}
}
