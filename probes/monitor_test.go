package probes_test

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/telediag/telediag/probes"
)

func TestStateValuesAndStrings(t *testing.T) {
	// The numbers are exported as process_state; they must never move.
	cases := []struct {
		s    probes.State
		num  int
		text string
	}{
		{probes.StateOK, 0, "ok"},
		{probes.StateRecovering, 1, "recovering"},
		{probes.StateDegraded, 2, "degraded"},
		{probes.StateStarting, 3, "starting"},
		{probes.State(7), 7, "State(7)"},
	}
	for _, c := range cases {
		if int(c.s) != c.num || c.s.String() != c.text {
			t.Errorf("State %d: got (%d, %q), want (%d, %q)", c.num, int(c.s), c.s.String(), c.num, c.text)
		}
	}
}

// TestAggregation reproduces Teleport's TestProcessStateGetState (§3.1).
func TestAggregation(t *testing.T) {
	type comp struct {
		name  string
		state probes.State
	}
	cases := []struct {
		name  string
		comps []comp
		want  probes.State
	}{
		{"no components", nil, probes.StateStarting},
		{"one ok", []comp{{"one", probes.StateOK}}, probes.StateOK},
		{"three ok", []comp{{"one", probes.StateOK}, {"two", probes.StateOK}, {"three", probes.StateOK}}, probes.StateOK},
		{"degraded wins over recovering", []comp{{"one", probes.StateRecovering}, {"two", probes.StateDegraded}, {"three", probes.StateOK}}, probes.StateDegraded},
		{"recovering", []comp{{"one", probes.StateOK}, {"two", probes.StateRecovering}, {"three", probes.StateOK}}, probes.StateRecovering},
		{"one starting", []comp{{"one", probes.StateOK}, {"two", probes.StateStarting}, {"three", probes.StateOK}}, probes.StateStarting},
		// Beyond Teleport's table: recovering outranks starting.
		{"recovering over starting", []comp{{"one", probes.StateStarting}, {"two", probes.StateRecovering}}, probes.StateRecovering},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, _ := newMonitor(t)
			for _, cp := range c.comps {
				drive(t, m, cp.name, cp.state)
			}
			if got := m.State(); got != c.want {
				t.Errorf("State() = %v, want %v", got, c.want)
			}
		})
	}
}

// TestStartingSequence reproduces Teleport's TestProcessStateStarting (§3.2).
func TestStartingSequence(t *testing.T) {
	m, _ := newMonitor(t)
	step := func(desc string, want probes.State) {
		t.Helper()
		if got := m.State(); got != want {
			t.Fatalf("%s: State() = %v, want %v", desc, got, want)
		}
	}
	step("no services", probes.StateStarting)
	hb := func() { m.Heartbeat("test-component", nil) }
	hb()
	step("a single service is running", probes.StateOK)
	m.Expect("slow-component")
	step("a slow service is expected", probes.StateStarting)
	hb()
	step("only the first service has a heartbeat", probes.StateStarting)
	m.Heartbeat("slow-component", nil)
	step("both services are running", probes.StateOK)
}

func TestExpectKnownComponentIsNoop(t *testing.T) {
	m, _ := newMonitor(t)
	m.Heartbeat("auth", errHeartbeat)
	m.Expect("auth")
	if c, _ := m.Component("auth"); c.State != probes.StateDegraded {
		t.Fatalf("Expect changed a known component to %v", c.State)
	}
}

func TestWithExpected(t *testing.T) {
	m, _ := newMonitor(t, probes.WithExpected("auth", "proxy"))
	if got := m.State(); got != probes.StateStarting {
		t.Fatalf("State() = %v, want starting", got)
	}
	m.Heartbeat("auth", nil)
	if got := m.State(); got != probes.StateStarting {
		t.Fatalf("after auth only: State() = %v, want starting", got)
	}
	m.Heartbeat("proxy", nil)
	if got := m.State(); got != probes.StateOK {
		t.Fatalf("after both: State() = %v, want ok", got)
	}
}

