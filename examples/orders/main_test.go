package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	colmetrics "go.opentelemetry.io/proto/otlp/collector/metrics/v1"
	"google.golang.org/protobuf/proto"

	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/telemetry"
)

func quiet() *slog.Logger { return slog.New(slog.DiscardHandler) }

// inventoryUp is a TCP listener standing in for the inventory service.
func inventoryUp(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.Close()
		}
	}()
	return ln.Addr().String()
}

func get(t *testing.T, url string) (int, string) {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, string(b)
}

// startHeartbeats runs svc's inventory heartbeats until the test ends.
func startHeartbeats(t *testing.T, svc *service) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); svc.runner.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
}

// waitReadyz polls /diag/readyz until it answers code.
func waitReadyz(t *testing.T, base string, code int) string {
	t.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for {
		got, body := get(t, base+"/diag/readyz")
		if got == code {
			return body
		}
		if time.Now().After(deadline) {
			t.Fatalf("/diag/readyz: %d %s, want %d", got, body, code)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// TestServiceServesItsOwnMetrics: /diag/metrics shows the service's catalogue (its label-less
// counter at 0 from the start), and nothing of Teleport's; /diag/readyz follows the inventory
// and names the service as telemetry.New does; so does /diag/status.
func TestServiceServesItsOwnMetrics(t *testing.T) {
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	ctx := context.Background()
	svc, err := newService(ctx, inventoryUp(t), time.Hour, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer svc.tel.Shutdown(ctx)
	srv := httptest.NewServer(svc.handler)
	defer srv.Close()

	if code, body := get(t, srv.URL+"/diag/readyz"); code != http.StatusBadRequest || !strings.Contains(body, `"status":"orders is starting and not ready yet"`) {
		t.Errorf("/diag/readyz before the first inventory check: %d %s, want 400 (starting, as Teleport answers) naming orders", code, body)
	}
	startHeartbeats(t, svc) // the first heartbeat runs at once
	waitReadyz(t, srv.URL, http.StatusOK)
	if code, body := get(t, srv.URL+"/diag/status"); code != http.StatusOK || !strings.Contains(body, `<h1 id="service">orders</h1>`) {
		t.Errorf("/diag/status: %d, does not name orders:\n%s", code, body)
	}
	if code, body := get(t, srv.URL+"/diag/livez?verbose"); code != http.StatusOK || !strings.Contains(body, `"name":"heartbeats","status":"ok"`) {
		t.Errorf("/diag/livez?verbose: %d %s, want the heartbeats check ok", code, body)
	}
	for _, q := range []string{"card", "card", "voucher", "bitcoin"} {
		resp, err := http.Post(srv.URL+"/orders?payment="+q, "", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
	}
	_, body := get(t, srv.URL+"/diag/metrics")
	for _, want := range []string{
		`orders_placed_total{payment_method="card"} 2`,
		`orders_placed_total{payment_method="voucher"} 1`,
		`orders_rejected_total{reason="unknown_payment_method"} 1`,
		`inventory_unreachable_total 0`,
		`orders_in_flight 0`,
		`order_processing_seconds_count 4`,
		"# TYPE orders_placed_total counter",
	} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/diag/metrics lacks %q", want)
		}
	}
	for _, line := range strings.Split(body, "\n") {
		if strings.HasPrefix(line, "teleport_") || strings.HasPrefix(line, "process_state") || strings.HasPrefix(line, "backend_") {
			t.Errorf("/diag/metrics serves Teleport's %s", line)
		}
	}
}

// lockedBuffer collects log output written from any goroutine.
type lockedBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// TestRejectReasonsPastTheLimit: the catalogue, created from tel.MeterProvider() alone, knows the
// pipeline's cardinality limit. With a limit of 5, the fifth rejection reason is the first that
// /diag/metrics serves as otel_metric_overflow="true", and the pipeline's logger warns once, then.
func TestRejectReasonsPastTheLimit(t *testing.T) {
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	ctx := context.Background()
	var logs lockedBuffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	tel, err := telemetry.New(ctx, telemetry.WithServiceName("orders"), telemetry.WithLogger(log), telemetry.WithCardinalityLimit(5))
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(ctx)
	svc, err := wire(tel, inventoryUp(t), time.Hour, log)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(svc.handler)
	defer srv.Close()

	reject := func(n int) { svc.metrics.OrdersRejectedTotal.Add(ctx, 1, fmt.Sprint("reason_", n)) }
	for n := 1; n <= 4; n++ {
		reject(n)
	}
	if _, body := get(t, srv.URL+"/diag/metrics"); strings.Contains(body, "otel_metric_overflow") {
		t.Fatalf("four reasons overflowed a limit of 5:\n%s", body)
	}
	if out := logs.String(); strings.Contains(out, "cardinality limit") {
		t.Fatalf("warned within the limit:\n%s", out)
	}
	reject(5)
	_, body := get(t, srv.URL+"/diag/metrics")
	for _, want := range []string{`orders_rejected_total{reason="reason_4"} 1`, `orders_rejected_total{otel_metric_overflow="true"} 1`} {
		if !strings.Contains(body, want+"\n") {
			t.Errorf("/diag/metrics lacks %q", want)
		}
	}
	if out := logs.String(); strings.Count(out, "cardinality limit") != 1 || !strings.Contains(out, "instrument=orders_rejected_total limit=5") {
		t.Errorf("want one warning for orders_rejected_total at limit 5:\n%s", out)
	}
}

// TestInventoryDownDegrades: an inventory that refuses connections degrades /diag/readyz (503,
// naming orders and the error under ?verbose) and is counted in inventory_unreachable_total.
func TestInventoryDownDegrades(t *testing.T) {
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	down := ln.Addr().String()
	ln.Close() // nothing listens there any more
	ctx := context.Background()
	svc, err := newService(ctx, down, probes.MinHeartbeatInterval, quiet())
	if err != nil {
		t.Fatal(err)
	}
	defer svc.tel.Shutdown(ctx)
	srv := httptest.NewServer(svc.handler)
	defer srv.Close()
	startHeartbeats(t, svc)

	body := waitReadyz(t, srv.URL, http.StatusServiceUnavailable)
	if !strings.Contains(body, `"status":"orders is in a degraded state, check logs for details"`) {
		t.Errorf("/diag/readyz: %s, want orders named", body)
	}
	if _, verbose := get(t, srv.URL+"/diag/readyz?verbose"); !strings.Contains(verbose, "connection refused") {
		t.Errorf("/diag/readyz?verbose does not give the dial error: %s", verbose)
	}
	_, metrics := get(t, srv.URL+"/diag/metrics")
	if strings.Contains(metrics, "inventory_unreachable_total 0\n") || !strings.Contains(metrics, "inventory_unreachable_total ") {
		t.Errorf("inventory_unreachable_total did not count the failed dials")
	}
}

// TestBadInventoryAddress: an -inventory that is not host:port is refused up front, naming the flag.
func TestBadInventoryAddress(t *testing.T) {
	t.Setenv("OTEL_METRICS_EXPORTER", "none")
	_, err := newService(context.Background(), "inventory", time.Second, quiet())
	if err == nil || !strings.Contains(err.Error(), "flag -inventory") || !strings.Contains(err.Error(), `"inventory"`) {
		t.Fatalf("newService with -inventory inventory: %v, want an error naming the flag and the value", err)
	}
}

// otlpReceiver is an OTLP/HTTP endpoint that decodes what it receives.
type otlpReceiver struct {
	mu    sync.Mutex
	names map[string]bool
}

func (o *otlpReceiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	b, err := io.ReadAll(r.Body)
	var req colmetrics.ExportMetricsServiceRequest
	if err == nil {
		err = proto.Unmarshal(b, &req)
	}
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	for _, rm := range req.GetResourceMetrics() {
		for _, sm := range rm.GetScopeMetrics() {
			for _, m := range sm.GetMetrics() {
				o.names[m.GetName()] = true
			}
		}
	}
	w.Header().Set("Content-Type", "application/x-protobuf")
}

// TestOTLPPushCarriesItsMetrics: with the standard OTEL_* environment pointing at an OTLP/HTTP
// endpoint, the service's metrics are pushed there (the final push at shutdown included).
func TestOTLPPushCarriesItsMetrics(t *testing.T) {
	recv := &otlpReceiver{names: map[string]bool{}}
	srv := httptest.NewServer(recv)
	defer srv.Close()
	t.Setenv("OTEL_EXPORTER_OTLP_ENDPOINT", srv.URL)
	t.Setenv("OTEL_EXPORTER_OTLP_PROTOCOL", "http/protobuf")
	ctx := context.Background()
	svc, err := newService(ctx, inventoryUp(t), time.Hour, quiet())
	if err != nil {
		t.Fatal(err)
	}
	svc.metrics.OrdersPlacedTotal.Add(ctx, 1, "card")
	if err := svc.tel.Shutdown(ctx); err != nil {
		t.Fatal(err)
	}
	recv.mu.Lock()
	defer recv.mu.Unlock()
	for _, name := range []string{"orders_placed_total", "inventory_unreachable_total", "go_goroutines"} {
		if !recv.names[name] {
			t.Errorf("%s was not pushed; received %v", name, recv.names)
		}
	}
	for name := range recv.names {
		if strings.HasPrefix(name, "teleport_") || name == "process_state" {
			t.Errorf("pushed Teleport's %s", name)
		}
	}
}
