package router_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/go-chi/chi/v5"

	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/router"
)

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

func newMonitor(t *testing.T) *probes.Monitor {
	t.Helper()
	m, err := probes.New(probes.WithLogger(quietLogger()), probes.WithTeleportTexts())
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// metricsHandler is a stand-in for the telemetry handler: it reports the
// process state, so that /metrics reads the Monitor concurrently with
// heartbeats in the race test.
func metricsHandler(m *probes.Monitor) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4")
		fmt.Fprintf(w, "process_state %d\n", m.State())
	})
}

func newRouter(t *testing.T, m *probes.Monitor, debug bool) http.Handler {
	t.Helper()
	h, err := router.New(router.Config{Monitor: m, Metrics: metricsHandler(m), Debug: debug, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	return h
}

type reply struct {
	code   int
	header http.Header
	body   string
}

func do(t *testing.T, h http.Handler, method, target string) reply {
	t.Helper()
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(method, target, nil))
	return reply{rec.Code, rec.Header(), rec.Body.String()}
}

func TestNewRejectsIncompleteConfig(t *testing.T) {
	m := newMonitor(t)
	cases := []struct {
		name string
		cfg  router.Config
		want []string
	}{
		{"no monitor", router.Config{Metrics: http.NotFoundHandler()}, []string{"Config.Monitor is nil"}},
		{"no metrics", router.Config{Monitor: m}, []string{"Config.Metrics is nil"}},
		{"nothing", router.Config{}, []string{"Config.Monitor is nil", "Config.Metrics is nil"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			h, err := router.New(c.cfg)
			if err == nil || h != nil {
				t.Fatalf("New = (%v, %v), want an error", h, err)
			}
			for _, w := range c.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
}

func TestRoutes(t *testing.T) {
	m := newMonitor(t)
	m.Heartbeat("auth", nil)
	h := newRouter(t, m, false)
	pid := os.Getpid()
	cases := []struct {
		target string
		code   int
		body   string
	}{
		{"/healthz", 200, `{"status":"ok"}`},
		{"/readyz", 200, fmt.Sprintf(`{"status":"ok","pid":%d}`, pid)},
		{"/readyz/auth", 200, fmt.Sprintf(`{"status":"ok","pid":%d,"component":"auth"}`, pid)},
		{"/readyz/nope", 404, fmt.Sprintf(`{"status":"unknown component \"nope\"","pid":%d}`, pid)},
		{"/metrics", 200, "process_state 0\n"},
		// Without Config.Liveness, /livez has no checks and answers ok.
		{"/livez", 200, fmt.Sprintf(`{"status":"ok","pid":%d}`, pid)},
		{"/livez?verbose", 200, fmt.Sprintf(`{"status":"ok","pid":%d,"checks":[]}`, pid)},
		{"/livez/ping", 404, fmt.Sprintf(`{"status":"unknown liveness check \"ping\"","pid":%d}`, pid)},
	}
	for _, c := range cases {
		t.Run(c.target, func(t *testing.T) {
			got := do(t, h, http.MethodGet, c.target)
			if got.code != c.code || got.body != c.body {
				t.Errorf("GET: %d %q, want %d %q", got.code, got.body, c.code, c.body)
			}
			head := do(t, h, http.MethodHead, c.target)
			if head.code != c.code {
				t.Errorf("HEAD: %d, want %d", head.code, c.code)
			}
		})
	}
	got := do(t, h, http.MethodGet, "/readyz?verbose")
	if got.code != 200 || !strings.Contains(got.body, `"components":[{"name":"auth","state":"ok"`) {
		t.Errorf("verbose: %d %s", got.code, got.body)
	}
}

// TestLivezAndExclude wires a Liveness and checks /livez, /livez/{check}
// and ?exclude on both /livez and /readyz through the router.
func TestLivezAndExclude(t *testing.T) {
	m := newMonitor(t)
	m.Heartbeat("auth", nil)
	m.Heartbeat("cache", errors.New("refused"))
	wedged := probes.NamedCheck("worker", func(context.Context) error { return errors.New("no progress") })
	fine := probes.NamedCheck("loop", func(context.Context) error { return nil })
	live, err := probes.NewLiveness(fine, wedged)
	if err != nil {
		t.Fatal(err)
	}
	h, err := router.New(router.Config{Monitor: m, Liveness: live, Metrics: metricsHandler(m), Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	pid := os.Getpid()
	for _, c := range []struct {
		target string
		code   int
		body   string
	}{
		{"/livez", 500, fmt.Sprintf(`{"status":"liveness check failed: worker","pid":%d}`, pid)},
		{"/livez?exclude=worker", 200, fmt.Sprintf(`{"status":"ok","pid":%d}`, pid)},
		{"/livez/loop", 200, fmt.Sprintf(`{"status":"ok","pid":%d,"check":"loop"}`, pid)},
		{"/livez/worker", 500, fmt.Sprintf(`{"status":"liveness check failed: no progress","pid":%d,"check":"worker"}`, pid)},
		{"/readyz", 503, fmt.Sprintf(`{"status":"teleport is in a degraded state, check logs for details","pid":%d}`, pid)},
		{"/readyz?exclude=cache", 200, fmt.Sprintf(`{"status":"ok","pid":%d}`, pid)},
		{"/healthz", 200, `{"status":"ok"}`}, // Teleport's: never fails
	} {
		got := do(t, h, http.MethodGet, c.target)
		if got.code != c.code || got.body != c.body {
			t.Errorf("GET %s: %d %s\nwant %d %s", c.target, got.code, got.body, c.code, c.body)
		}
	}
}

func TestNotFoundAndMethodNotAllowed(t *testing.T) {
	h := newRouter(t, newMonitor(t), false)
	for _, target := range []string{"/", "/nope", "/healthz/x", "/readyz/a/b", "/livez/a/b", "/metricsx"} {
		if got := do(t, h, http.MethodGet, target); got.code != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", target, got.code)
		}
	}
	for _, target := range []string{"/healthz", "/livez", "/livez/x", "/readyz", "/readyz/auth", "/metrics"} {
		for _, method := range []string{http.MethodPost, http.MethodPut, http.MethodDelete} {
			got := do(t, h, method, target)
			if got.code != http.StatusMethodNotAllowed {
				t.Errorf("%s %s: %d, want 405", method, target, got.code)
				continue
			}
			allow := got.header.Values("Allow")
			slices.Sort(allow)
			if !slices.Equal(allow, []string{"GET", "HEAD"}) {
				t.Errorf("%s %s: Allow = %q, want GET and HEAD", method, target, allow)
			}
		}
	}
}

func TestPanicIsRecovered(t *testing.T) {
	var logs bytes.Buffer
	m := newMonitor(t)
	panicky := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic("collector bug") })
	h, err := router.New(router.Config{Monitor: m, Metrics: panicky, Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	for i := 0; i < 2; i++ {
		resp, err := srv.Client().Get(srv.URL + "/metrics")
		if err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusInternalServerError {
			t.Fatalf("request %d: %d, want 500", i, resp.StatusCode)
		}
	}
	resp, err := srv.Client().Get(srv.URL + "/healthz")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("after the panic: /healthz %d, want 200", resp.StatusCode)
	}
	if !strings.Contains(logs.String(), "collector bug") || !strings.Contains(logs.String(), "level=ERROR") {
		t.Fatalf("panic not logged:\n%s", logs.String())
	}
}

func TestAbortHandlerPanicIsNotSwallowed(t *testing.T) {
	m := newMonitor(t)
	abort := http.HandlerFunc(func(http.ResponseWriter, *http.Request) { panic(http.ErrAbortHandler) })
	h, err := router.New(router.Config{Monitor: m, Metrics: abort, Logger: quietLogger()})
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if rec := recover(); rec == nil || !errors.Is(rec.(error), http.ErrAbortHandler) {
			t.Fatalf("recovered %v, want http.ErrAbortHandler re-panicked", rec)
		}
	}()
	do(t, h, http.MethodGet, "/metrics")
}

func TestMountUnderPrefix(t *testing.T) {
	m := newMonitor(t)
	m.Heartbeat("auth", nil)
	h := newRouter(t, m, true)

	parent := chi.NewRouter()
	parent.Mount("/diag", h)
	mux := http.NewServeMux()
	mux.Handle("/diag/", http.StripPrefix("/diag", h))

	for name, outer := range map[string]http.Handler{"chi": parent, "ServeMux": mux} {
		t.Run(name, func(t *testing.T) {
			if got := do(t, outer, http.MethodGet, "/diag/readyz/auth"); got.code != 200 || !strings.Contains(got.body, `"component":"auth"`) {
				t.Errorf("/diag/readyz/auth: %d %s", got.code, got.body)
			}
			// A named profile must be served as such, not as the index page.
			got := do(t, outer, http.MethodGet, "/diag/debug/pprof/goroutine?debug=1")
			if got.code != 200 || !strings.HasPrefix(got.body, "goroutine profile:") {
				t.Errorf("/diag/debug/pprof/goroutine: %d %.80q", got.code, got.body)
			}
			if got := do(t, outer, http.MethodGet, "/diag/nope"); got.code != 404 {
				t.Errorf("/diag/nope: %d, want 404", got.code)
			}
		})
	}
}

func readAll(t *testing.T, resp *http.Response) string {
	t.Helper()
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("reading body: %v", err)
	}
	return string(b)
}