// TestComponentTransitions walks every rule of Teleport's processState.update.
func TestComponentTransitions(t *testing.T) {
	cases := []struct {
		name    string
		from    probes.State // "" state: unknown component
		unknown bool
		err     error
		advance time.Duration
		want    probes.State
	}{
		{name: "unknown + failure", unknown: true, err: errHeartbeat, want: probes.StateDegraded},
		{name: "unknown + success", unknown: true, want: probes.StateOK},
		{name: "starting + success", from: probes.StateStarting, want: probes.StateOK},
		{name: "starting + failure", from: probes.StateStarting, err: errHeartbeat, want: probes.StateDegraded},
		{name: "ok + success", from: probes.StateOK, want: probes.StateOK},
		{name: "ok + failure", from: probes.StateOK, err: errHeartbeat, want: probes.StateDegraded},
		{name: "degraded + success", from: probes.StateDegraded, want: probes.StateRecovering},
		{name: "degraded + failure", from: probes.StateDegraded, err: errHeartbeat, want: probes.StateDegraded},
		{name: "recovering + success within window", from: probes.StateRecovering, advance: 5 * time.Second, want: probes.StateRecovering},
		{name: "recovering + success at window", from: probes.StateRecovering, advance: probes.DefaultRecoveryWindow, want: probes.StateRecovering},
		{name: "recovering + success after window", from: probes.StateRecovering, advance: probes.DefaultRecoveryWindow + time.Nanosecond, want: probes.StateOK},
		{name: "recovering + failure", from: probes.StateRecovering, advance: time.Hour, err: errHeartbeat, want: probes.StateDegraded},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, clk := newMonitor(t)
			if !c.unknown {
				drive(t, m, "auth", c.from)
			}
			clk.Advance(c.advance)
			m.Heartbeat("auth", c.err)
			got, ok := m.Component("auth")
			if !ok || got.State != c.want {
				t.Fatalf("component state = %v (known=%v), want %v", got.State, ok, c.want)
			}
		})
	}
}

// TestRecoveryWindowRestarts checks that a failure during recovery resets
// the window: time spent recovering before the failure does not count.
func TestRecoveryWindowRestarts(t *testing.T) {
	m, clk := newMonitor(t)
	drive(t, m, "auth", probes.StateRecovering)
	clk.Advance(8 * time.Second)
	m.Heartbeat("auth", errHeartbeat)
	m.Heartbeat("auth", nil) // recovering again, window starts now
	clk.Advance(8 * time.Second)
	m.Heartbeat("auth", nil)
	if c, _ := m.Component("auth"); c.State != probes.StateRecovering {
		t.Fatalf("16s after first recovery but 8s after the second: %v, want recovering", c.State)
	}
	clk.Advance(2*time.Second + time.Nanosecond)
	m.Heartbeat("auth", nil)
	if c, _ := m.Component("auth"); c.State != probes.StateOK {
		t.Fatalf("after the window: %v, want ok", c.State)
	}
}

func TestCustomRecoveryWindow(t *testing.T) {
	m, clk := newMonitor(t, probes.WithRecoveryWindow(time.Second))
	drive(t, m, "auth", probes.StateRecovering)
	clk.Advance(time.Second)
	m.Heartbeat("auth", nil)
	if m.State() != probes.StateRecovering {
		t.Fatalf("at exactly 1s: %v, want recovering", m.State())
	}
	clk.Advance(time.Nanosecond)
	m.Heartbeat("auth", nil)
	if m.State() != probes.StateOK {
		t.Fatalf("after 1s: %v, want ok", m.State())
	}
}

func TestNewRejectsInvalidOptions(t *testing.T) {
	cases := []struct {
		name string
		opt  probes.Option
		want string
	}{
		{"zero window", probes.WithRecoveryWindow(0), "window must be positive"},
		{"negative window", probes.WithRecoveryWindow(-time.Second), "window must be positive"},
		{"nil clock", probes.WithClock(nil), "nil clock"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			m, err := probes.New(c.opt)
			if err == nil || m != nil {
				t.Fatalf("New = (%v, %v), want an error", m, err)
			}
			if !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %q does not mention %q", err, c.want)
			}
		})
	}
}

