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
	h := probes.HealthzHandler()
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

func TestServeComponent(t *testing.T) {
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
			rec := httptest.NewRecorder()
			m.ServeComponent(rec, httptest.NewRequest(http.MethodGet, "/readyz/"+c.name, nil), c.name)
			checkReply(t, rec, c.code, c.body)
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
		rec := httptest.NewRecorder()
		m.ServeComponent(rec, httptest.NewRequest(http.MethodGet, "/readyz/"+name, nil), name)
		checkReply(t, rec, http.StatusServiceUnavailable,
			fmt.Sprintf(`{"status":%q,"pid":%d,"component":%q}`, textShutdown, os.Getpid(), name))
	}
	// Liveness is unaffected: the process is alive while it drains.
	checkReply(t, serve(probes.HealthzHandler(), http.MethodGet, "/healthz"), http.StatusOK, `{"status":"ok"}`)
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
