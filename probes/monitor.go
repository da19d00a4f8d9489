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

// clock tells the Monitor the time. It is a seam for the package's tests,
// which step through the recovery window without sleeping; a Monitor always
// reads the wall clock.
type clock interface {
	Now() time.Time
}

// wallClock is the default clock.
type wallClock struct{}

func (wallClock) Now() time.Time { return time.Now() }

// Change describes a change of the process (overall) state, as handed to
// listeners.
type Change struct {
	// From is the overall state before the change.
	From State
	// To is the overall state after the change.
	To State
	// At is when the heartbeat that caused it was recorded.
	At time.Time
}

// ComponentStatus is a snapshot of one component's readiness.
type ComponentStatus struct {
	// Name is the component name given to Heartbeat or WithExpected.
	Name string
	// State is the component's current state.
	State State
	// Since is when the component entered its current state.
	Since time.Time
	// LastError is the error text of the last heartbeat if it failed, and
	// empty if the last heartbeat succeeded or none has arrived yet.
	LastError string
}

// Option configures a Monitor; see New.
type Option func(*options)

type options struct {
	service      string
	teleport     bool
	clock        clock
	window       time.Duration
	expected     []string
	readyIfEmpty bool
	logger       *slog.Logger
	errs         []error
}

// WithService names the service in the /readyz texts: "orders is in a degraded state, check
// logs for details". It is an override: without it the texts name the service the router was
// installed with (telemetry's service.name, see [Monitor.SetDefaultServiceName]), or "service"
// when nothing names it. An empty name makes New fail.
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
// Teleport. The reference binary uses it. Like WithService, it wins over the name the router
// passes.
func WithTeleportTexts() Option { return func(o *options) { o.teleport = true } }

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
// Empty names are ignored with a warning.
func WithExpected(components ...string) Option {
	return func(o *options) { o.expected = append(o.expected, components...) }
}

// WithReadyWithoutComponents makes a Monitor that knows no component at all
// ok (/readyz 200) instead of starting: for a process that has nothing to
// wait for, such as telediag with neither --check nor --demo, whose
// Kubernetes readiness probe would otherwise never pass.
//
// It changes nothing once a component is known: a Monitor with expected
// components still starts in starting, and the first heartbeat of a new
// component decides as usual. Without this option a Monitor behaves as
// Teleport's process, which is starting until some component reports. On
// /readyz?exclude=NAME, excluding every known component still counts as
// starting: the process has components, and none was allowed to decide.
func WithReadyWithoutComponents() Option {
	return func(o *options) { o.readyIfEmpty = true }
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
	clock        clock
	window       time.Duration
	log          *slog.Logger
	readyIfEmpty bool // WithReadyWithoutComponents

	// pid and shutdownBody never change after New. wording (the /readyz
	// texts and their precomputed bodies) changes at most by
	// SetDefaultServiceName, by swapping the whole set, so the plain /readyz
	// path needs neither a lock nor an allocation. named is set when an
	// option chose the wording, which SetDefaultServiceName then leaves be.
	pid          int
	wording      atomic.Pointer[wording]
	named        bool
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

// New returns a Monitor with no components (so in StateStarting, or StateOK
// with WithReadyWithoutComponents) unless WithExpected declares some. It
// fails if an option is invalid.
func New(opts ...Option) (*Monitor, error) {
	o := options{clock: wallClock{}, window: DefaultRecoveryWindow}
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
		clock:        o.clock,
		window:       o.window,
		log:          o.logger,
		readyIfEmpty: o.readyIfEmpty,
		pid:          os.Getpid(),
		named:        o.service != "" || o.teleport,
		components:   make(map[string]*component),
	}
	service := o.service
	if service == "" {
		service = defaultService
	}
	m.wording.Store(newWording(service, o.teleport, m.pid))
	m.shutdownBody = mustMarshal(readiness{Status: statusShutdown, PID: m.pid})
	now := m.clock.Now()
	for _, name := range o.expected {
		if name == "" {
			m.log.Warn("probes: empty component name in WithExpected ignored")
			continue
		}
		m.registerLocked(name, now) // not shared yet: no lock needed
	}
	m.overall.Store(int32(m.overallLocked()))
	return m, nil
}

// SetDefaultServiceName names the service in the /readyz texts ("orders is
// starting and not ready yet") when New was given neither WithService nor
// WithTeleportTexts, which win; an empty name changes nothing. The router
// calls it with the telemetry pipeline's service.name when it is installed,
// so that a service names itself once, in telemetry.New or OTEL_SERVICE_NAME.
//
// It may be called while probes are being answered: the texts and their
// precomputed bodies are replaced as one, so a response never mixes two
// names. Calling it again replaces the name again.
func (m *Monitor) SetDefaultServiceName(name string) {
	if m.named || name == "" {
		return
	}
	m.wording.Store(newWording(name, false, m.pid))
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

// State returns the process state. It reads an atomic value and never
// blocks, so it is cheap enough to call on every metrics collection.
func (m *Monitor) State() State {
	return State(m.overall.Load())
}

// component returns the status of one component, and false if no heartbeat
// or WithExpected has named it.
func (m *Monitor) component(name string) (ComponentStatus, bool) {
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
// whichever Heartbeat goroutine finds no delivery in progress
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

// shuttingDown reports whether BeginShutdown has been called.
func (m *Monitor) shuttingDown() bool {
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
	return m.combine(m.counts, len(m.components), len(m.components))
}

// combine is the process state of n counted components out of known ones: Teleport's rules
// (combineStates), except that a Monitor made WithReadyWithoutComponents is ok while it knows
// no component at all. Excluding every known component (?exclude) still counts as starting.
func (m *Monitor) combine(counts [numStates]int, n, known int) State {
	if known == 0 && m.readyIfEmpty {
		return StateOK
	}
	return combineStates(counts, n)
}

// combineStates is Teleport's getStateLocked over n components, counts[s] of
// which are in state s: any degraded makes degraded, then any recovering
// makes recovering, all ok (and at least one) makes ok, and anything else,
// no components included, is starting.
func combineStates(counts [numStates]int, n int) State {
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
