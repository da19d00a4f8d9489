// Package router assembles the diagnostics HTTP endpoints of a process —
// /healthz, /livez, /readyz, their per-check sub-paths, /metrics, the /status
// page for people and, when asked for, /debug/pprof — into one chi router.
//
// The result is an ordinary http.Handler, so a program can serve it on its
// own diagnostics listener (as Teleport does with --diag-addr) or mount it
// into an existing chi router or http.ServeMux, at the root or under a
// prefix.
package router

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"

	"github.com/go-chi/chi/v5"

	"github.com/telediag/telediag/probes"
)

// Config is what New needs to build the router.
type Config struct {
	// Monitor answers /readyz and /readyz/{component}. Required.
	Monitor *probes.Monitor
	// Liveness answers /livez and /livez/{check}. Nil means a Liveness
	// without checks: /livez then answers 200 like /healthz.
	Liveness *probes.Liveness
	// Metrics serves /metrics, typically the telemetry package's
	// Prometheus handler. Required: a diagnostics endpoint without metrics
	// is almost always a wiring mistake.
	Metrics http.Handler
	// Debug adds the /debug/pprof endpoints. They expose command lines,
	// symbols and profiles, and cost CPU, so they are off unless asked for,
	// as with Teleport's --debug.
	Debug bool
	// Logger receives recovered panics and profile requests. Nil means
	// slog.Default().
	Logger *slog.Logger
	// Status is what the /status page says about the process besides
	// readiness: its name, build and start time. The zero value is usable.
	Status StatusInfo
}

// New returns the diagnostics router:
//
//	GET, HEAD  /healthz              Teleport's liveness, always 200
//	GET, HEAD  /livez                Config.Liveness's checks (?verbose, ?exclude=NAME)
//	GET, HEAD  /livez/{check}        one liveness check, 404 if unknown
//	GET, HEAD  /readyz               process readiness (?verbose, ?exclude=NAME)
//	GET, HEAD  /readyz/{component}   one component's readiness, 404 if unknown
//	GET, HEAD  /metrics              Config.Metrics
//	GET, HEAD  /status               an HTML page for people, see below
//	/debug/pprof/...                 only when Config.Debug, see below
//
// Unknown paths get 404, known paths with another method 405 with an Allow
// header, and a panicking handler 500 while the process keeps serving.
//
// With Debug, GET /debug/pprof/ (index), cmdline, profile, symbol (GET and
// POST), trace and /debug/pprof/{name} for the named profiles (heap,
// goroutine, allocs, block, mutex, threadcreate). The index, profile, trace
// and named-profile handlers lift the server's write deadline, so that a 30s
// CPU profile is not cut off by a 30s WriteTimeout (where pprof can see the
// server, it then sets its own, WriteTimeout plus ?seconds).
//
// /status is server-rendered HTML without script or external assets: the
// service and its build (Config.Status), uptime, the process state with the
// code /readyz answers, each component's state, since when and last error,
// and links to /metrics, /readyz?verbose, /livez?verbose (when
// Config.Liveness is set) and /debug/pprof/ (only with Debug). The links are
// relative, so they work wherever the router is mounted. Every value is
// escaped (component names and errors come from users), a Content-Security-
// Policy allows no script, and the page reloads itself every
// Config.Status.Refresh. It answers 200 whatever the readiness.
//
// New fails if Monitor or Metrics is nil, or Config.Status.Refresh is below
// one second.
func New(cfg Config) (http.Handler, error) {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	var errs []error
	if cfg.Monitor == nil {
		errs = append(errs, errors.New("no readiness monitor (Config.Monitor is nil)"))
	}
	if cfg.Metrics == nil {
		errs = append(errs, errors.New("no metrics handler (Config.Metrics is nil)"))
	}
	status, err := newStatusPage(cfg.Monitor, cfg.Status, cfg.Liveness != nil, cfg.Debug, log)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, fmt.Errorf("router: invalid config: %w", err)
	}
	live := cfg.Liveness
	if live == nil {
		var err error
		if live, err = probes.NewLiveness(); err != nil {
			return nil, fmt.Errorf("router: %w", err)
		}
	}

	r := chi.NewRouter()
	r.Use(recoverer(log))

	getHead := func(pattern string, h http.Handler) {
		r.Method(http.MethodGet, pattern, h)
		r.Method(http.MethodHead, pattern, h)
	}
	getHead("/healthz", probes.HealthzHandler())
	getHead("/livez", live)
	getHead("/livez/{check}", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		live.ServeCheck(w, req, chi.URLParam(req, "check"))
	}))
	getHead("/readyz", cfg.Monitor.ReadyzHandler())
	getHead("/readyz/{component}", http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		cfg.Monitor.ServeComponent(w, req, chi.URLParam(req, "component"))
	}))
	getHead("/metrics", cfg.Metrics)
	getHead("/status", status)

	if cfg.Debug {
		log.Info("router: serving /debug/pprof; to profile, use go tool pprof <address>/debug/pprof/profile")
		mountPprof(r, log)
	}
	return r, nil
}

// recoverer turns a panicking handler into a 500 and a logged error, so
// that a bug in one endpoint (a metrics collector, say) does not take the
// process down. http.ErrAbortHandler is re-panicked: it is net/http's way
// to abort a response, not a bug.
func recoverer(log *slog.Logger) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			defer func() {
				rec := recover()
				if rec == nil {
					return
				}
				if rec == http.ErrAbortHandler {
					panic(rec)
				}
				log.Error("router: handler panicked",
					"method", r.Method, "path", r.URL.Path, "panic", fmt.Sprint(rec), "stack", string(debug.Stack()))
				// A WebSocket or other upgraded connection has no HTTP
				// response to write into.
				if r.Header.Get("Connection") != "Upgrade" {
					w.WriteHeader(http.StatusInternalServerError)
				}
			}()
			next.ServeHTTP(w, r)
		})
	}
}
