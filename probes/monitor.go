package probes

import (
	"cmp"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"sync"
	"sync/atomic"
	"time"
)

// DefaultRecoveryWindow is how long a recovering component must keep
// succeeding before it counts as ok again: twice Teleport's 5s heartbeat
// period (defaults.HeartbeatCheckPeriod*2), so that one lucky heartbeat
// after an outage does not make the process ready; with 5s heartbeats it
// takes 10-20s of successes to get back to ok.
const DefaultRecoveryWindow = 10 * time.Second

// Clock tells the Monitor the time. It exists so that tests can drive the
// recovery window without sleeping; production code uses the default wall
// clock.
type Clock interface {
	Now() time.Time
}

// wallClock is the default Clock.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// Change describes a change of the process (overall) state, as handed to
// listeners.
type Change struct {
	// From is the overall state before the change.
	From State
	// To is the overall state after the change.
	To State
	// At is the Clock's time of the heartbeat (or Expect) that caused it.
	At time.Time
}

// ComponentStatus is a snapshot of one component's readiness.
type ComponentStatus struct {
	// Name is the component name given to Heartbeat or Expect.
	Name string
	// State is the component's current state.
	State State
	// Since is when the component entered its current state, by the
	// Monitor's Clock.
	Since time.Time
	// LastError is the error text of the last heartbeat if it failed, and
	// empty if the last heartbeat succeeded or none has arrived yet.
	LastError string
}

// Option configures a Monitor; see New.
type Option func(*options)

type options struct {
	service   string
	teleport  bool
	clock     Clock
	window    time.Duration
	expected  []string
	listeners []func(Change)
	logger    *slog.Logger
	errs      []error
}

// WithService names the service in the /readyz texts: "orders is in a degraded state, check
// logs for details". The default is "service". An empty name makes New fail.
func WithService(name string) Option {
	return func(o *options) {
		if name == "" {
			o.errs = append(o.errs, errors.New("probes: WithService: empty name"))
			return
		}
		o.service = name
	}
}

// WithTeleportTexts makes /readyz answer with Teleport's texts word for word ("teleport is
// starting and hasn't joined the cluster yet"), for scripts and dashboards written against
// Teleport. The reference binary uses it.
func WithTeleportTexts() Option { return func(o *options) { o.teleport = true } }

// WithClock makes the Monitor read the time from c instead of the wall
// clock, so that tests can step through the recovery window. A nil c makes
// New fail.
func WithClock(c Clock) Option {
	return func(o *options) {
		if c == nil {
			o.errs = append(o.errs, errors.New("probes: WithClock: nil clock"))
			return
		}
		o.clock = c
	}
}

// WithRecoveryWindow sets how long after the first successful heartbeat
// that follows a failure a component stays recovering; a success strictly
// later than that makes it ok. The default is DefaultRecoveryWindow. A
// non-positive d makes New fail: recovery would then end on the next
// success, however soon, which defeats the window.
func WithRecoveryWindow(d time.Duration) Option {
	return func(o *options) {
		if d <= 0 {
			o.errs = append(o.errs, fmt.Errorf("probes: WithRecoveryWindow: window must be positive, got %v", d))
			return
		}
		o.window = d
	}
}

// WithExpected declares components up front, as Teleport's ExpectService
// does: they count as starting until their first heartbeat, so the process
// does not report ok while a slow component has not yet said anything.
// Empty names are ignored with a warning, like in Expect.
func WithExpected(components ...string) Option {
	return func(o *options) { o.expected = append(o.expected, components...) }
}

// WithListener subscribes fn from the start, so that it cannot miss a
// change; it is equivalent to Subscribe without a way to unsubscribe. A nil
// fn makes New fail.
func WithListener(fn func(Change)) Option {
	return func(o *options) {
		if fn == nil {
			o.errs = append(o.errs, errors.New("probes: WithListener: nil listener"))
			return
		}
		o.listeners = append(o.listeners, fn)
	}
}

// WithLogger sets where the Monitor logs component transitions, changes
// of the process state and misuse such as an empty component name. The
// default (also for nil) is slog.Default().
//
// Transitions are logged at most 5 times a minute per component (and for
// the process state), so that a flapping upstream cannot flood the log; the
// ones left out are counted and the count is logged with the next line, or
// on the first heartbeat after the minute if the component has settled.
func WithLogger(l *slog.Logger) Option {
	return func(o *options) { o.logger = l }
}

// Monitor is the readiness state machine of one process. It is safe for
// concurrent use. Create it with New; the zero value is not usable.
type Monitor struct {
	clock  Clock
	window time.Duration
	log    *slog.Logger

	// pid and the precomputed /readyz bodies never change after New, so
	// the plain /readyz path needs neither a lock nor an allocation.
	pid          int
	bodies       [numStates][]byte
	texts        [numStates]string // /readyz status texts, by state
	shutdownBody []byte

	// overall is the process State, stored at the end of every transition
	// while mu is held, and read without mu by State and /readyz so that a
	// probe never waits behind a heartbeat.
	overall  atomic.Int32
	shutdown atomic.Bool

	mu         sync.RWMutex
	components map[string]*component
	counts     [numStates]int // number of components in each State
	listeners  []listener     // copy-on-write: delivery reads a snapshot
	nextID     uint64
	pending    []Change // overall changes not yet handed to listeners
	delivering bool     // a goroutine is running deliver's loop
	stateLogs  logBudget
}

