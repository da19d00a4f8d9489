package probes_test

import (
	"context"
	"errors"
	"math"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telediag/telediag/internal/testutil"
	"github.com/telediag/telediag/probes"
)

func TestRecoveryWindowFor(t *testing.T) {
	for _, tc := range []struct{ in, want time.Duration }{
		{5 * time.Second, 10 * time.Second},
		{probes.MinHeartbeatInterval, 2 * probes.MinHeartbeatInterval},
		{math.MaxInt64 / 2, math.MaxInt64 / 2 * 2},
		{math.MaxInt64/2 + 1, math.MaxInt64},
		{2000000 * time.Hour, math.MaxInt64}, // the value from the issue: 2× overflows
		{math.MaxInt64, math.MaxInt64},
	} {
		if got := probes.RecoveryWindowFor(tc.in); got != tc.want || got <= 0 {
			t.Errorf("RecoveryWindowFor(%v) = %v, want %v", tc.in, got, tc.want)
		}
	}
	// The saturated window is accepted by the Monitor.
	if _, err := probes.New(probes.WithRecoveryWindow(probes.RecoveryWindowFor(2000000 * time.Hour))); err != nil {
		t.Errorf("New with the saturated window: %v", err)
	}
}

// recorder is a Reporter that keeps every heartbeat.
type recorder struct {
	mu    sync.Mutex
	beats map[string][]error
}

func (r *recorder) Heartbeat(component string, err error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.beats == nil {
		r.beats = map[string][]error{}
	}
	r.beats[component] = append(r.beats[component], err)
}

func (r *recorder) count(component string) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.beats[component])
}

func TestNewRunnerRejectsBadInput(t *testing.T) {
	ok := probes.NamedCheck("ok", func(context.Context) error { return nil })
	for _, tc := range []struct {
		name     string
		reporter probes.Reporter
		checks   []probes.Checker
		opts     []probes.RunnerOption
		want     []string
	}{
		{"nil reporter", nil, []probes.Checker{ok}, nil, []string{"nil Reporter"}},
		{"nil check", &recorder{}, []probes.Checker{ok, nil}, nil, []string{"check 1 is nil"}},
		{"bad name", &recorder{}, []probes.Checker{probes.NamedCheck("a b", nil)}, nil, []string{`name "a b"`}},
		{"duplicate", &recorder{}, []probes.Checker{ok, ok}, nil, []string{`"ok" given twice`}},
		{"interval 1ns", &recorder{}, nil, []probes.RunnerOption{probes.WithHeartbeatInterval(time.Nanosecond)},
			[]string{"heartbeat interval 1ns is below the minimum 100ms"}},
		{"interval 0", &recorder{}, nil, []probes.RunnerOption{probes.WithHeartbeatInterval(0)}, []string{"below the minimum"}},
		{"timeout 1ms", &recorder{}, nil, []probes.RunnerOption{probes.WithCheckTimeout(time.Millisecond)},
			[]string{"check timeout 1ms is below the minimum 1s"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r, err := probes.NewRunner(tc.reporter, tc.checks, tc.opts...)
			if err == nil || r != nil {
				t.Fatalf("NewRunner = (%v, %v), want an error", r, err)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not contain %q", err, w)
				}
			}
		})
	}
}

