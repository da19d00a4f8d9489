package router_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"regexp"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/router"
)

// get sends a GET through h and prints the status code and the "status"
// field of the JSON answer (the pid changes from run to run).
func get(h http.Handler, target string) {
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
	var body struct {
		Status string `json:"status"`
	}
	_ = json.Unmarshal(rec.Body.Bytes(), &body)
	fmt.Println(target, rec.Code, body.Status)
}

// newDiagnostics builds a Monitor with one healthy component and the
// diagnostics router around it. A real program passes the telemetry
// package's Prometheus handler as Metrics.
func newDiagnostics() http.Handler {
	m, err := probes.New()
	if err != nil {
		log.Fatal(err)
	}
	m.Heartbeat("auth", nil)
	h, err := router.New(router.Config{
		Monitor: m,
		Metrics: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
			fmt.Fprintf(w, "process_state %d\n", m.State())
		}),
	})
	if err != nil {
		log.Fatal(err)
	}
	return h
}

// The router serves its own listener, as with Teleport's --diag-addr:
// http.Server{Addr: "127.0.0.1:3000", Handler: h}.
func ExampleNew() {
	h := newDiagnostics()
	get(h, "/healthz")
	get(h, "/readyz")
	get(h, "/readyz/auth")
	get(h, "/readyz/proxy")
	// Output:
	// /healthz 200 ok
	// /readyz 200 ok
	// /readyz/auth 200 ok
	// /readyz/proxy 404 unknown component "proxy"
}

// Mounting into an application's chi router, at the root next to the
// application's routes, or under a prefix.
func ExampleNew_chi() {
	diag := newDiagnostics()

	app := chi.NewRouter()
	app.Get("/hello", func(w http.ResponseWriter, _ *http.Request) { fmt.Fprint(w, "hi") })
	app.Mount("/", diag)
	get(app, "/readyz")

	prefixed := chi.NewRouter()
	prefixed.Mount("/diag", diag)
	get(prefixed, "/diag/readyz")
	// Output:
	// /readyz 200 ok
	// /diag/readyz 200 ok
}

// Mounting into a standard library http.ServeMux, at the root or under a
// prefix with http.StripPrefix.
func ExampleNew_serveMux() {
	diag := newDiagnostics()

	mux := http.NewServeMux()
	mux.Handle("/", diag)
	get(mux, "/healthz")

	prefixed := http.NewServeMux()
	prefixed.Handle("/diag/", http.StripPrefix("/diag", diag))
	get(prefixed, "/diag/readyz")
	// Output:
	// /healthz 200 ok
	// /diag/readyz 200 ok
}

// The /status page for people, with the service and build it names, mounted under a prefix:
// its links are relative, so they stay under /diag.
func ExampleNew_status() {
	m, err := probes.New()
	if err != nil {
		log.Fatal(err)
	}
	m.Heartbeat("db", nil)
	m.Heartbeat("cache", errors.New("dial tcp 127.0.0.1:6379: connect: connection refused"))
	diag, err := router.New(router.Config{
		Monitor: m,
		Metrics: http.NotFoundHandler(), // the telemetry package's Handler() in a real program
		Status: router.StatusInfo{
			Service: "orders",
			Version: "v1.4.2",
			GitRef:  "3f2c1d0",
			Started: time.Now(), // when the process started
			Refresh: 10 * time.Second,
		},
	})
	if err != nil {
		log.Fatal(err)
	}
	app := chi.NewRouter()
	app.Mount("/diag", diag)

	rec := httptest.NewRecorder()
	app.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/diag/status", nil))
	page := rec.Body.String()
	fmt.Println(rec.Code, rec.Header().Get("Content-Type"))
	fmt.Println(regexp.MustCompile(`<title>.*</title>`).FindString(page))
	for _, row := range regexp.MustCompile(`data-component="([^"]*)" data-state="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		fmt.Println(row[1], row[2])
	}
	for _, link := range regexp.MustCompile(`<a href="([^"]*)"`).FindAllStringSubmatch(page, -1) {
		fmt.Println("link", link[1])
	}
	// Output:
	// 200 text/html; charset=utf-8
	// <title>orders: degraded</title>
	// cache degraded
	// db ok
	// link readyz?verbose
	// link metrics
	// link readyz?verbose
}
