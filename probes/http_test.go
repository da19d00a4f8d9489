package probes_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/telediag/telediag/probes"
)

const (
	textRecovering = "teleport is recovering from a degraded state, check logs for details"
	textDegraded   = "teleport is in a degraded state, check logs for details"
	textStarting   = "teleport is starting and hasn't joined the cluster yet"
	textShutdown   = "process is shutting down"
)

// serve runs h on req through a recorder, as a server would for GET.
func serve(h http.Handler, method, target string) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return rec
}

// serveAt routes the request through an http.ServeMux that has h on pattern, so that a
// handler reads its path wildcard with PathValue, as it does behind any router.
func serveAt(h http.Handler, pattern, method, target string) *httptest.ResponseRecorder {
	mux := http.NewServeMux()
	mux.Handle(pattern, h)
	return serve(mux, method, target)
}

func checkReply(t *testing.T, rec *httptest.ResponseRecorder, code int, body string) {
	t.Helper()
	if rec.Code != code {
		t.Errorf("status = %d, want %d (body %s)", rec.Code, code, rec.Body)
	}
	if got := rec.Body.String(); got != body {
		t.Errorf("body = %s\nwant   %s", got, body)
	}
	if ct := rec.Header().Get("Content-Type"); ct != "application/json" {
		t.Errorf("Content-Type = %q, want application/json", ct)
	}
	if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(len(body)) {
		t.Errorf("Content-Length = %q, want %d", cl, len(body))
	}
}

func pidBody(status string) string {
	return fmt.Sprintf(`{"status":%q,"pid":%d}`, status, os.Getpid())
}

func TestHealthz(t *testing.T) {
	h := newLiveness(t).HealthzHandler()
	checkReply(t, serve(h, http.MethodGet, "/healthz"), http.StatusOK, `{"status":"ok"}`)

	rec := serve(h, http.MethodHead, "/healthz")
	if rec.Code != http.StatusOK || rec.Body.Len() != 0 || rec.Header().Get("Content-Length") != "15" {
		t.Fatalf("HEAD /healthz: %d, body %q, Content-Length %q", rec.Code, rec.Body, rec.Header().Get("Content-Length"))
	}
}

func TestReadyzPerState(t *testing.T) {
	cases := []struct {
		state probes.State
		code  int
		text  string
	}{
		{probes.StateOK, http.StatusOK, "ok"},
		{probes.StateRecovering, http.StatusBadRequest, textRecovering},
		{probes.StateDegraded, http.StatusServiceUnavailable, textDegraded},
		{probes.StateStarting, http.StatusBadRequest, textStarting},
	}
	for _, c := range cases {
		t.Run(c.state.String(), func(t *testing.T) {
			m, _ := newMonitor(t)
			drive(t, m, "auth", c.state)
			h := m.ReadyzHandler()
			checkReply(t, serve(h, http.MethodGet, "/readyz"), c.code, pidBody(c.text))

			head := serve(h, http.MethodHead, "/readyz")
			if head.Code != c.code || head.Body.Len() != 0 {
				t.Errorf("HEAD: status %d body %q, want %d and no body", head.Code, head.Body, c.code)
			}
			if got, want := head.Header().Get("Content-Length"), strconv.Itoa(len(pidBody(c.text))); got != want {
				t.Errorf("HEAD Content-Length = %q, want %q like GET", got, want)
			}
			if head.Header().Get("Content-Type") != "application/json" {
				t.Errorf("HEAD Content-Type = %q", head.Header().Get("Content-Type"))
			}
		})
	}
}

func TestReadyzNoComponentsIsStarting(t *testing.T) {
	m, _ := newMonitor(t)
	checkReply(t, serve(m.ReadyzHandler(), http.MethodGet, "/readyz"), http.StatusBadRequest, pidBody(textStarting))
}

