package probes

import (
	"context"
	"errors"
	"fmt"
	"math"
	"sync"
	"sync/atomic"
	"time"
)

// Heartbeat timing. Teleport heartbeats every 5s (defaults.HeartbeatCheckPeriod).
const (
	// DefaultHeartbeatInterval is how often a Runner runs each check unless
	// told otherwise: Teleport's heartbeat period.
	DefaultHeartbeatInterval = 5 * time.Second
	// MinHeartbeatInterval is the shortest interval a Runner accepts. Below
	// it, heartbeats cost real CPU (at 1ns a loop spins a whole core) and a
	// flapping upstream floods the logs, while no readiness decision gets
	// meaningfully faster: probes and load balancers poll in seconds.
	MinHeartbeatInterval = 100 * time.Millisecond
	// MinCheckTimeout is the shortest time a check is given to answer. A
	// timeout that followed a short interval down would report a healthy
	// but distant upstream as degraded (a TLS handshake alone can take tens
	// of milliseconds); one second is Kubernetes' smallest probe timeout.
	MinCheckTimeout = time.Second
)

// RecoveryWindowFor returns the recovery window that matches a heartbeat
// interval: twice the interval, as Teleport's 2 × HeartbeatCheckPeriod, so
// that recovery needs at least two successful heartbeats in a row. The
// result saturates at the largest time.Duration instead of overflowing into
// a negative window.
func RecoveryWindowFor(interval time.Duration) time.Duration {
	if interval > math.MaxInt64/2 {
		return math.MaxInt64
	}
	return 2 * interval
}

// Reporter receives the outcome of each heartbeat; *Monitor is one. It is
// an interface so that the Runner knows nothing of the state machine it
// feeds.
type Reporter interface {
	// Heartbeat records one heartbeat of component: nil for a success.
	Heartbeat(component string, err error)
}

// RunnerOption configures a Runner; see NewRunner.
type RunnerOption func(*runnerOptions)

type runnerOptions struct {
	interval time.Duration
	timeout  time.Duration
	errs     []error
}

// WithHeartbeatInterval sets how often each check runs. The default is
// DefaultHeartbeatInterval; an interval below MinHeartbeatInterval makes
// NewRunner fail.
func WithHeartbeatInterval(d time.Duration) RunnerOption {
	return func(o *runnerOptions) {
		if d < MinHeartbeatInterval {
			o.errs = append(o.errs, fmt.Errorf("heartbeat interval %v is below the minimum %v", d, MinHeartbeatInterval))
			return
		}
		o.interval = d
	}
}

// WithCheckTimeout sets how long one check may take before it counts as a
// failed heartbeat. The default is the heartbeat interval, but never less
// than MinCheckTimeout; a timeout below MinCheckTimeout makes NewRunner
// fail.
func WithCheckTimeout(d time.Duration) RunnerOption {
	return func(o *runnerOptions) {
		if d < MinCheckTimeout {
			o.errs = append(o.errs, fmt.Errorf("check timeout %v is below the minimum %v", d, MinCheckTimeout))
			return
		}
		o.timeout = d
	}
}

// Runner heartbeats a set of checks: it runs each one now and then every
// interval, each on its own goroutine, and reports every result to a
// Reporter as a heartbeat of the component named after the check, the way
// Teleport's services report theirs. Build it with NewRunner and start it
// with Run.
type Runner struct {
	reporter Reporter
	checks   []Checker
	interval time.Duration
	timeout  time.Duration

	// epoch anchors lastDone on the monotonic clock, so that a wall-clock
	// step does not look like a stalled check.
	epoch    time.Time
	running  atomic.Bool    // a Run is in progress (guards against a second one)
	active   atomic.Bool    // lastDone is initialised for the Run in progress
	lastDone []atomic.Int64 // per check: nanoseconds since epoch of the last finished check
}

