package probes_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"time"

	"github.com/telediag/telediag/probes"
)

// A service plugs its own dependency check into the readiness state machine:
// the Runner heartbeats it and the Monitor turns the heartbeats into
// Teleport's /readyz.
func ExampleRunner() {
	monitor, err := probes.New(probes.WithExpected("queue"), probes.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		panic(err)
	}
	queue := probes.NamedCheck("queue", func(ctx context.Context) error {
		return nil // e.g. ping the message broker, honouring ctx
	})
	runner, err := probes.NewRunner(monitor, []probes.Checker{queue}, probes.WithHeartbeatInterval(time.Second))
	if err != nil {
		panic(err)
	}
	fmt.Println("before the first heartbeat:", monitor.State())

	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		runner.Run(ctx) // returns when ctx ends; the first heartbeat runs at once
	}()
	for monitor.State() != probes.StateOK {
		time.Sleep(time.Millisecond)
	}
	rec := httptest.NewRecorder()
	monitor.ReadyzHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/readyz", nil))
	fmt.Println("after it:", monitor.State(), rec.Code)
	stop()
	<-done
	// Output:
	// before the first heartbeat: starting
	// after it: ok 200
}

// The built-in checks: a TCP dial and an HTTP GET that must answer 2xx.
func ExampleNewTCPCheck() {
	db, err := probes.NewTCPCheck("db", "127.0.0.1:5432")
	if err != nil {
		panic(err)
	}
	api, err := probes.NewHTTPCheck("api", "https://api.internal/healthz", nil)
	if err != nil {
		panic(err)
	}
	_, err = probes.NewTCPCheck("db", "127.0.0.1") // no port
	fmt.Println(db.Name(), api.Name())
	fmt.Println(err)
	// Output:
	// db api
	// probes: tcp check "db": address "127.0.0.1": want host:port, as 127.0.0.1:5432
}

// /livez runs its checks on every request; ?exclude skips one, as on
// kube-apiserver.
func ExampleLiveness() {
	var wedged atomic.Bool
	worker := probes.NamedCheck("worker", func(context.Context) error {
		if wedged.Load() {
			return errors.New("no progress for 5m")
		}
		return nil
	})
	livez, err := probes.NewLiveness(worker)
	if err != nil {
		panic(err)
	}
	get := func(target string) {
		rec := httptest.NewRecorder()
		livez.LivezHandler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		fmt.Println(target, rec.Code)
	}
	get("/livez")
	wedged.Store(true)
	get("/livez")
	get("/livez?exclude=worker")
	// Output:
	// /livez 200
	// /livez 500
	// /livez?exclude=worker 200
}

// Each endpoint is a handler; the per-component and per-check ones read the name from the
// path with PathValue, so a plain http.ServeMux serves them too (package router mounts them
// all, with /metrics and /status, in one call).
func ExampleMonitor_ComponentHandler() {
	monitor, err := probes.New(probes.WithService("orders"), probes.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		panic(err)
	}
	monitor.Heartbeat("inventory", errors.New("dial tcp 10.0.0.7:9000: connection refused"))
	mux := http.NewServeMux()
	mux.Handle("GET /readyz", monitor.ReadyzHandler())
	mux.Handle("GET /readyz/{component}", monitor.ComponentHandler())
	for _, target := range []string{"/readyz", "/readyz/inventory", "/readyz/payments"} {
		rec := httptest.NewRecorder()
		mux.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, target, nil))
		var body struct {
			Status string `json:"status"`
		}
		_ = json.Unmarshal(rec.Body.Bytes(), &body)
		fmt.Println(target, rec.Code, body.Status)
	}
	// Output:
	// /readyz 503 orders is in a degraded state, check logs for details
	// /readyz/inventory 503 orders is in a degraded state, check logs for details
	// /readyz/payments 404 unknown component "payments"
}

// A listener hears every change of the process state, in order; a load balancer registration
// or an event to a pager can follow readiness this way.
func ExampleMonitor_Subscribe() {
	monitor, err := probes.New(probes.WithExpected("db"), probes.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		panic(err)
	}
	unsubscribe := monitor.Subscribe(func(c probes.Change) { fmt.Println(c.From, "->", c.To) })
	defer unsubscribe()
	monitor.Heartbeat("db", nil)
	monitor.Heartbeat("db", errors.New("connection reset"))
	monitor.Heartbeat("db", nil)
	// Output:
	// starting -> ok
	// ok -> degraded
	// degraded -> recovering
}
