package probes_test

import (
	"encoding/json"
	"errors"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/telediag/telediag/probes"
)

// TestReadinessMatchesReadyz holds Readiness to what /readyz answers, for
// each overall state and during shutdown.
func TestReadinessMatchesReadyz(t *testing.T) {
	for _, s := range []probes.State{probes.StateOK, probes.StateRecovering, probes.StateDegraded, probes.StateStarting} {
		t.Run(s.String(), func(t *testing.T) {
			m, clk := newMonitor(t)
			drive(t, m, "auth", s)
			clk.Advance(time.Second)
			m.Heartbeat("proxy", nil) // ok: never changes the combined state
			check := func() {
				t.Helper()
				r := m.Readiness()
				rec := serve(m.ReadyzHandler(), http.MethodGet, "/readyz")
				var body struct{ Status string }
				if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
					t.Fatalf("/readyz body %q: %v", rec.Body, err)
				}
				if r.Code != rec.Code || r.Status != body.Status {
					t.Errorf("Readiness() = %d %q, /readyz answers %d %q", r.Code, r.Status, rec.Code, body.Status)
				}
				if r.State != s || r.State != m.State() {
					t.Errorf("Readiness().State = %v, want %v (State() %v)", r.State, s, m.State())
				}
				if len(r.Components) != 2 || r.Components[0].Name != "auth" || r.Components[1].Name != "proxy" {
					t.Fatalf("Components = %+v, want auth then proxy", r.Components)
				}
				if r.Components[0].State != s || r.Components[1].State != probes.StateOK {
					t.Errorf("component states = %v, %v; want %v, ok", r.Components[0].State, r.Components[1].State, s)
				}
				if got, want := r.Components[1].Since, clk.Now(); !got.Equal(want) {
					t.Errorf("proxy Since = %v, want %v", got, want)
				}
			}
			check()
			if m.Readiness().ShuttingDown {
				t.Fatal("ShuttingDown before BeginShutdown")
			}
			m.BeginShutdown()
			check()
			if r := m.Readiness(); !r.ShuttingDown || r.Code != http.StatusServiceUnavailable || r.Status != textShutdown {
				t.Errorf("after BeginShutdown: %+v", r)
			}
		})
	}
}

func TestReadinessLastError(t *testing.T) {
	m, _ := newMonitor(t)
	m.Heartbeat("db", errors.New("dial tcp 127.0.0.1:5432: connect: connection refused"))
	r := m.Readiness()
	if len(r.Components) != 1 || r.Components[0].LastError != "dial tcp 127.0.0.1:5432: connect: connection refused" {
		t.Fatalf("Components = %+v, want db with its error", r.Components)
	}
	if r.Code != http.StatusServiceUnavailable || r.Status != textDegraded {
		t.Errorf("Readiness = %d %q, want 503 %q", r.Code, r.Status, textDegraded)
	}
}

func TestReadinessNoComponents(t *testing.T) {
	m, _ := newMonitor(t)
	r := m.Readiness()
	if r.State != probes.StateStarting || r.Code != http.StatusBadRequest || r.Status != textStarting || r.Components == nil || len(r.Components) != 0 {
		t.Errorf("Readiness of an empty Monitor = %+v, want starting, 400, an empty list", r)
	}
}

// TestReadinessConsistent checks, under concurrent heartbeats, that the
// state of every snapshot is the one its components combine to.
func TestReadinessConsistent(t *testing.T) {
	m, _ := newMonitor(t)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, name := range []string{"a", "b", "c"} {
		wg.Go(func() {
			fail := errors.New("down")
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				if i%2 == 0 {
					m.Heartbeat(name, fail)
				} else {
					m.Heartbeat(name, nil)
				}
			}
		})
	}
	defer func() { close(stop); wg.Wait() }()
	for range 2000 {
		r := m.Readiness()
		var degraded, recovering, ok int
		for _, c := range r.Components {
			switch c.State {
			case probes.StateDegraded:
				degraded++
			case probes.StateRecovering:
				recovering++
			case probes.StateOK:
				ok++
			}
		}
		want := probes.StateStarting
		switch {
		case degraded > 0:
			want = probes.StateDegraded
		case recovering > 0:
			want = probes.StateRecovering
		case len(r.Components) > 0 && ok == len(r.Components):
			want = probes.StateOK
		}
		if r.State != want {
			t.Fatalf("snapshot state %v, but its components %+v combine to %v", r.State, r.Components, want)
		}
	}
}
