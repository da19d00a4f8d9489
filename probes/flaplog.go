package probes

import (
	"context"
	"log/slog"
	"time"
)

// Transition logs are rate-limited per component (and for the process
// state) so that a flapping upstream cannot flood the log: at most
// flapLogBurst lines per flapLogWindow. Later transitions in the window are
// counted, and the count is logged with the next line allowed, or on the
// first heartbeat after the window if the component has gone quiet, so that
// the log always ends up telling the current state.
const (
	flapLogBurst  = 5
	flapLogWindow = time.Minute
)

// logBudget is one key's rate limit. It is guarded by the Monitor's mutex
// and driven by the Monitor's clock, so that tests can step through it.
type logBudget struct {
	start   time.Time // beginning of the current window
	used    int       // lines logged in the current window
	dropped int       // transitions not logged since the last line
}

// logDecision is what to log for one heartbeat, decided under the lock and
// acted on outside it.
type logDecision struct {
	transition bool // log the transition
	summary    bool // log only that transitions were dropped (no transition now)
	dropped    int  // transitions dropped before this line
	last       bool // this line uses up the window's budget
}

// decide accounts for one heartbeat at now that did or did not change the
// state.
func (b *logBudget) decide(now time.Time, changed bool) logDecision {
	if b.start.IsZero() || now.Sub(b.start) >= flapLogWindow || now.Before(b.start) {
		b.start, b.used = now, 0
	}
	switch {
	case changed && b.used < flapLogBurst:
		b.used++
		d := logDecision{transition: true, dropped: b.dropped, last: b.used == flapLogBurst}
		b.dropped = 0
		return d
	case changed:
		b.dropped++
		return logDecision{}
	case b.dropped > 0 && b.used < flapLogBurst:
		// A new window began and the state is quiet: say what was missed.
		b.used++
		d := logDecision{summary: true, dropped: b.dropped}
		b.dropped = 0
		return d
	default:
		return logDecision{}
	}
}

// attrs are the rate-limit attributes of a logged line.
func (d logDecision) attrs() []any {
	var a []any
	if d.dropped > 0 {
		a = append(a, "transitions_not_logged", d.dropped)
	}
	if d.last {
		a = append(a, "flapping", "further transitions in the next "+flapLogWindow.String()+" are counted, not logged; /readyz?verbose has the current state")
	}
	return a
}

// logComponent logs a component's transition, or the summary of the ones
// not logged, as d says.
func (m *Monitor) logComponent(name string, from, to State, err error, d logDecision) {
	switch {
	case d.transition:
		attrs := append([]any{"component", name, "from", from.String(), "to", to.String()}, d.attrs()...)
		if to == StateDegraded {
			m.log.Warn("probes: component is degraded", append(attrs, "error", err)...)
			return
		}
		m.log.Info("probes: component state changed", attrs...)
	case d.summary:
		level := slog.LevelInfo
		if to == StateDegraded {
			level = slog.LevelWarn
		}
		m.log.Log(context.Background(), level, "probes: component was flapping", "component", name, "state", to.String(), "transitions_not_logged", d.dropped)
	}
}

// logProcess logs a change of the process state, or the summary of the
// changes not logged, as d says.
func (m *Monitor) logProcess(from, to State, d logDecision) {
	switch {
	case d.transition:
		m.log.Info("probes: readiness changed", append([]any{"from", from.String(), "to", to.String()}, d.attrs()...)...)
	case d.summary:
		m.log.Info("probes: readiness was flapping", "state", to.String(), "changes_not_logged", d.dropped)
	}
}