func TestRunnerTimeoutFloor(t *testing.T) {
	for _, tc := range []struct {
		opts                  []probes.RunnerOption
		interval, timeout     time.Duration
		stallAfterAtLeastOver time.Duration
	}{
		{nil, 5 * time.Second, 5 * time.Second, 20 * time.Second},
		{[]probes.RunnerOption{probes.WithHeartbeatInterval(100 * time.Millisecond)}, 100 * time.Millisecond, time.Second, 2200 * time.Millisecond},
		{[]probes.RunnerOption{probes.WithHeartbeatInterval(time.Minute)}, time.Minute, time.Minute, 4 * time.Minute},
		{[]probes.RunnerOption{probes.WithHeartbeatInterval(time.Second), probes.WithCheckTimeout(3 * time.Second)}, time.Second, 3 * time.Second, 8 * time.Second},
		{[]probes.RunnerOption{probes.WithHeartbeatInterval(2000000 * time.Hour)}, 2000000 * time.Hour, 2000000 * time.Hour, math.MaxInt64},
	} {
		r, err := probes.NewRunner(&recorder{}, nil, tc.opts...)
		if err != nil {
			t.Fatal(err)
		}
		if r.Interval() != tc.interval || r.Timeout() != tc.timeout || r.StallAfter() != tc.stallAfterAtLeastOver {
			t.Errorf("interval %v timeout %v stall %v, want %v %v %v", r.Interval(), r.Timeout(), r.StallAfter(),
				tc.interval, tc.timeout, tc.stallAfterAtLeastOver)
		}
	}
}

// startRunner runs r.Run in the background; the returned stop cancels it and
// fails the test unless Run returns within limit.
func startRunner(t *testing.T, r *probes.Runner) (stop func(limit time.Duration)) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		r.Run(ctx)
	}()
	var once sync.Once
	stop = func(limit time.Duration) {
		t.Helper()
		once.Do(func() {
			cancel()
			select {
			case <-done:
			case <-time.After(limit):
				t.Errorf("Run did not return within %v of its context being cancelled", limit)
				<-done // still wait, so that goleak reports what is stuck
			}
		})
	}
	t.Cleanup(func() { stop(10 * time.Second) })
	return stop
}