type component struct {
	state        State
	since        time.Time
	recoveryTime time.Time
	logs         logBudget
	lastErr      string
}

type listener struct {
	id uint64
	fn func(Change)
}

// New returns a Monitor with no components (so in StateStarting) unless
// WithExpected declares some. It fails if an option is invalid.
func New(opts ...Option) (*Monitor, error) {
	o := options{service: "service", clock: wallClock{}, window: DefaultRecoveryWindow}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	if err := errors.Join(o.errs...); err != nil {
		return nil, fmt.Errorf("probes: invalid option: %w", err)
	}
	if o.logger == nil {
		o.logger = slog.Default()
	}
	m := &Monitor{
		clock:      o.clock,
		window:     o.window,
		log:        o.logger,
		pid:        os.Getpid(),
		texts:      statusTexts(o.service, o.teleport),
		components: make(map[string]*component),
	}
	m.overall.Store(int32(StateStarting))
	m.precomputeBodies()
	for _, fn := range o.listeners {
		m.nextID++
		m.listeners = append(m.listeners, listener{id: m.nextID, fn: fn})
	}
	now := m.clock.Now()
	for _, name := range o.expected {
		if name == "" {
			m.log.Warn("probes: empty component name in WithExpected ignored")
			continue
		}
		m.registerLocked(name, now) // not shared yet: no lock needed
	}
	return m, nil
}

// Heartbeat records the outcome of one heartbeat of component: a nil err
// is a success, anything else a failure. An unknown component is first
// registered as starting.
//
// A failure makes the component degraded. A success makes a starting
// component ok, a degraded one recovering (and starts the recovery window),
// and a recovering one ok only if more than the recovery window has passed
// since recovery began.
//
// An empty component name is a bug in the caller: the heartbeat is ignored
// and a warning is logged, rather than panicking inside a heartbeat loop.
func (m *Monitor) Heartbeat(component string, err error) {
	if component == "" {
		m.log.Warn("probes: heartbeat without a component name ignored; this is a bug in the caller", "error", err)
		return
	}
	now := m.clock.Now()

	m.mu.Lock()
	c := m.registerLocked(component, now)
	from := c.state
	to := transition(c.state, err, now, c.recoveryTime, m.window)
	if err != nil {
		c.lastErr = err.Error()
	} else {
		c.lastErr = ""
	}
	if from == StateDegraded && to == StateRecovering {
		c.recoveryTime = now
	}
	if to != from {
		m.setStateLocked(c, to, now)
	}
	pFrom, pTo := m.publishLocked(now)
	compLog := c.logs.decide(now, to != from)
	procLog := m.stateLogs.decide(now, pTo != pFrom)
	m.mu.Unlock()

	m.logComponent(component, from, to, err, compLog)
	m.logProcess(pFrom, pTo, procLog)
	m.deliver()
}

// transition is Teleport's per-component rule (processState.update).
func transition(cur State, err error, now, recoveryTime time.Time, window time.Duration) State {
	switch {
	case err != nil:
		return StateDegraded
	case cur == StateStarting:
		return StateOK
	case cur == StateDegraded:
		return StateRecovering
	case cur == StateRecovering && now.Sub(recoveryTime) > window:
		return StateOK
	default:
		return cur
	}
}

// OnHeartbeat returns a callback that reports heartbeats of component, in
// the shape Teleport wires into its heartbeat loops (OnHeartbeat:
// process.OnHeartbeat("auth")).
func (m *Monitor) OnHeartbeat(component string) func(error) {
	return func(err error) { m.Heartbeat(component, err) }
}

// Expect declares component without a heartbeat, so the process stays
// starting until the component's first heartbeat. It does nothing for a
// component that is already known. An empty name is ignored with a warning.
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

// State returns the process state. It reads an atomic value and never
// blocks, so it is cheap enough to call on every metrics collection.
func (m *Monitor) State() State {
	return State(m.overall.Load())
}

// Component returns the status of one component, and false if no heartbeat
// or Expect has named it.
func (m *Monitor) Component(name string) (ComponentStatus, bool) {
	m.mu.RLock()
	defer m.mu.RUnlock()
	c, ok := m.components[name]
	if !ok {
		return ComponentStatus{}, false
	}
	return c.status(name), true
}

// Components returns the status of every known component, sorted by name.
func (m *Monitor) Components() []ComponentStatus {
	m.mu.RLock()
	defer m.mu.RUnlock()
	return m.componentsLocked()
}

func (m *Monitor) componentsLocked() []ComponentStatus {
	out := make([]ComponentStatus, 0, len(m.components))
	for name, c := range m.components {
		out = append(out, c.status(name))
	}
	slices.SortFunc(out, func(a, b ComponentStatus) int { return cmp.Compare(a.Name, b.Name) })
	return out
}

