// Package router mounts the diagnostics HTTP endpoints of a process —
// /healthz, /livez, /readyz, their per-check sub-paths, /metrics, the /status
// page for people and, when asked for, /debug/pprof — on a chi router, in
// one call: Install.
//
// The router is the service's own chi router, at the root of a dedicated
// diagnostics listener (as Teleport does with --diag-addr, and as the
// reference binary does) or under a prefix next to the service's API. A
// program on http.ServeMux installs on a chi.NewRouter() and hands that to
// its mux.
package router

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/go-chi/chi/v5"

	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/telemetry"
)

// Config is what Install mounts.
type Config struct {
	// Monitor answers /readyz and /readyz/{component}. Required. Unless it
	// was created with probes.WithService or probes.WithTeleportTexts, its
	// texts name the service Telemetry names.
	Monitor *probes.Monitor
	// Telemetry serves /metrics and names the service, from its
	// service.name (telemetry.WithServiceName, OTEL_SERVICE_NAME,
	// OTEL_RESOURCE_ATTRIBUTES), in the /readyz texts and on /status.
	// Required: a diagnostics endpoint without metrics is almost always a
	// wiring mistake.
	Telemetry *telemetry.Telemetry
	// Liveness answers /livez and /livez/{check}. Nil means a Liveness
	// without checks: /livez then answers 200 like /healthz.
	Liveness *probes.Liveness
	// Debug adds the /debug/pprof endpoints. They expose command lines,
	// symbols and profiles, and cost CPU, so they are off unless asked for,
	// as with Teleport's --debug.
	Debug bool
	// Logger receives recovered panics and profile requests. Nil means
	// slog.Default().
	Logger *slog.Logger
	// Status is what the /status page says about the process besides
	// readiness: its build and start time, and a name that overrides
	// Telemetry's. The zero value is usable.
	Status StatusInfo
}

// Install mounts the diagnostics endpoints on r under prefix: "/" (or "")
// for the root of a dedicated listener, "/diag" next to a service's own
// routes. Relative to the prefix:
//
//	GET, HEAD  /healthz              Teleport's liveness, always 200
//	GET, HEAD  /livez                Config.Liveness's checks (?verbose, ?exclude=NAME)
//	GET, HEAD  /livez/{check}        one liveness check, 404 if unknown
//	GET, HEAD  /readyz               process readiness (?verbose, ?exclude=NAME)
//	GET, HEAD  /readyz/{component}   one component's readiness, 404 if unknown
//	GET, HEAD  /metrics              Config.Telemetry's handler
//	GET, HEAD  /status               an HTML page for people, see below
//	/debug/pprof/...                 only when Config.Debug, see below
//
// Unknown paths under the prefix get 404, known paths with another method
// 405 with an Allow header, and a panicking handler 500 while the process
// keeps serving. The endpoints are a chi sub-router of their own, so r's
// other routes and middlewares are left as they are (r's middlewares also
// run for the endpoints).
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
// relative, so they work under any prefix. Every value is escaped
// (component names and errors come from users), a Content-Security-Policy
// allows no script, and the page reloads itself every
// Config.Status.Refresh. It answers 200 whatever the readiness.
//
// The service is named once, in the telemetry pipeline: Install gives
// Config.Telemetry's service name to the Monitor (see
// probes.Monitor.SetDefaultServiceName) and to the status page, unless
// probes.WithService, probes.WithTeleportTexts or Config.Status.Service
// override it.
//
// Install fails, and mounts nothing, if r, Monitor or Telemetry is nil, if
// Config.Status.Refresh is below one second, if prefix is not a path
// ("/diag") or r already has a route there.
func Install(r chi.Router, prefix string, cfg Config) error {
	log := cfg.Logger
	if log == nil {
		log = slog.Default()
	}
	var errs []error
	if r == nil {
		errs = append(errs, errors.New("no router to install on (r is nil)"))
	}
	prefix, err := mountPoint(prefix)
	if err != nil {
		errs = append(errs, err)
	}
	if cfg.Monitor == nil {
		errs = append(errs, errors.New("no readiness monitor (Config.Monitor is nil)"))
	}
	service := ""
	if cfg.Telemetry == nil {
		errs = append(errs, errors.New("no telemetry pipeline for /metrics (Config.Telemetry is nil)"))
	} else {
		service = cfg.Telemetry.ServiceName()
	}
	status, err := newStatusPage(cfg.Monitor, cfg.Status, service, cfg.Liveness != nil, cfg.Debug, log)
	if err != nil {
		errs = append(errs, err)
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("router: Install: %w", err)
	}
	live := cfg.Liveness
	if live == nil {
		if live, err = probes.NewLiveness(); err != nil {
			return fmt.Errorf("router: Install: %w", err)
		}
	}
	if err := mount(r, prefix, endpoints(cfg, live, status, log)); err != nil {
		return fmt.Errorf("router: Install: %w", err)
	}
	cfg.Monitor.SetDefaultServiceName(service)
	if cfg.Debug {
		log.Info("router: serving " + strings.TrimSuffix(prefix, "/") + "/debug/pprof; to profile, use go tool pprof <address>" +
			strings.TrimSuffix(prefix, "/") + "/debug/pprof/profile")
	}
	return nil
}

// endpoints is the sub-router Install mounts: every endpoint behind the recoverer, each for
// GET and HEAD.
func endpoints(cfg Config, live *probes.Liveness, status http.Handler, log *slog.Logger) *chi.Mux {
	sub := chi.NewRouter()
	sub.Use(recoverer(log))
	getHead := func(pattern string, h http.Handler) {
		sub.Method(http.MethodGet, pattern, h)
		sub.Method(http.MethodHead, pattern, h)
	}
	getHead("/healthz", live.HealthzHandler())
	getHead("/livez", live.LivezHandler())
	getHead("/livez/{check}", live.CheckHandler())
	getHead("/readyz", cfg.Monitor.ReadyzHandler())
	getHead("/readyz/{component}", cfg.Monitor.ComponentHandler())
	getHead("/metrics", cfg.Telemetry.Handler())
	getHead("/status", status)
	if cfg.Debug {
		mountPprof(sub, log)
	}
	return sub
}

// mountPoint checks prefix and returns it as chi's Mount takes it: "/" for the root, else
// without a trailing slash.
func mountPoint(prefix string) (string, error) {
	if prefix == "" || prefix == "/" {
		return "/", nil
	}
	if !strings.HasPrefix(prefix, "/") || strings.ContainsAny(prefix, "{}*?# \t") {
		return "", fmt.Errorf("prefix %q is not a path: want one such as /diag, or / for the root", prefix)
	}
	return strings.TrimSuffix(prefix, "/"), nil
}

// mount mounts sub on r at prefix, turning chi's panic on a path that is taken into an error:
// a second Install on the same prefix is a wiring mistake to report, not a crash.
func mount(r chi.Router, prefix string, sub http.Handler) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("cannot mount at prefix %q: %v", prefix, p)
		}
	}()
	r.Mount(prefix, sub)
	return nil
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
