// Command orders is a small service that brings its own metric catalogue to telediag:
//
//   - ordermetrics/instruments.yaml declares its metrics, and `go generate ./...` turns it into
//     typed OTel instruments (package ordermetrics);
//   - telemetry.New is the pipeline: /metrics in Prometheus's format, OTLP push when the standard
//     OTEL_* environment asks for it;
//   - the diagnostics router (/diag/healthz, /diag/readyz, /diag/metrics) is mounted in the
//     service's own chi router, next to its POST /orders;
//   - readiness follows the one dependency, the inventory service, checked every few seconds.
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
	"net"
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

	svc, err := newService(ctx, *inventory, log)
	if err != nil {
		return err
	}
	defer func() {
		if err := svc.tel.Shutdown(context.Background()); err != nil {
			log.Warn("telemetry shutdown", "error", err)
		}
	}()
	go svc.watchInventory(ctx, 5*time.Second)

	srv := &http.Server{Addr: *addr, Handler: svc.handler, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
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
	tel       *telemetry.Telemetry
	metrics   *ordermetrics.Instruments
	monitor   *probes.Monitor
	inventory string
	handler   http.Handler
}

func newService(ctx context.Context, inventory string, log *slog.Logger) (*service, error) {
	tel, err := telemetry.New(ctx, telemetry.WithServiceName("orders"), telemetry.WithLogger(log))
	if err != nil {
		return nil, err
	}
	metrics, err := ordermetrics.NewInstruments(tel.MeterProvider(), tel.InstrumentOptions()...)
	if err != nil {
		return nil, errors.Join(err, tel.Shutdown(ctx))
	}
	monitor, err := probes.New(probes.WithService("orders"), probes.WithExpected("inventory"), probes.WithLogger(log))
	if err != nil {
		return nil, errors.Join(err, tel.Shutdown(ctx))
	}
	diag, err := router.New(router.Config{Monitor: monitor, Metrics: tel.Handler(), Logger: log})
	if err != nil {
		return nil, errors.Join(err, tel.Shutdown(ctx))
	}
	s := &service{tel: tel, metrics: metrics, monitor: monitor, inventory: inventory}
	r := chi.NewRouter()
	r.Post("/orders", s.placeOrder)
	r.Mount("/diag", diag)
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

// watchInventory heartbeats the inventory dependency until ctx ends: /diag/readyz follows it.
func (s *service) watchInventory(ctx context.Context, every time.Duration) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		s.checkInventory(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

func (s *service) checkInventory(ctx context.Context) {
	dialCtx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	conn, err := (&net.Dialer{}).DialContext(dialCtx, "tcp", s.inventory)
	if err == nil {
		conn.Close()
	} else {
		s.metrics.InventoryUnreachableTotal.Add(ctx, 1)
	}
	s.monitor.Heartbeat("inventory", err)
}