func newRunner(t *testing.T, rep probes.Reporter, checks []probes.Checker, opts ...probes.RunnerOption) *probes.Runner {
	t.Helper()
	r, err := probes.NewRunner(rep, checks, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// monitorWithChanges returns a Monitor on the wall clock whose changes also
// go to a channel.
func monitorWithChanges(t *testing.T, window time.Duration) (*probes.Monitor, <-chan probes.Change) {
	t.Helper()
	changes := make(chan probes.Change, 1024)
	m, err := probes.New(probes.WithRecoveryWindow(window), probes.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	m.Subscribe(func(c probes.Change) {
		select {
		case changes <- c:
		default:
		}
	})
	return m, changes
}

// waitComponent polls until component's status satisfies ok.
func waitComponent(t *testing.T, m *probes.Monitor, name string, timeout time.Duration, ok func(probes.ComponentStatus) bool) probes.ComponentStatus {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, found := m.Component(name)
		if found && ok(st) {
			return st
		}
		if time.Now().After(deadline) {
			t.Fatalf("component %q: after %v status is %+v (known: %v)", name, timeout, st, found)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

func inState(s probes.State) func(probes.ComponentStatus) bool {
	return func(c probes.ComponentStatus) bool { return c.State == s }
}

func TestRunnerReportsHeartbeats(t *testing.T) {
	up := testutil.TCPUpstream(t, "127.0.0.1:0")
	okSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	defer okSrv.Close()
	badSrv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
	}))
	defer badSrv.Close()
	checks := []probes.Checker{
		mustTCP(t, "up", up.Addr().String()),
		mustTCP(t, "down", closedAddr(t)),
		mustHTTP(t, "web", okSrv.URL),
		mustHTTP(t, "sick", badSrv.URL),
		probes.NamedCheck("fn", func(context.Context) error { return errors.New("custom failure") }),
		probes.NamedCheck("buggy", func(context.Context) error { panic("nil map write") }),
		probes.NamedCheck("nilfn", nil),
	}
	m, _ := monitorWithChanges(t, time.Hour)
	// An interval of an hour: only the immediate first round can have
	// reported by the time the components settle.
	stop := startRunner(t, newRunner(t, m, checks, probes.WithHeartbeatInterval(time.Hour)))

	waitComponent(t, m, "up", 10*time.Second, inState(probes.StateOK))
	waitComponent(t, m, "web", 10*time.Second, inState(probes.StateOK))
	if down := waitComponent(t, m, "down", 10*time.Second, inState(probes.StateDegraded)); !strings.Contains(down.LastError, "connection refused") {
		t.Errorf("down: LastError %q, want connection refused", down.LastError)
	}
	if sick := waitComponent(t, m, "sick", 10*time.Second, inState(probes.StateDegraded)); !strings.HasSuffix(sick.LastError, "HTTP 503") {
		t.Errorf("sick: LastError %q, want ... HTTP 503", sick.LastError)
	}
	if fn := waitComponent(t, m, "fn", 10*time.Second, inState(probes.StateDegraded)); fn.LastError != "custom failure" {
		t.Errorf("fn: LastError %q", fn.LastError)
	}
	if b := waitComponent(t, m, "buggy", 10*time.Second, inState(probes.StateDegraded)); b.LastError != "check panicked: nil map write" {
		t.Errorf("buggy: LastError %q", b.LastError)
	}
	if n := waitComponent(t, m, "nilfn", 10*time.Second, inState(probes.StateDegraded)); !strings.Contains(n.LastError, "nil function") {
		t.Errorf("nilfn: LastError %q", n.LastError)
	}
	if got := m.State(); got != probes.StateDegraded {
		t.Errorf("process state %v, want degraded", got)
	}
	// Cancelling ends Run promptly although the next tick is an hour away.
	stop(2 * time.Second)
}

// With a short interval the Runner keeps heartbeating: an upstream that goes
// away makes its component degraded, and one that comes back makes it
// recovering and then, after the window, ok.
func TestRunnerFollowsUpstream(t *testing.T) {
	interval := probes.MinHeartbeatInterval
	window := probes.RecoveryWindowFor(interval)
	ln := testutil.TCPUpstream(t, "127.0.0.1:0")
	addr := ln.Addr().String()
	m, changes := monitorWithChanges(t, window)
	startRunner(t, newRunner(t, m, []probes.Checker{mustTCP(t, "db", addr)}, probes.WithHeartbeatInterval(interval)))

	waitComponent(t, m, "db", 10*time.Second, inState(probes.StateOK))
	ln.Close()
	waitComponent(t, m, "db", 10*time.Second, inState(probes.StateDegraded))
	testutil.TCPUpstream(t, addr) // the same port again
	rec := waitComponent(t, m, "db", 10*time.Second, inState(probes.StateRecovering))
	ok := waitComponent(t, m, "db", 10*time.Second, inState(probes.StateOK))
	if d := ok.Since.Sub(rec.Since); d <= window {
		t.Errorf("ok %v after recovery began, want more than the window %v", d, window)
	}
	var got []string
	for len(changes) > 0 {
		c := <-changes
		got = append(got, c.From.String()+"->"+c.To.String())
	}
	if want := "starting->ok ok->degraded degraded->recovering recovering->ok"; strings.Join(got, " ") != want {
		t.Errorf("process state changes %v, want %s", got, want)
	}
}

// A check slower than the timeout is a failed heartbeat, and the timeout
// does not follow a short interval below MinCheckTimeout.
func TestRunnerTimesOutSlowCheck(t *testing.T) {
	srv, _ := hang(t)
	m, _ := monitorWithChanges(t, time.Hour)
	start := time.Now()
	startRunner(t, newRunner(t, m, []probes.Checker{mustHTTP(t, "slow", srv.URL)}, probes.WithHeartbeatInterval(probes.MinHeartbeatInterval)))
	st := waitComponent(t, m, "slow", 10*time.Second, inState(probes.StateDegraded))
	took := time.Since(start)
	if !strings.Contains(st.LastError, context.DeadlineExceeded.Error()) {
		t.Errorf("slow: LastError %q, want %q", st.LastError, context.DeadlineExceeded)
	}
	if took < probes.MinCheckTimeout {
		t.Errorf("degraded after %v: the check got less than MinCheckTimeout %v", took, probes.MinCheckTimeout)
	}
}

// A check cut short by shutdown returns at once and is not reported.
func TestRunnerCancelDuringCheck(t *testing.T) {
	srv, arrived := hang(t)
	rec := &recorder{}
	stop := startRunner(t, newRunner(t, rec, []probes.Checker{mustHTTP(t, "slow", srv.URL)}, probes.WithCheckTimeout(time.Hour)))
	deadline := time.Now().Add(10 * time.Second)
	for arrived.Load() == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the check never reached the upstream")
		}
		time.Sleep(5 * time.Millisecond)
	}
	stop(2 * time.Second)
	if n := rec.count("slow"); n != 0 {
		t.Errorf("a check cut short by shutdown was reported %d times", n)
	}
}

