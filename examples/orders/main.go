// Command orders is a small service that brings its own metric catalogue to telediag:
//
//   - ordermetrics/instruments.yaml declares its metrics, and `go generate ./...` turns it into
//     typed OTel instruments (package ordermetrics);
//   - telemetry.New is the pipeline: /metrics in Prometheus's format, OTLP push when the standard
//     OTEL_* environment asks for it, and the one place the service names itself;
//   - router.Install mounts the diagnostics (/diag/healthz, /diag/livez, /diag/readyz,
//     /diag/metrics, /diag/status) on the service's own chi router, next to its POST /orders;
//   - readiness follows the one dependency, the inventory service, which a probes.Runner dials
//     every few seconds.
//
// Run it from this directory:
//
//	go run . -inventory 127.0.0.1:9000
//	curl -X POST '127.0.0.1:8080/orders?payment=card'
//	curl 127.0.0.1:8080/diag/metrics
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/go-chi/chi/v5"

	"github.com/telediag/telediag/examples/orders/ordermetrics"
	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/router"
	"github.com/telediag/telediag/telemetry"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "orders:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, stderr io.Writer) error {
	fs := flag.NewFlagSet("orders", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8080", "address to serve the API and /diag on")
	inventory := fs.String("inventory", "127.0.0.1:9000", "host:port of the inventory service")
	if err := fs.Parse(args); err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, nil))

	svc, err := newService(ctx, *inventory, probes.DefaultHeartbeatInterval, log)
	if err != nil {
		return err
	}
	defer func() {
		// A deadline of its own: the run's context is done by now, and without one an export
		// to a collector that does not answer would hold the exit for its whole timeout.
		flushCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := svc.tel.Shutdown(flushCtx); err != nil {
			log.Warn("telemetry shutdown", "error", err)
		}
	}()
	work, stopWork := context.WithCancel(ctx)
	heartbeats := make(chan struct{})
	go func() { defer close(heartbeats); svc.runner.Run(work) }()
	defer func() { stopWork(); <-heartbeats }() // also when serving fails: no loop outlives run

	srv := &http.Server{Addr: *addr, Handler: svc.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-work.Done()
		svc.monitor.BeginShutdown()
		shutdownCtx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = srv.Shutdown(shutdownCtx)
	}()
	log.Info("serving", "addr", *addr, "inventory", *inventory)
	if err := srv.ListenAndServe(); !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// service is the orders API with its diagnostics.
type service struct {
	tel     *telemetry.Telemetry
	metrics *ordermetrics.Instruments
	monitor *probes.Monitor
	runner  *probes.Runner // heartbeats the inventory into monitor once Run
	handler http.Handler
}

// newService wires the service: the pipeline (which names it, once), its catalogue, readiness
// following the inventory at host:port inventory, dialled every interval, and the routes.
func newService(ctx context.Context, inventory string, interval time.Duration, log *slog.Logger) (*service, error) {
	tel, err := telemetry.New(ctx, telemetry.WithServiceName("orders"), telemetry.WithLogger(log))
	if err != nil {
		return nil, err
	}
	s, err := wire(tel, inventory, interval, log)
	if err != nil {
		return nil, errors.Join(err, tel.Shutdown(ctx))
	}
	return s, nil
}

// wire is newService on a pipeline that exists.
func wire(tel *telemetry.Telemetry, inventory string, interval time.Duration, log *slog.Logger) (*service, error) {
	metrics, err := ordermetrics.NewInstruments(tel.MeterProvider())
	if err != nil {
		return nil, err
	}
	monitor, err := probes.New(probes.WithExpected("inventory"), probes.WithLogger(log))
	if err != nil {
		return nil, err
	}
	dial, err := probes.NewTCPCheck("inventory", inventory)
	if err != nil {
		return nil, fmt.Errorf("flag -inventory: %w", err)
	}
	// The check counts what it sees as well as reporting it: a failed dial is a heartbeat that
	// degrades the service and one more inventory_unreachable_total.
	check := probes.NamedCheck("inventory", func(ctx context.Context) error {
		err := dial.Check(ctx)
		if err != nil {
			metrics.InventoryUnreachableTotal.Add(ctx, 1)
		}
		return err
	})
	runner, err := probes.NewRunner(monitor, []probes.Checker{check},
		probes.WithHeartbeatInterval(interval), probes.WithCheckTimeout(2*time.Second))
	if err != nil {
		return nil, err
	}
	liveness, err := probes.NewLiveness(runner.LivenessCheck("heartbeats")) // /diag/livez fails if the loop hangs
	if err != nil {
		return nil, err
	}
	s := &service{tel: tel, metrics: metrics, monitor: monitor, runner: runner}
	r := chi.NewRouter()
	r.Post("/orders", s.placeOrder)
	if err := router.Install(r, "/diag", router.Config{Monitor: monitor, Telemetry: tel, Liveness: liveness, Logger: log}); err != nil {
		return nil, err
	}
	s.handler = r
	return s, nil
}

// placeOrder accepts an order paid by ?payment=card|invoice|voucher.
func (s *service) placeOrder(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	start := time.Now()
	s.metrics.OrdersInFlight.Add(ctx, 1)
	defer func() {
		s.metrics.OrdersInFlight.Add(ctx, -1)
		s.metrics.OrderProcessingSeconds.Record(ctx, time.Since(start).Seconds())
	}()
	method := ordermetrics.PaymentMethodAttr(r.URL.Query().Get("payment"))
	switch method {
	case ordermetrics.PaymentMethodCard, ordermetrics.PaymentMethodInvoice, ordermetrics.PaymentMethodVoucher:
	default:
		s.metrics.OrdersRejectedTotal.Add(ctx, 1, "unknown_payment_method")
		http.Error(w, "payment must be card, invoice or voucher", http.StatusBadRequest)
		return
	}
	s.metrics.OrdersPlacedTotal.Add(ctx, 1, method)
	w.WriteHeader(http.StatusCreated)
}
