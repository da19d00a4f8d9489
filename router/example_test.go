package router_test

import (
	"context"
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
	"github.com/telediag/telediag/telemetry"
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

// A service mounts the diagnostics on its own chi router in one call, and names itself once,
// in the telemetry pipeline: /readyz's texts and /status use that name.
func ExampleInstall() {
	ctx := context.Background()
	tel, err := telemetry.New(ctx, telemetry.WithServiceName("orders"), telemetry.WithoutEnvironmentExporter())
	if err != nil {
		log.Fatal(err)
	}
	defer tel.Shutdown(ctx)
	monitor, err := probes.New(probes.WithExpected("inventory"))
	if err != nil {
		log.Fatal(err)
	}

	r := chi.NewRouter()
	r.Post("/orders", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(http.StatusCreated) })
	if err := router.Install(r, "/diag", router.Config{Monitor: monitor, Telemetry: tel}); err != nil {
		log.Fatal(err)
	}

	get(r, "/diag/readyz")
	monitor.Heartbeat("inventory", nil)
	get(r, "/diag/readyz")
	get(r, "/diag/readyz/inventory")
	get(r, "/diag/readyz/payments")
	get(r, "/diag/healthz")
	// Output:
	// /diag/readyz 400 orders is starting and not ready yet
	// /diag/readyz 200 ok
	// /diag/readyz/inventory 200 ok
	// /diag/readyz/payments 404 unknown component "payments"
	// /diag/healthz 200 ok
}

// The /status page for people, with the build it names, on a dedicated diagnostics listener
// (at the root, as Teleport's --diag-addr): http.Server{Addr: "127.0.0.1:3000", Handler: r}.
func ExampleInstall_status() {
	ctx := context.Background()
	tel, err := telemetry.New(ctx, telemetry.WithServiceName("orders"), telemetry.WithoutEnvironmentExporter())
	if err != nil {
		log.Fatal(err)
	}
	defer tel.Shutdown(ctx)
	m, err := probes.New()
	if err != nil {
		log.Fatal(err)
	}
	m.Heartbeat("db", nil)
	m.Heartbeat("cache", errors.New("dial tcp 127.0.0.1:6379: connect: connection refused"))
	r := chi.NewRouter()
	err = router.Install(r, "/", router.Config{
		Monitor:   m,
		Telemetry: tel,
		Status: router.StatusInfo{
			Version: "v1.4.2",
			GitRef:  "3f2c1d0",
			Started: time.Now(), // when the process started
			Refresh: 10 * time.Second,
		},
	})
	if err != nil {
		log.Fatal(err)
	}

	rec := httptest.NewRecorder()
	r.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/status", nil))
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
