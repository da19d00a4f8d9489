package router

import (
	"log/slog"
	"net/http"
	"net/http/pprof"
	"time"

	"github.com/go-chi/chi/v5"
)

// mountPprof registers net/http/pprof's handlers directly rather than
// chi's middleware.Profiler, which fixes its own paths and cannot lift the
// write deadline. The layout follows Teleport's RegisterProfilingHandlers.
func mountPprof(r chi.Router, log *slog.Logger) {
	logged := func(h http.Handler) http.Handler { return logProfile(log, h) }

	r.Method(http.MethodGet, "/debug/pprof/", logged(noWriteDeadline(http.HandlerFunc(pprof.Index))))
	r.Method(http.MethodGet, "/debug/pprof/cmdline", logged(http.HandlerFunc(pprof.Cmdline)))
	r.Method(http.MethodGet, "/debug/pprof/profile", logged(noWriteDeadline(http.HandlerFunc(pprof.Profile))))
	r.Method(http.MethodGet, "/debug/pprof/symbol", logged(http.HandlerFunc(pprof.Symbol)))
	r.Method(http.MethodPost, "/debug/pprof/symbol", logged(http.HandlerFunc(pprof.Symbol)))
	r.Method(http.MethodGet, "/debug/pprof/trace", logged(noWriteDeadline(http.HandlerFunc(pprof.Trace))))
	// Named profiles go through pprof.Handler with the name from the route,
	// not pprof.Index, because Index finds the name by cutting the literal
	// "/debug/pprof/" off the URL path and would serve the index page when
	// the router is mounted under a prefix.
	r.Method(http.MethodGet, "/debug/pprof/{name}", logged(noWriteDeadline(http.HandlerFunc(
		func(w http.ResponseWriter, req *http.Request) {
			pprof.Handler(chi.URLParam(req, "name")).ServeHTTP(w, req)
		}))))
}

// noWriteDeadline lets a handler run longer than the server's WriteTimeout:
// a CPU profile or trace of ?seconds=N writes nothing for N seconds, as
// Teleport's noWriteTimeout does. It clears the connection's write deadline.
//
// Unlike Teleport it leaves the *http.Server visible in the request
// context. Go's pprof used to refuse (400) a duration at or above the
// WriteTimeout when it saw the server, which is why Teleport hides it; since
// Go 1.23 pprof instead extends the deadline itself to WriteTimeout plus the
// requested duration. Keeping the server visible keeps that bounded deadline
// for profile, trace and delta profiles, and the cleared deadline covers the
// index and the cases where pprof cannot see the server (a front handler that
// replaces the request context, say).
func noWriteDeadline(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		// Not every ResponseWriter supports deadlines (httptest's
		// recorder does not); there is then no deadline to clear.
		_ = http.NewResponseController(w).SetWriteDeadline(time.Time{})
		next.ServeHTTP(w, r)
	})
}

// logProfile records who collects what, at debug level: profiling costs
// CPU and exposes internals, so it is worth a trace when debugging, but a
// scraper that polls /debug/pprof/heap every few seconds must not fill the
// info log (the one info line about pprof is Install's "serving /debug/pprof").
func logProfile(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		log.Debug("router: collecting pprof profile",
			"path", r.URL.Path, "seconds", r.URL.Query().Get("seconds"), "remote", r.RemoteAddr)
		next.ServeHTTP(w, r)
	})
}