func TestReadyzVerbose(t *testing.T) {
	m, clk := newMonitor(t)
	t0 := clk.Now()
	m.Heartbeat("proxy", nil)
	clk.Advance(1500 * time.Millisecond)
	m.Heartbeat("auth", errors.New(`dial "x": refused`))

	want := fmt.Sprintf(`{"status":%q,"pid":%d,"components":[`+
		`{"name":"auth","state":"degraded","since":%q,"error":"dial \"x\": refused"},`+
		`{"name":"proxy","state":"ok","since":%q}]}`,
		textDegraded, os.Getpid(),
		t0.Add(1500*time.Millisecond).UTC().Format(time.RFC3339Nano), t0.UTC().Format(time.RFC3339Nano))
	for _, target := range []string{"/readyz?verbose", "/readyz?verbose=1", "/readyz?verbose=false&x=y"} {
		checkReply(t, serve(m.ReadyzHandler(), http.MethodGet, target), http.StatusServiceUnavailable, want)
	}
	// Not verbose: a similar but different parameter.
	checkReply(t, serve(m.ReadyzHandler(), http.MethodGet, "/readyz?verbosity=1"), http.StatusServiceUnavailable, pidBody(textDegraded))
}

func TestReadyzVerboseSinceIsUTC(t *testing.T) {
	clk := &manualClock{now: time.Date(2024, 1, 2, 3, 4, 5, 600, time.FixedZone("X", 3600))}
	m, err := probes.New(probes.WithClock(clk), probes.WithLogger(quietLogger()), probes.WithTeleportTexts())
	if err != nil {
		t.Fatal(err)
	}
	m.Heartbeat("auth", nil)
	want := fmt.Sprintf(`{"status":"ok","pid":%d,"components":[{"name":"auth","state":"ok","since":"2024-01-02T02:04:05.0000006Z"}]}`, os.Getpid())
	checkReply(t, serve(m.ReadyzHandler(), http.MethodGet, "/readyz?verbose"), http.StatusOK, want)
}

func TestReadyzVerboseEmpty(t *testing.T) {
	m, _ := newMonitor(t)
	want := fmt.Sprintf(`{"status":%q,"pid":%d,"components":[]}`, textStarting, os.Getpid())
	checkReply(t, serve(m.ReadyzHandler(), http.MethodGet, "/readyz?verbose"), http.StatusBadRequest, want)
}

func TestComponentHandler(t *testing.T) {
	m, _ := newMonitor(t)
	drive(t, m, "auth", probes.StateOK)
	drive(t, m, "node", probes.StateDegraded)
	drive(t, m, "proxy", probes.StateRecovering)
	drive(t, m, "kube", probes.StateStarting)
	pid := os.Getpid()
	cases := []struct {
		name string
		code int
		body string
	}{
		{"auth", http.StatusOK, fmt.Sprintf(`{"status":"ok","pid":%d,"component":"auth"}`, pid)},
		{"node", http.StatusServiceUnavailable, fmt.Sprintf(`{"status":%q,"pid":%d,"component":"node"}`, textDegraded, pid)},
		{"proxy", http.StatusBadRequest, fmt.Sprintf(`{"status":%q,"pid":%d,"component":"proxy"}`, textRecovering, pid)},
		{"kube", http.StatusBadRequest, fmt.Sprintf(`{"status":%q,"pid":%d,"component":"kube"}`, textStarting, pid)},
		{"x", http.StatusNotFound, fmt.Sprintf(`{"status":"unknown component \"x\"","pid":%d}`, pid)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			checkReply(t, serveAt(m.ComponentHandler(), "/readyz/{component}", http.MethodGet, "/readyz/"+c.name), c.code, c.body)
		})
	}
}