func (c *component) status(name string) ComponentStatus {
	return ComponentStatus{Name: name, State: c.state, Since: c.since, LastError: c.lastErr}
}

// Subscribe registers fn to be called with every change of the process
// state from now on, and returns a function that unregisters it.
//
// Listeners are called outside the Monitor's lock, one change at a time and
// in the order the changes happened, never concurrently with each other:
// whichever Heartbeat (or Expect) goroutine finds no delivery in progress
// delivers every queued change, while the others only queue theirs. When no
// other delivery is in progress, the listeners have run by the time the
// Heartbeat that caused the change returns. A slow listener therefore
// delays that goroutine and later notifications, but never /readyz, State
// or the recording of heartbeats. A listener may call the Monitor, and may
// still receive a change that was being delivered when it unsubscribed.
// A listener that panics propagates the panic to the delivering caller.
//
// A nil fn is ignored with a warning.
func (m *Monitor) Subscribe(fn func(Change)) (unsubscribe func()) {
	if fn == nil {
		m.log.Warn("probes: Subscribe with a nil listener ignored")
		return func() {}
	}
	m.mu.Lock()
	m.nextID++
	id := m.nextID
	m.listeners = append(slices.Clip(m.listeners), listener{id: id, fn: fn})
	m.mu.Unlock()

	var once sync.Once
	return func() {
		once.Do(func() {
			m.mu.Lock()
			defer m.mu.Unlock()
			// Build a new slice: a delivery may be iterating the old one.
			m.listeners = slices.DeleteFunc(slices.Clone(m.listeners), func(l listener) bool { return l.id == id })
		})
	}
}

// BeginShutdown puts the Monitor in shutdown mode: from now on /readyz and
// the per-component endpoint answer 503 "process is shutting down" whatever
// the components say, as the Kubernetes API server does, so that load
// balancers stop sending traffic before the listeners close. It cannot be
// undone. Heartbeats are still recorded and State still reports the
// components, because process_state describes them, not the shutdown.
func (m *Monitor) BeginShutdown() {
	if !m.shutdown.Swap(true) {
		m.log.Info("probes: shutting down; /readyz now reports not ready")
	}
}

// ShuttingDown reports whether BeginShutdown has been called.
func (m *Monitor) ShuttingDown() bool {
	return m.shutdown.Load()
}

// registerLocked returns the component, first registering it as starting
// (recovery time now, as Teleport does) if it is unknown.
func (m *Monitor) registerLocked(name string, now time.Time) *component {
	c, ok := m.components[name]
	if !ok {
		c = &component{state: StateStarting, since: now, recoveryTime: now}
		m.components[name] = c
		m.counts[StateStarting]++
	}
	return c
}

func (m *Monitor) setStateLocked(c *component, to State, now time.Time) {
	m.counts[c.state]--
	m.counts[to]++
	c.state = to
	c.since = now
}

// overallLocked combines the component states in Teleport's order of
// importance: degraded, recovering, starting, ok (getStateLocked).
func (m *Monitor) overallLocked() State {
	return combine(m.counts, len(m.components))
}

// combine is Teleport's getStateLocked over n components, counts[s] of
// which are in state s: any degraded makes degraded, then any recovering
// makes recovering, all ok (and at least one) makes ok, and anything else,
// no components included, is starting.
func combine(counts [numStates]int, n int) State {
	switch {
	case counts[StateDegraded] > 0:
		return StateDegraded
	case counts[StateRecovering] > 0:
		return StateRecovering
	case n > 0 && counts[StateOK] == n:
		return StateOK
	default:
		return StateStarting
	}
}

// publishLocked stores the new process state and, if it changed, queues a
// Change for the listeners. Queueing under mu keeps the queue in the order
// of the transitions.
func (m *Monitor) publishLocked(now time.Time) (from, to State) {
	to = m.overallLocked()
	from = State(m.overall.Swap(int32(to)))
	if from != to && len(m.listeners) > 0 {
		m.pending = append(m.pending, Change{From: from, To: to, At: now})
	}
	return from, to
}

// deliver hands queued changes to the listeners; see Subscribe for the
// guarantees. Only one goroutine runs the loop at a time (m.delivering).
func (m *Monitor) deliver() {
	m.mu.Lock()
	if m.delivering || len(m.pending) == 0 {
		m.mu.Unlock()
		return
	}
	m.delivering = true
	done := false
	defer func() {
		// A panicking listener must not leave delivery switched off for
		// good; the lock is not held while listeners run.
		if !done {
			m.mu.Lock()
			m.delivering = false
			m.mu.Unlock()
		}
	}()
	for len(m.pending) > 0 {
		batch, ls := m.pending, m.listeners
		m.pending = nil
		m.mu.Unlock()
		for _, ch := range batch {
			for _, l := range ls {
				l.fn(ch)
			}
		}
		m.mu.Lock()
	}
	m.delivering = false
	done = true
	m.mu.Unlock()
}