func TestNewDefaults(t *testing.T) {
	m, err := probes.New()
	if err != nil {
		t.Fatal(err)
	}
	if m.State() != probes.StateStarting || len(m.Components()) != 0 || m.ShuttingDown() {
		t.Fatalf("fresh monitor: state %v, %d components, shutting down %v", m.State(), len(m.Components()), m.ShuttingDown())
	}
}

func TestComponentsSnapshot(t *testing.T) {
	m, clk := newMonitor(t)
	t0 := clk.Now()
	m.Heartbeat("proxy", nil)
	clk.Advance(time.Second)
	m.Heartbeat("auth", errors.New("dial tcp: refused"))
	clk.Advance(time.Second)
	m.Heartbeat("auth", errors.New("still refused")) // stays degraded: Since must not move
	m.Expect("kube")

	got := m.Components()
	want := []probes.ComponentStatus{
		{Name: "auth", State: probes.StateDegraded, Since: t0.Add(time.Second), LastError: "still refused"},
		{Name: "kube", State: probes.StateStarting, Since: t0.Add(2 * time.Second)},
		{Name: "proxy", State: probes.StateOK, Since: t0},
	}
	if len(got) != len(want) {
		t.Fatalf("Components() = %+v, want %+v", got, want)
	}
	for i := range want {
		if got[i].Name != want[i].Name || got[i].State != want[i].State || !got[i].Since.Equal(want[i].Since) || got[i].LastError != want[i].LastError {
			t.Errorf("Components()[%d] = %+v, want %+v", i, got[i], want[i])
		}
	}

	m.Heartbeat("auth", nil)
	if c, _ := m.Component("auth"); c.LastError != "" || c.State != probes.StateRecovering {
		t.Errorf("after a success: %+v, want recovering without error", c)
	}
	if _, ok := m.Component("nope"); ok {
		t.Error("Component(unknown) reported ok")
	}
}

func TestEmptyComponentNameIsIgnoredAndLogged(t *testing.T) {
	var buf bytes.Buffer
	m, err := probes.New(probes.WithLogger(slog.New(slog.NewTextHandler(&buf, nil))))
	if err != nil {
		t.Fatal(err)
	}
	m.Heartbeat("", errHeartbeat)
	m.Heartbeat("", nil)
	m.Expect("")
	if n := len(m.Components()); n != 0 {
		t.Fatalf("empty names registered %d components", n)
	}
	if m.State() != probes.StateStarting {
		t.Fatalf("State() = %v, want starting", m.State())
	}
	if got := strings.Count(buf.String(), "level=WARN"); got != 3 {
		t.Fatalf("want 3 warnings, got %d in:\n%s", got, buf.String())
	}
}

func TestListenersSeeEveryChangeInOrder(t *testing.T) {
	m, clk := newMonitor(t)
	var got, other []probes.Change
	unsubscribe := m.Subscribe(func(c probes.Change) { got = append(got, c) })
	m.Subscribe(func(c probes.Change) { other = append(other, c) })

	t0 := clk.Now()
	m.Heartbeat("auth", nil)          // starting -> ok
	m.Heartbeat("auth", nil)          // no change
	m.Heartbeat("auth", errHeartbeat) // ok -> degraded
	clk.Advance(time.Second)
	m.Heartbeat("auth", nil) // degraded -> recovering
	clk.Advance(probes.DefaultRecoveryWindow + 1)
	m.Heartbeat("auth", nil) // recovering -> ok
	m.Expect("node")         // ok -> starting

	want := []probes.Change{
		{From: probes.StateStarting, To: probes.StateOK, At: t0},
		{From: probes.StateOK, To: probes.StateDegraded, At: t0},
		{From: probes.StateDegraded, To: probes.StateRecovering, At: t0.Add(time.Second)},
		{From: probes.StateRecovering, To: probes.StateOK, At: t0.Add(time.Second + probes.DefaultRecoveryWindow + 1)},
		{From: probes.StateOK, To: probes.StateStarting, At: t0.Add(time.Second + probes.DefaultRecoveryWindow + 1)},
	}
	for name, list := range map[string][]probes.Change{"first": got, "second": other} {
		if len(list) != len(want) {
			t.Fatalf("%s listener got %+v, want %+v", name, list, want)
		}
		for i := range want {
			if list[i].From != want[i].From || list[i].To != want[i].To || !list[i].At.Equal(want[i].At) {
				t.Errorf("%s change %d = %+v, want %+v", name, i, list[i], want[i])
			}
		}
	}

	unsubscribe()
	unsubscribe() // idempotent
	m.Heartbeat("node", nil)
	if len(got) != len(want) {
		t.Fatalf("unsubscribed listener still called: %+v", got[len(want):])
	}
	if len(other) != len(want)+1 {
		t.Fatalf("remaining listener got %d changes, want %d", len(other), len(want)+1)
	}
}

