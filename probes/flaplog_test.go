package probes_test

import (
	"log/slog"
	"strings"
	"testing"
	"time"

	"github.com/telediag/telediag/internal/testutil"
	"github.com/telediag/telediag/probes"
)

// logLines splits what b holds into log lines.
func logLines(b *testutil.SyncBuffer) []string {
	s := strings.TrimSuffix(b.String(), "\n")
	if s == "" {
		return nil
	}
	return strings.Split(s, "\n")
}

// TestFlappingLogsAreRateLimited drives a component that fails every other
// heartbeat, as an upstream flapping at a short interval does: the log gets
// a bounded number of lines per minute however many transitions happen, the
// count of the ones left out is logged, and the final state is told once
// the flapping stops.
func TestFlappingLogsAreRateLimited(t *testing.T) {
	var logs testutil.SyncBuffer
	m, clk := newMonitor(t, probes.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))

	// 4 s of flapping at a 1ms heartbeat: 4,000 heartbeats, every one a
	// transition (degraded <-> recovering), each also changing the process
	// state.
	m.Heartbeat("db", nil)
	for i := range 4000 {
		clk.Advance(time.Millisecond)
		if i%2 == 0 {
			m.Heartbeat("db", errHeartbeat)
		} else {
			m.Heartbeat("db", nil)
		}
	}
	lines := logLines(&logs)
	// At most 5 component lines and 5 process lines per minute.
	if len(lines) > 10 {
		t.Fatalf("%d log lines for 4,000 transitions in 4s, want at most 10:\n%s", len(lines), strings.Join(lines, "\n"))
	}
	comp, proc := 0, 0
	for _, l := range lines {
		switch {
		case strings.Contains(l, "component=db"):
			comp++
		case strings.Contains(l, "probes: readiness changed"):
			proc++
		}
	}
	if comp != 5 || proc != 5 {
		t.Errorf("%d component and %d process lines, want 5 and 5:\n%s", comp, proc, strings.Join(lines, "\n"))
	}
	if !strings.Contains(lines[len(lines)-1]+lines[len(lines)-2], "flapping=") {
		t.Errorf("the last allowed lines do not say that further transitions are counted:\n%s", strings.Join(lines, "\n"))
	}
	// The flapping stops; within the window nothing more is logged.
	logs.Reset()
	clk.Advance(time.Second)
	m.Heartbeat("db", errHeartbeat)
	m.Heartbeat("db", errHeartbeat)
	if got := logLines(&logs); len(got) != 0 {
		t.Errorf("lines within the window: %q", got)
	}

	// The first heartbeat after the window summarises what was left out and
	// tells the current state, even without a transition.
	logs.Reset()
	clk.Advance(time.Minute)
	m.Heartbeat("db", errHeartbeat)
	got := strings.Join(logLines(&logs), "\n")
	if !strings.Contains(got, `msg="probes: component was flapping" component=db state=degraded transitions_not_logged=`) {
		t.Errorf("no summary after the window:\n%s", got)
	}
	if !strings.Contains(got, `msg="probes: readiness was flapping" state=degraded changes_not_logged=`) {
		t.Errorf("no process summary after the window:\n%s", got)
	}
	if !strings.Contains(got, "level=WARN") {
		t.Errorf("the summary of a degraded component is not a warning:\n%s", got)
	}

	// Then quiet: a steady component logs nothing, and a new transition is
	// logged at once.
	logs.Reset()
	clk.Advance(time.Second)
	m.Heartbeat("db", errHeartbeat)
	if got := logLines(&logs); len(got) != 0 {
		t.Errorf("a steady component logged %q", got)
	}
	m.Heartbeat("db", nil)
	if got := strings.Join(logLines(&logs), "\n"); !strings.Contains(got, "from=degraded to=recovering") || strings.Contains(got, "transitions_not_logged") {
		t.Errorf("after the summary, a transition is logged plainly; got:\n%s", got)
	}
}

// Normal operation (a few transitions a minute) is logged in full.
func TestTransitionsLoggedInFull(t *testing.T) {
	var logs testutil.SyncBuffer
	m, clk := newMonitor(t, probes.WithLogger(slog.New(slog.NewTextHandler(&logs, nil))), probes.WithRecoveryWindow(time.Second))
	m.Heartbeat("auth", nil)
	clk.Advance(time.Second)
	m.Heartbeat("auth", errHeartbeat)
	clk.Advance(time.Second)
	m.Heartbeat("auth", nil)
	clk.Advance(2 * time.Second)
	m.Heartbeat("auth", nil)
	got := strings.Join(logLines(&logs), "\n")
	for _, want := range []string{
		"component=auth from=starting to=ok",
		`level=WARN msg="probes: component is degraded" component=auth from=ok to=degraded error="connection refused"`,
		"component=auth from=degraded to=recovering",
		"component=auth from=recovering to=ok",
		`msg="probes: readiness changed" from=starting to=ok`,
		`msg="probes: readiness changed" from=recovering to=ok`,
	} {
		if !strings.Contains(got, want) {
			t.Errorf("log lacks %q:\n%s", want, got)
		}
	}
	if strings.Contains(got, "flapping") || strings.Contains(got, "not_logged") {
		t.Errorf("normal operation marked as flapping:\n%s", got)
	}
}