func TestShutdownFailsReadiness(t *testing.T) {
	m, _ := newMonitor(t)
	m.Heartbeat("auth", nil)
	h := m.ReadyzHandler()
	checkReply(t, serve(h, http.MethodGet, "/readyz"), http.StatusOK, pidBody("ok"))

	m.BeginShutdown()
	checkReply(t, serve(h, http.MethodGet, "/readyz"), http.StatusServiceUnavailable, pidBody(textShutdown))
	checkReply(t, serve(h, http.MethodGet, "/readyz?verbose"), http.StatusServiceUnavailable,
		fmt.Sprintf(`{"status":%q,"pid":%d,"components":[{"name":"auth","state":"ok","since":%q}]}`,
			textShutdown, os.Getpid(), newManualClock().Now().UTC().Format(time.RFC3339Nano)))

	for _, name := range []string{"auth", "unknown"} {
		checkReply(t, serveAt(m.ComponentHandler(), "/readyz/{component}", http.MethodGet, "/readyz/"+name), http.StatusServiceUnavailable,
			fmt.Sprintf(`{"status":%q,"pid":%d,"component":%q}`, textShutdown, os.Getpid(), name))
	}
	// Liveness is unaffected: the process is alive while it drains.
	checkReply(t, serve(newLiveness(t).HealthzHandler(), http.MethodGet, "/healthz"), http.StatusOK, `{"status":"ok"}`)
}

// TestMonitorOverHTTP reproduces Teleport's TestMonitor (§3.3) against a
// real HTTP server. Teleport accepts 400 where 503 is expected because its
// events are asynchronous; here heartbeats are applied synchronously, so
// every step must give exactly one code.
func TestMonitorOverHTTP(t *testing.T) {
	m, clk := newMonitor(t)
	m.Heartbeat("auth", nil) // before the server starts, like Teleport's pre-Start event
	srv := httptest.NewServer(m.ReadyzHandler())
	defer srv.Close()
	client := srv.Client()

	get := func(t *testing.T) (int, string) {
		t.Helper()
		resp, err := client.Get(srv.URL + "/readyz")
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		var r struct {
			Status string `json:"status"`
			PID    int    `json:"pid"`
		}
		if err := json.Unmarshal(b, &r); err != nil {
			t.Fatalf("body %q: %v", b, err)
		}
		if r.PID != os.Getpid() {
			t.Fatalf("pid = %d, want %d", r.PID, os.Getpid())
		}
		return resp.StatusCode, r.Status
	}

	if code, _ := get(t); code != http.StatusOK {
		t.Fatalf("step 0: %d, want 200", code)
	}
	const over = probes.DefaultRecoveryWindow + time.Nanosecond
	steps := []struct {
		advance   time.Duration
		component string
		err       error
		code      int
		text      string
	}{
		{0, "auth", errHeartbeat, 503, textDegraded},
		{0, "auth", nil, 400, textRecovering},
		{0, "auth", nil, 400, textRecovering}, // not enough time passed
		{over, "auth", nil, 200, "ok"},
		{0, "node", errHeartbeat, 503, textDegraded}, // new component
		{over, "auth", nil, 503, textDegraded},       // node still degraded
		{over, "node", nil, 400, textRecovering},
		{over, "node", nil, 200, "ok"},
	}
	for i, s := range steps {
		clk.Advance(s.advance)
		m.Heartbeat(s.component, s.err)
		code, text := get(t)
		if code != s.code || text != s.text {
			t.Fatalf("step %d (%s, err=%v, +%v): got %d %q, want %d %q", i+1, s.component, s.err, s.advance, code, text, s.code, s.text)
		}
	}
}