// TestSlowListenerDoesNotBlock checks that a listener stuck in a callback
// holds up neither /readyz (State) nor other heartbeats, and that changes
// queued meanwhile are delivered afterwards, in order, one at a time.
func TestSlowListenerDoesNotBlock(t *testing.T) {
	m, _ := newMonitor(t)
	release := make(chan struct{})
	entered := make(chan struct{}, 16)
	var mu sync.Mutex
	var seen []probes.Change
	active := 0
	m.Subscribe(func(c probes.Change) {
		mu.Lock()
		active++
		if active > 1 {
			t.Error("listener called concurrently")
		}
		mu.Unlock()
		entered <- struct{}{}
		<-release
		mu.Lock()
		active--
		seen = append(seen, c)
		mu.Unlock()
	})

	first := make(chan struct{})
	go func() {
		defer close(first)
		m.Heartbeat("auth", nil) // starting -> ok; this goroutine delivers and blocks
	}()
	<-entered

	done := make(chan struct{})
	go func() {
		defer close(done)
		m.Heartbeat("auth", errHeartbeat) // ok -> degraded: queued, must not block
		m.Heartbeat("auth", nil)          // degraded -> recovering: queued
		_ = m.State()
		_ = m.Components()
	}()
	select {
	case <-done:
	case <-time.After(2 * time.Second):
		t.Fatal("heartbeats blocked behind a slow listener")
	}
	if got := m.State(); got != probes.StateRecovering {
		t.Fatalf("State() = %v while listener is stuck, want recovering", got)
	}

	close(release)
	<-first
	mu.Lock()
	defer mu.Unlock()
	want := []probes.State{probes.StateOK, probes.StateDegraded, probes.StateRecovering}
	if len(seen) != len(want) {
		t.Fatalf("listener saw %+v, want transitions to %v", seen, want)
	}
	for i, s := range want {
		if seen[i].To != s {
			t.Errorf("change %d to %v, want %v", i, seen[i].To, s)
		}
	}
}

func TestPanickingListenerDoesNotStopDelivery(t *testing.T) {
	m, _ := newMonitor(t)
	calls := 0
	m.Subscribe(func(probes.Change) {
		calls++
		if calls == 1 {
			panic("listener bug")
		}
	})
	func() {
		defer func() {
			if recover() == nil {
				t.Fatal("listener panic was swallowed")
			}
		}()
		m.Heartbeat("auth", nil)
	}()
	m.Heartbeat("auth", errHeartbeat)
	if calls != 2 {
		t.Fatalf("listener called %d times after a panic, want 2", calls)
	}
}

func TestListenerMayCallMonitor(t *testing.T) {
	m, _ := newMonitor(t)
	var got []probes.State
	m.Subscribe(func(c probes.Change) {
		got = append(got, c.To)
		if c.To == probes.StateOK {
			m.Expect("follow-up") // re-entrant: must not deadlock
		}
	})
	m.Heartbeat("auth", nil)
	if len(got) != 2 || got[0] != probes.StateOK || got[1] != probes.StateStarting {
		t.Fatalf("re-entrant listener saw %v, want [ok starting]", got)
	}
}

func TestShutdown(t *testing.T) {
	m, _ := newMonitor(t)
	m.Heartbeat("auth", nil)
	m.BeginShutdown()
	m.BeginShutdown()
	if !m.ShuttingDown() {
		t.Fatal("ShuttingDown() = false after BeginShutdown")
	}
	if m.State() != probes.StateOK {
		t.Fatalf("State() = %v, want the components' state (ok) during shutdown", m.State())
	}
}
