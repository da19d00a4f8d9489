package probes_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/telediag/telediag/probes"
)

func newLiveness(t *testing.T, checks ...probes.Checker) *probes.Liveness {
	t.Helper()
	l, err := probes.NewLiveness(checks...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// switchable is a check whose result the test sets.
type switchable struct {
	name  string
	fail  atomic.Bool
	calls atomic.Int32
}

func (s *switchable) Name() string { return s.name }
func (s *switchable) Check(context.Context) error {
	s.calls.Add(1)
	if s.fail.Load() {
		return errors.New(s.name + " is wedged")
	}
	return nil
}

func TestLivenessNoChecks(t *testing.T) {
	l := newLiveness(t)
	checkReply(t, serve(l.LivezHandler(), http.MethodGet, "/livez"), http.StatusOK, pidBody("ok"))
	checkReply(t, serve(l.LivezHandler(), http.MethodGet, "/livez?verbose"), http.StatusOK,
		fmt.Sprintf(`{"status":"ok","pid":%d,"checks":[]}`, os.Getpid()))
	rec := serve(l.LivezHandler(), http.MethodHead, "/livez")
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != fmt.Sprint(len(pidBody("ok"))) {
		t.Errorf("HEAD /livez: %d, body %q, Content-Length %q", rec.Code, rec.Body, rec.Header().Get("Content-Length"))
	}
}

func TestLivenessChecksRunOnEveryRequest(t *testing.T) {
	a, b := &switchable{name: "a"}, &switchable{name: "b"}
	l := newLiveness(t, a, b)
	pid := os.Getpid()

	checkReply(t, serve(l.LivezHandler(), http.MethodGet, "/livez"), http.StatusOK, pidBody("ok"))
	b.fail.Store(true)
	checkReply(t, serve(l.LivezHandler(), http.MethodGet, "/livez"), http.StatusInternalServerError, pidBody("liveness check failed: b"))
	a.fail.Store(true)
	checkReply(t, serve(l.LivezHandler(), http.MethodGet, "/livez"), http.StatusInternalServerError, pidBody("liveness check failed: a, b"))
	checkReply(t, serve(l.LivezHandler(), http.MethodGet, "/livez?verbose"), http.StatusInternalServerError, fmt.Sprintf(
		`{"status":"liveness check failed: a, b","pid":%d,"checks":[{"name":"a","status":"failed","error":"a is wedged"},{"name":"b","status":"failed","error":"b is wedged"}]}`, pid))
	a.fail.Store(false)
	b.fail.Store(false)
	checkReply(t, serve(l.LivezHandler(), http.MethodGet, "/livez?verbose=1"), http.StatusOK, fmt.Sprintf(
		`{"status":"ok","pid":%d,"checks":[{"name":"a","status":"ok"},{"name":"b","status":"ok"}]}`, pid))
	if a.calls.Load() != 5 || b.calls.Load() != 5 {
		t.Errorf("checks ran %d and %d times for 5 requests: /livez must not cache", a.calls.Load(), b.calls.Load())
	}
}

func TestLivenessExclude(t *testing.T) {
	a, b, c := &switchable{name: "a"}, &switchable{name: "b"}, &switchable{name: "c"}
	l := newLiveness(t, a, b, c)
	pid := os.Getpid()
	b.fail.Store(true)
	c.fail.Store(true)

	checkReply(t, serve(l.LivezHandler(), http.MethodGet, "/livez?exclude=b"), http.StatusInternalServerError, pidBody("liveness check failed: c"))
	checkReply(t, serve(l.LivezHandler(), http.MethodGet, "/livez?exclude=b&exclude=c"), http.StatusOK, pidBody("ok"))
	if b.calls.Load() != 0 {
		t.Errorf("an excluded check ran %d times", b.calls.Load())
	}
	checkReply(t, serve(l.LivezHandler(), http.MethodGet, "/livez?exclude=b&exclude=c&exclude=b&verbose"), http.StatusOK, fmt.Sprintf(
		`{"status":"ok","pid":%d,"checks":[{"name":"a","status":"ok"},{"name":"b","status":"excluded"},{"name":"c","status":"excluded"}]}`, pid))
	// An unknown name does not fail the request; it is reported.
	checkReply(t, serve(l.LivezHandler(), http.MethodGet, "/livez?exclude=b&exclude=c&exclude=nope"), http.StatusOK, fmt.Sprintf(
		`{"status":"ok","pid":%d,"warnings":["cannot exclude \"nope\": no check has that name"]}`, pid))
	checkReply(t, serve(l.LivezHandler(), http.MethodGet, "/livez?exclude=nope"), http.StatusInternalServerError, fmt.Sprintf(
		`{"status":"liveness check failed: b, c","pid":%d,"warnings":["cannot exclude \"nope\": no check has that name"]}`, pid))
}

func TestLivenessCheckHandler(t *testing.T) {
	a := &switchable{name: "a"}
	l := newLiveness(t, a)
	pid := os.Getpid()
	get := func(target string) *httptest.ResponseRecorder {
		return serveAt(l.CheckHandler(), "GET /livez/{check}", http.MethodGet, target)
	}
	checkReply(t, get("/livez/a"), http.StatusOK, fmt.Sprintf(`{"status":"ok","pid":%d,"check":"a"}`, pid))
	a.fail.Store(true)
	checkReply(t, get("/livez/a"), http.StatusInternalServerError,
		fmt.Sprintf(`{"status":"liveness check failed: a is wedged","pid":%d,"check":"a"}`, pid))
	checkReply(t, get("/livez/b"), http.StatusNotFound,
		fmt.Sprintf(`{"status":"unknown liveness check \"b\"","pid":%d}`, pid))
}

// A check that ignores its context cannot hold a probe beyond
// LivenessTimeout; the others still answer, and a panicking check is a
// failure, not a crash.
func TestLivenessBoundedAndPanicSafe(t *testing.T) {
	slowDone := make(chan struct{})
	slow := probes.NamedCheck("slow", func(context.Context) error {
		defer close(slowDone)
		time.Sleep(probes.LivenessTimeout + 300*time.Millisecond) // ignores ctx
		return nil
	})
	boom := probes.NamedCheck("boom", func(context.Context) error { panic("nil map") })
	fine := &switchable{name: "fine"}
	l := newLiveness(t, slow, boom, fine)

	start := time.Now()
	rec := serve(l.LivezHandler(), http.MethodGet, "/livez?verbose")
	took := time.Since(start)
	<-slowDone // let the stray goroutine finish before goleak looks
	if took > probes.LivenessTimeout+200*time.Millisecond {
		t.Errorf("/livez took %v with a timeout of %v", took, probes.LivenessTimeout)
	}
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("status %d, want 500: %s", rec.Code, rec.Body)
	}
	var body struct {
		Status string
		Checks []struct{ Name, Status, Error string }
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil {
		t.Fatal(err)
	}
	if body.Status != "liveness check failed: slow, boom" {
		t.Errorf("status %q", body.Status)
	}
	got := map[string]string{}
	for _, c := range body.Checks {
		got[c.Name] = c.Status + ": " + c.Error
	}
	if !strings.HasPrefix(got["slow"], "failed: no answer within 1s") || got["boom"] != "failed: check panicked: nil map" || got["fine"] != "ok: " {
		t.Errorf("checks: %q", got)
	}
}

func TestNewLivenessRejectsBadChecks(t *testing.T) {
	a := &switchable{name: "a"}
	for _, tc := range []struct {
		checks []probes.Checker
		want   string
	}{
		{[]probes.Checker{a, a}, `liveness check name "a" given twice`},
		{[]probes.Checker{nil}, "liveness check 0 is nil"},
		{[]probes.Checker{&switchable{name: "a/b"}}, `name "a/b"`},
	} {
		l, err := probes.NewLiveness(tc.checks...)
		if err == nil || l != nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("NewLiveness: (%v, %v), want an error containing %q", l, err, tc.want)
		}
	}
}

// TestReadyzExclude checks kube-apiserver's ?exclude on top of Teleport's
// state machine: the others are combined by Teleport's rules and keep
// Teleport's codes and texts.
func TestReadyzExclude(t *testing.T) {
	m, _ := newMonitor(t)
	h := m.ReadyzHandler()
	pid := os.Getpid()
	drive(t, m, "auth", probes.StateOK)
	drive(t, m, "node", probes.StateDegraded)
	drive(t, m, "proxy", probes.StateRecovering)
	drive(t, m, "kube", probes.StateStarting)

	for _, tc := range []struct {
		query string
		code  int
		text  string
	}{
		{"", http.StatusServiceUnavailable, textDegraded},
		{"?exclude=node", http.StatusBadRequest, textRecovering},
		{"?exclude=node&exclude=proxy", http.StatusBadRequest, textStarting},
		{"?exclude=node&exclude=proxy&exclude=kube", http.StatusOK, "ok"},
		{"?exclude=kube&exclude=node&exclude=proxy&exclude=auth", http.StatusBadRequest, textStarting}, // none left: starting, as Teleport with no components
		{"?exclude=auth", http.StatusServiceUnavailable, textDegraded},
	} {
		t.Run(tc.query, func(t *testing.T) {
			checkReply(t, serve(h, http.MethodGet, "/readyz"+tc.query), tc.code, pidBody(tc.text))
		})
	}
	// The process state itself is unaffected.
	if m.State() != probes.StateDegraded {
		t.Errorf("State() = %v after excluded requests", m.State())
	}

	checkReply(t, serve(h, http.MethodGet, "/readyz?exclude=node&exclude=proxy&exclude=kube&exclude=db"), http.StatusOK,
		fmt.Sprintf(`{"status":"ok","pid":%d,"warnings":["cannot exclude \"db\": no component has that name"]}`, pid))

	rec := serve(h, http.MethodGet, "/readyz?verbose&exclude=node&exclude=proxy&exclude=kube")
	var v struct {
		Status     string
		Components []struct {
			Name, State string
			Excluded    bool
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &v); err != nil || rec.Code != http.StatusOK || v.Status != "ok" {
		t.Fatalf("verbose with exclude: %d %s (%v)", rec.Code, rec.Body, err)
	}
	var excluded []string
	for _, c := range v.Components {
		if c.Excluded {
			excluded = append(excluded, c.Name+"="+c.State)
		}
	}
	if strings.Join(excluded, " ") != "kube=starting node=degraded proxy=recovering" {
		t.Errorf("excluded components in the verbose body: %v", excluded)
	}
	if strings.Contains(serve(h, http.MethodGet, "/readyz?verbose").Body.String(), "excluded") {
		t.Error("verbose body without ?exclude mentions exclusion")
	}

	// Shutdown cannot be excluded.
	m.BeginShutdown()
	checkReply(t, serve(h, http.MethodGet, "/readyz?exclude=node&exclude=proxy&exclude=kube"), http.StatusServiceUnavailable, pidBody(textShutdown))
}
