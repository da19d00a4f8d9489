package router_test

import (
	"context"
	"errors"
	"fmt"
	"html"
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
	"github.com/telediag/telediag/telemetry"
)

func quietLogger() *slog.Logger { return slog.New(slog.DiscardHandler) }

// testService is what newTelemetry names the service.
const testService = "router-test"

func newMonitor(t *testing.T, opts ...probes.Option) *probes.Monitor {
	t.Helper()
	m, err := probes.New(append([]probes.Option{probes.WithLogger(quietLogger()), probes.WithTeleportTexts()}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return m
}

// newTelemetry is a pipeline that pushes nowhere, named testService unless opts or the
// environment (which the test may set) name it otherwise. It is shut down when the test ends.
func newTelemetry(t *testing.T, opts ...telemetry.Option) *telemetry.Telemetry {
	t.Helper()
	tel, err := telemetry.New(context.Background(), append([]telemetry.Option{
		telemetry.WithServiceName(testService), telemetry.WithoutEnvironmentExporter(), telemetry.WithLogger(quietLogger()),
	}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	return tel
}

// install mounts cfg at the root of a new chi router, with newTelemetry's pipeline and a
// quiet logger unless cfg has its own.
func install(t *testing.T, cfg router.Config) http.Handler {
	t.Helper()
	r := chi.NewRouter()
	installAt(t, r, "/", cfg)
	return r
}

// installAt is install on r at prefix.
func installAt(t *testing.T, r chi.Router, prefix string, cfg router.Config) {
	t.Helper()
	if cfg.Telemetry == nil {
		cfg.Telemetry = newTelemetry(t)
	}
	if cfg.Logger == nil {
		cfg.Logger = quietLogger()
	}
	if err := router.Install(r, prefix, cfg); err != nil {
		t.Fatal(err)
	}
}

func newRouter(t *testing.T, m *probes.Monitor, debug bool) http.Handler {
	t.Helper()
	return install(t, router.Config{Monitor: m, Debug: debug})
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

func TestInstallRejectsBadInput(t *testing.T) {
	m, tel := newMonitor(t), newTelemetry(t)
	taken := chi.NewRouter()
	taken.Mount("/diag", http.NotFoundHandler())
	cases := []struct {
		name   string
		r      chi.Router
		prefix string
		cfg    router.Config
		want   []string
	}{
		{"no monitor", chi.NewRouter(), "/", router.Config{Telemetry: tel}, []string{"Config.Monitor is nil"}},
		{"no telemetry", chi.NewRouter(), "/", router.Config{Monitor: m}, []string{"Config.Telemetry is nil"}},
		{"nothing", nil, "diag", router.Config{}, []string{"r is nil", `prefix "diag"`, "Config.Monitor is nil", "Config.Telemetry is nil"}},
		{"pattern as prefix", chi.NewRouter(), "/diag/{x}", router.Config{Monitor: m, Telemetry: tel}, []string{`prefix "/diag/{x}" is not a path`}},
		{"prefix taken", taken, "/diag", router.Config{Monitor: m, Telemetry: tel}, []string{`cannot mount at prefix "/diag"`}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			err := router.Install(c.r, c.prefix, c.cfg)
			if err == nil {
				t.Fatal("Install succeeded, want an error")
			}
			for _, w := range append(c.want, "router: Install") {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q does not mention %q", err, w)
				}
			}
		})
	}
	// A failed Install mounts nothing.
	r := chi.NewRouter()
	if err := router.Install(r, "/", router.Config{Monitor: m}); err == nil || len(r.Routes()) != 0 {
		t.Errorf("Install without telemetry: error %v, %d routes mounted, want an error and none", err, len(r.Routes()))
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
	// /metrics is the pipeline's, in the Prometheus text format.
	got = do(t, h, http.MethodGet, "/metrics")
	if got.code != 200 || !strings.HasPrefix(got.header.Get("Content-Type"), "text/plain") || !strings.Contains(got.body, "\n# TYPE go_goroutines gauge\n") {
		t.Errorf("/metrics: %d %s %.200s", got.code, got.header.Get("Content-Type"), got.body)
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
	h := install(t, router.Config{Monitor: m, Liveness: live})
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

func TestInstallUnderPrefix(t *testing.T) {
	m := newMonitor(t)
	m.Heartbeat("auth", nil)

	app := chi.NewRouter()
	app.Get("/orders", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "orders") })
	installAt(t, app, "/diag", router.Config{Monitor: m, Debug: true})
	// A program on http.ServeMux installs on a chi router and hands that to its mux.
	onMux := chi.NewRouter()
	installAt(t, onMux, "/diag/", router.Config{Monitor: m, Debug: true}) // a trailing slash is the same prefix
	mux := http.NewServeMux()
	mux.Handle("/diag/", onMux)

	for name, outer := range map[string]http.Handler{"chi": app, "ServeMux": mux} {
		t.Run(name, func(t *testing.T) {
			if got := do(t, outer, http.MethodGet, "/diag/readyz/auth"); got.code != 200 || !strings.Contains(got.body, `"component":"auth"`) {
				t.Errorf("/diag/readyz/auth: %d %s", got.code, got.body)
			}
			// A named profile must be served as such, not as the index page.
			got := do(t, outer, http.MethodGet, "/diag/debug/pprof/goroutine?debug=1")
			if got.code != 200 || !strings.HasPrefix(got.body, "goroutine profile:") {
				t.Errorf("/diag/debug/pprof/goroutine: %d %.80q", got.code, got.body)
			}
			// (ServeMux itself redirects /diag to /diag/.)
			for _, target := range []string{"/diag/nope", "/diag/", "/readyz"} {
				if got := do(t, outer, http.MethodGet, target); got.code != 404 {
					t.Errorf("%s: %d, want 404", target, got.code)
				}
			}
			if got := do(t, outer, http.MethodPost, "/diag/readyz"); got.code != http.StatusMethodNotAllowed {
				t.Errorf("POST /diag/readyz: %d, want 405", got.code)
			}
		})
	}
	if got := do(t, app, http.MethodGet, "/diag"); got.code != 404 {
		t.Errorf("chi /diag: %d, want 404", got.code)
	}
	// The application's own routes are untouched.
	if got := do(t, app, http.MethodGet, "/orders"); got.code != 200 || got.body != "orders" {
		t.Errorf("/orders: %d %q", got.code, got.body)
	}
}

// TestServiceNamedOnce: the service names itself in the telemetry pipeline only, and /readyz
// and /status say that name; OTEL_SERVICE_NAME wins over the option, as for the metrics; the
// probes' and the page's own overrides win over both.
func TestServiceNamedOnce(t *testing.T) {
	cases := []struct {
		name           string
		env            string
		probeOpts      []probes.Option
		status         string
		readyz, header string
	}{
		{"option", "", nil, "", "orders", "orders"},
		{"OTEL_SERVICE_NAME wins", "orders-eu", nil, "", "orders-eu", "orders-eu"},
		{"probes override", "", []probes.Option{probes.WithService("shop")}, "", "shop", "orders"},
		{"status override", "", nil, "Orders (EU)", "orders", "Orders (EU)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("OTEL_SERVICE_NAME", c.env)
			m, err := probes.New(append([]probes.Option{probes.WithLogger(quietLogger()), probes.WithExpected("inventory")}, c.probeOpts...)...)
			if err != nil {
				t.Fatal(err)
			}
			h := install(t, router.Config{Monitor: m, Telemetry: newTelemetry(t, telemetry.WithServiceName("orders")),
				Status: router.StatusInfo{Service: c.status}})
			want := c.readyz + " is starting and not ready yet"
			for _, target := range []string{"/readyz", "/readyz/inventory"} {
				got := do(t, h, http.MethodGet, target)
				if got.code != http.StatusBadRequest || !strings.Contains(got.body, `"status":"`+want+`"`) {
					t.Errorf("GET %s: %d %s, want 400 %q", target, got.code, got.body, want)
				}
			}
			body := do(t, h, http.MethodGet, "/status").body
			if !strings.Contains(body, `<h1 id="service">`+html.EscapeString(c.header)+`</h1>`) {
				t.Errorf("/status does not name %q:\n%s", c.header, body)
			}
			if !strings.Contains(body, html.EscapeString(want)) {
				t.Errorf("/status does not show /readyz's text %q", want)
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
