package probes

import (
	"errors"
	"time"
)

// This file lends the package's tests (package probes_test) what they need to look inside
// and to drive time, without widening the exported API.

// LivenessTimeout bounds one /livez request.
const LivenessTimeout = livenessTimeout

// WithClock makes the Monitor read the time from c instead of the wall clock, so that tests
// can step through the recovery window and the log budget. A nil c makes New fail.
func WithClock(c interface{ Now() time.Time }) Option {
	return func(o *options) {
		if c == nil {
			o.errs = append(o.errs, errors.New("probes: WithClock: nil clock"))
			return
		}
		o.clock = c
	}
}

// Expect declares component without a heartbeat, as Teleport's ExpectService does when a
// service starts late: the process is starting until its first heartbeat. Services declare
// theirs up front with WithExpected; the tests reproduce Teleport's sequences with this.
func (m *Monitor) Expect(component string) {
	if component == "" {
		m.log.Warn("probes: Expect without a component name ignored; this is a bug in the caller")
		return
	}
	now := m.clock.Now()
	m.mu.Lock()
	m.registerLocked(component, now)
	pFrom, pTo := m.publishLocked(now)
	procLog := m.stateLogs.decide(now, pTo != pFrom)
	m.mu.Unlock()
	m.logProcess(pFrom, pTo, procLog)
	m.deliver()
}

// Component is component, for the tests.
func (m *Monitor) Component(name string) (ComponentStatus, bool) { return m.component(name) }

// ShuttingDown is shuttingDown, for the tests.
func (m *Monitor) ShuttingDown() bool { return m.shuttingDown() }

// Interval is how often each check runs.
func (r *Runner) Interval() time.Duration { return r.interval }

// Timeout is how long one check may take.
func (r *Runner) Timeout() time.Duration { return r.timeout }

// StallAfter is stallAfter, for the tests.
func (r *Runner) StallAfter() time.Duration { return r.stallAfter() }