func TestRunnerNoChecksAndSecondRun(t *testing.T) {
	r := newRunner(t, &recorder{}, nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	done := make(chan struct{})
	go func() { defer close(done); r.Run(ctx) }()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("Run with no checks did not return")
	}

	// A second Run while one is in progress returns at once.
	started := make(chan struct{}, 1)
	r = newRunner(t, &recorder{}, []probes.Checker{probes.NamedCheck("b", func(ctx context.Context) error {
		select {
		case started <- struct{}{}:
		default:
		}
		<-ctx.Done()
		return ctx.Err()
	})}, probes.WithCheckTimeout(time.Hour))
	stop := startRunner(t, r)
	<-started
	second := make(chan struct{})
	go func() { defer close(second); r.Run(context.Background()) }()
	select {
	case <-second:
	case <-time.After(2 * time.Second):
		t.Error("a concurrent second Run did not return at once")
	}
	stop(2 * time.Second)
}

// The Runner's liveness check fails while a check ignores its context and
// stays stuck past StallAfter, and passes again once it returns and when
// the Runner is not running.
func TestRunnerLivenessCheckDetectsStall(t *testing.T) {
	release := make(chan struct{})
	var once sync.Once
	stuck := probes.NamedCheck("stuck", func(context.Context) error {
		once.Do(func() { <-release }) // ignores its context, the first time only
		return nil
	})
	rec := &recorder{}
	r := newRunner(t, rec, []probes.Checker{stuck, probes.NamedCheck("fine", func(context.Context) error { return nil })},
		probes.WithHeartbeatInterval(probes.MinHeartbeatInterval))
	live := r.LivenessCheck("heartbeats")
	if live.Name() != "heartbeats" {
		t.Errorf("Name() = %q", live.Name())
	}
	if err := live.Check(context.Background()); err != nil {
		t.Errorf("before Run: %v, want nil", err)
	}
	stop := startRunner(t, r)
	// Registered after startRunner's cleanup, so it runs first and lets Run
	// return should the test stop early.
	unstick := sync.OnceFunc(func() { close(release) })
	t.Cleanup(unstick)

	start := time.Now()
	var err error
	for time.Since(start) < 10*time.Second {
		if err = live.Check(context.Background()); err != nil {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	took := time.Since(start)
	if err == nil {
		t.Fatalf("liveness passed for %v while a check was stuck (StallAfter %v)", took, r.StallAfter())
	}
	if took < r.StallAfter()-100*time.Millisecond {
		t.Errorf("liveness failed after %v, before StallAfter %v", took, r.StallAfter())
	}
	if !strings.Contains(err.Error(), `check "stuck" has not finished`) || strings.Contains(err.Error(), `"fine"`) {
		t.Errorf("liveness error %q, want it to name only the stuck check", err)
	}
	if rec.count("fine") < 5 {
		t.Errorf("the healthy check heartbeated %d times meanwhile: one stuck check held up the others", rec.count("fine"))
	}
	t.Logf("liveness failed %v after Run began (StallAfter %v): %v", took.Round(time.Millisecond), r.StallAfter(), err)

	unstick()
	deadline := time.Now().Add(5 * time.Second)
	for live.Check(context.Background()) != nil {
		if time.Now().After(deadline) {
			t.Fatal("liveness still failing 5s after the stuck check returned")
		}
		time.Sleep(20 * time.Millisecond)
	}
	stop(2 * time.Second)
	if err := live.Check(context.Background()); err != nil {
		t.Errorf("after Run returned: %v, want nil", err)
	}
}