// NewRunner returns a Runner that reports the checks to r. It fails if r
// is nil, if a check is nil, badly named or named twice, or if an option
// is invalid.
func NewRunner(r Reporter, checks []Checker, opts ...RunnerOption) (*Runner, error) {
	o := runnerOptions{interval: DefaultHeartbeatInterval}
	for _, opt := range opts {
		if opt != nil {
			opt(&o)
		}
	}
	errs := o.errs
	if r == nil {
		errs = append(errs, errors.New("nil Reporter"))
	}
	if err := checkNames("check", checks); err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("probes: NewRunner: %w", err)
	}
	if o.timeout == 0 {
		o.timeout = max(o.interval, MinCheckTimeout)
	}
	return &Runner{
		reporter: r,
		checks:   append([]Checker(nil), checks...),
		interval: o.interval,
		timeout:  o.timeout,
		epoch:    time.Now(),
		lastDone: make([]atomic.Int64, len(checks)),
	}, nil
}

// Run runs every check now and then every interval until ctx is done, and
// returns once every check has stopped. A check slower than the timeout, or
// one that panics, is a failed heartbeat; a check cut short because ctx ended is not reported
// at all, so that shutting down does not look like an outage. Checks that
// have a CloseIdleConnections method (the HTTP check does) are told to
// close their idle connections on the way out.
//
// Run is meant to be called once. A call while another Run of the same
// Runner is in progress returns at once.
func (r *Runner) Run(ctx context.Context) {
	if !r.running.CompareAndSwap(false, true) {
		return
	}
	defer r.running.Store(false)
	now := r.since()
	for i := range r.lastDone {
		r.lastDone[i].Store(now)
	}
	r.active.Store(true)
	defer r.active.Store(false)
	var wg sync.WaitGroup
	for i, c := range r.checks {
		wg.Go(func() { r.loop(ctx, i, c) })
	}
	wg.Wait()
	for _, c := range r.checks {
		if cl, ok := c.(interface{ CloseIdleConnections() }); ok {
			cl.CloseIdleConnections()
		}
	}
}

func (r *Runner) loop(ctx context.Context, i int, c Checker) {
	t := time.NewTicker(r.interval)
	defer t.Stop()
	for {
		cctx, cancel := context.WithTimeout(ctx, r.timeout)
		err := safeCheck(cctx, c)
		cancel()
		if ctx.Err() != nil {
			return
		}
		r.lastDone[i].Store(r.since())
		r.reporter.Heartbeat(c.Name(), err)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (r *Runner) since() int64 { return int64(time.Since(r.epoch)) }

// safeCheck runs one check, turning a panic into a failed heartbeat: a bug in one dependency
// check must not take the whole process, and its diagnostics, down.
func safeCheck(ctx context.Context, c Checker) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("check panicked: %v", p)
		}
	}()
	return c.Check(ctx)
}

// stallAfter is how long a check may go without finishing before the
// Runner's liveness check fails: twice the longest regular gap between two
// finished checks (an interval plus a timeout), saturating rather than
// overflowing.
func (r *Runner) stallAfter() time.Duration {
	gap := r.interval + r.timeout
	if gap < r.interval { // overflow
		return math.MaxInt64
	}
	return RecoveryWindowFor(gap)
}

// LivenessCheck returns a check for /livez, named name, that fails when a
// heartbeat loop is stuck: while Run is running, some check has not
// finished for twice (interval + check timeout), which only a Check that
// ignores its context can cause. Like kube-apiserver's log check, it turns a hung
// background loop into a failed liveness probe, so that the process is
// restarted instead of reporting stale readiness forever. Before Run and
// after it returns the check passes: a loop that is not running is not
// stuck.
func (r *Runner) LivenessCheck(name string) Checker {
	return NamedCheck(name, func(context.Context) error {
		if !r.active.Load() {
			return nil
		}
		now, limit := r.since(), int64(r.stallAfter())
		var errs []error
		for i, c := range r.checks {
			if idle := now - r.lastDone[i].Load(); idle > limit {
				errs = append(errs, fmt.Errorf("check %q has not finished for %v (limit %v)",
					c.Name(), time.Duration(idle).Round(time.Millisecond), time.Duration(limit)))
			}
		}
		return errors.Join(errs...)
	})
}