// TestRecoveryBoundaryOverHTTP pins the strict inequality: a success
// exactly one window after recovery began keeps the component recovering.
func TestRecoveryBoundaryOverHTTP(t *testing.T) {
	m, clk := newMonitor(t)
	srv := httptest.NewServer(m.ReadyzHandler())
	defer srv.Close()
	status := func() int {
		t.Helper()
		resp, err := srv.Client().Get(srv.URL)
		if err != nil {
			t.Fatal(err)
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return resp.StatusCode
	}
	m.Heartbeat("auth", errHeartbeat)
	m.Heartbeat("auth", nil) // recovery begins now
	clk.Advance(probes.DefaultRecoveryWindow)
	m.Heartbeat("auth", nil)
	if got := status(); got != http.StatusBadRequest {
		t.Fatalf("exactly one window after recovery began: %d, want 400", got)
	}
	clk.Advance(time.Nanosecond)
	m.Heartbeat("auth", nil)
	if got := status(); got != http.StatusOK {
		t.Fatalf("one window + 1ns after recovery began: %d, want 200", got)
	}
}

// TestReadyzTextsNameTheService: a service's /readyz texts name it; Teleport's exact texts are
// an option, which the reference binary takes.
func TestReadyzTextsNameTheService(t *testing.T) {
	for _, tc := range []struct {
		opts []probes.Option
		want string
	}{
		{nil, `"status":"service is in a degraded state, check logs for details"`},
		{[]probes.Option{probes.WithService("orders")}, `"status":"orders is in a degraded state, check logs for details"`},
		{[]probes.Option{probes.WithService("orders"), probes.WithTeleportTexts()}, `"status":"teleport is in a degraded state, check logs for details"`},
	} {
		m, err := probes.New(append(tc.opts, probes.WithLogger(quietLogger()))...)
		if err != nil {
			t.Fatal(err)
		}
		m.Heartbeat("db", errHeartbeat)
		rec := httptest.NewRecorder()
		m.ReadyzHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
		if rec.Code != http.StatusServiceUnavailable || !strings.Contains(rec.Body.String(), tc.want) {
			t.Errorf("%d %s, want 503 with %s", rec.Code, rec.Body.String(), tc.want)
		}
	}
	if _, err := probes.New(probes.WithService("")); err == nil {
		t.Error("an empty service name was accepted")
	}
}

// TestDefaultServiceNameReachesTheTexts: the name the router passes (telemetry's service.name)
// words /readyz, the per-component answer and Readiness, unless an option already chose the
// wording; an empty name changes nothing.
func TestDefaultServiceNameReachesTheTexts(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []probes.Option
		set  []string
		want string
	}{
		{"unnamed", nil, []string{"orders"}, "orders is in a degraded state, check logs for details"},
		{"renamed", nil, []string{"orders", "billing"}, "billing is in a degraded state, check logs for details"},
		{"empty name ignored", nil, []string{"orders", ""}, "orders is in a degraded state, check logs for details"},
		{"WithService wins", []probes.Option{probes.WithService("shop")}, []string{"orders"}, "shop is in a degraded state, check logs for details"},
		{"WithTeleportTexts wins", []probes.Option{probes.WithTeleportTexts()}, []string{"orders"}, textDegraded},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := probes.New(append(tc.opts, probes.WithLogger(quietLogger()))...)
			if err != nil {
				t.Fatal(err)
			}
			m.Heartbeat("db", errHeartbeat)
			for _, n := range tc.set {
				m.SetDefaultServiceName(n)
			}
			checkReply(t, serve(m.ReadyzHandler(), http.MethodGet, "/readyz"), http.StatusServiceUnavailable, pidBody(tc.want))
			checkReply(t, serve(m.ReadyzHandler(), http.MethodGet, "/readyz?verbose&exclude=nope"), http.StatusServiceUnavailable,
				fmt.Sprintf(`{"status":%q,"pid":%d,"components":[{"name":"db","state":"degraded","since":%q,"error":%q}],"warnings":["cannot exclude \"nope\": no component has that name"]}`,
					tc.want, os.Getpid(), m.Components()[0].Since.UTC().Format(time.RFC3339Nano), errHeartbeat.Error()))
			checkReply(t, serveAt(m.ComponentHandler(), "/readyz/{component}", http.MethodGet, "/readyz/db"), http.StatusServiceUnavailable,
				fmt.Sprintf(`{"status":%q,"pid":%d,"component":"db"}`, tc.want, os.Getpid()))
			if rd := m.Readiness(); rd.Status != tc.want || rd.Code != http.StatusServiceUnavailable {
				t.Errorf("Readiness: %d %q, want 503 %q", rd.Code, rd.Status, tc.want)
			}
		})
	}
}

// TestDefaultServiceNameWhileServing renames the service while /readyz is being answered: each
// answer names one service or the other, whole, and the race detector sees no race.
func TestDefaultServiceNameWhileServing(t *testing.T) {
	m, err := probes.New(probes.WithLogger(quietLogger()))
	if err != nil {
		t.Fatal(err)
	}
	m.Heartbeat("db", errHeartbeat)
	h := m.ReadyzHandler()
	done := make(chan struct{})
	go func() {
		defer close(done)
		for i := range 2000 {
			m.SetDefaultServiceName([]string{"alpha", "beta-service"}[i%2])
		}
	}()
	valid := map[string]bool{
		pidBody("service is in a degraded state, check logs for details"):      true,
		pidBody("alpha is in a degraded state, check logs for details"):        true,
		pidBody("beta-service is in a degraded state, check logs for details"): true,
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		for _, target := range []string{"/readyz", "/readyz?verbose"} {
			rec := serve(h, http.MethodGet, target)
			var body struct {
				Status string `json:"status"`
			}
			if err := json.Unmarshal(rec.Body.Bytes(), &body); err != nil || !valid[pidBody(body.Status)] {
				t.Fatalf("GET %s during a rename: %s (%v)", target, rec.Body, err)
			}
			if target == "/readyz" && !valid[rec.Body.String()] {
				t.Fatalf("GET /readyz during a rename: %s", rec.Body)
			}
			if cl := rec.Header().Get("Content-Length"); cl != strconv.Itoa(rec.Body.Len()) {
				t.Fatalf("Content-Length %s for a body of %d bytes", cl, rec.Body.Len())
			}
		}
	}
}

// TestReadyWithoutComponents: with WithReadyWithoutComponents a Monitor that knows no
// component is ok, and one with components behaves exactly as Teleport's.
func TestReadyWithoutComponents(t *testing.T) {
	m, _ := newMonitor(t, probes.WithReadyWithoutComponents())
	if m.State() != probes.StateOK {
		t.Fatalf("no components: State() = %v, want ok", m.State())
	}
	h := m.ReadyzHandler()
	checkReply(t, serve(h, http.MethodGet, "/readyz"), http.StatusOK, pidBody("ok"))
	checkReply(t, serve(h, http.MethodGet, "/readyz?verbose"), http.StatusOK,
		fmt.Sprintf(`{"status":"ok","pid":%d,"components":[]}`, os.Getpid()))
	if rd := m.Readiness(); rd.State != probes.StateOK || rd.Code != http.StatusOK || rd.Status != "ok" {
		t.Errorf("Readiness() = %+v, want ok 200", rd)
	}

	// A component that turns up decides at once, as anywhere else.
	m.Heartbeat("db", errHeartbeat)
	checkReply(t, serve(h, http.MethodGet, "/readyz"), http.StatusServiceUnavailable, pidBody(textDegraded))
	// Excluding every known component is not "no components": starting, as without the option.
	checkReply(t, serve(h, http.MethodGet, "/readyz?exclude=db"), http.StatusBadRequest, pidBody(textStarting))

	// Expected components make it start in starting, as Teleport's process does.
	e, _ := newMonitor(t, probes.WithReadyWithoutComponents(), probes.WithExpected("db"))
	if e.State() != probes.StateStarting {
		t.Fatalf("with an expected component: State() = %v, want starting", e.State())
	}
	checkReply(t, serve(e.ReadyzHandler(), http.MethodGet, "/readyz"), http.StatusBadRequest, pidBody(textStarting))
	e.Heartbeat("db", nil)
	checkReply(t, serve(e.ReadyzHandler(), http.MethodGet, "/readyz"), http.StatusOK, pidBody("ok"))

	// Without the option nothing changes: no components is starting.
	d, _ := newMonitor(t)
	checkReply(t, serve(d.ReadyzHandler(), http.MethodGet, "/readyz"), http.StatusBadRequest, pidBody(textStarting))
}
