// Command telediag is the reference diagnostics process and a usable sidecar: it serves
// Teleport's --diag-addr endpoints (/healthz, /readyz, /metrics and, with --debug,
// /debug/pprof) for the components it is told to check, and pushes the same metrics over OTLP
// when the standard OTEL_* environment configures an exporter.
//
//	telediag --demo                                   the whole catalogue with synthetic values
//	telediag --check db=tcp://127.0.0.1:5432 \
//	         --check api=https://api.internal/healthz   readiness of real upstreams
//
// Run telediag -h for every flag.
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
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/go-logr/logr"
	"go.opentelemetry.io/otel"

	"github.com/telediag/telediag/internal/demo"
	"github.com/telediag/telediag/internal/heartbeat"
	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/router"
	"github.com/telediag/telediag/telemetry"
	"github.com/telediag/telediag/telemetry/teleport"
)

// Server timeouts of Teleport's diagnostic server (lib/service: DefaultIOTimeout,
// ReadHeadersTimeout, DefaultIdleTimeout).
const (
	readTimeout       = 30 * time.Second
	readHeaderTimeout = 10 * time.Second
	writeTimeout      = 30 * time.Second
	idleTimeout       = 30 * time.Second
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	go func() {
		// The first signal begins a graceful shutdown; restoring the default handling makes
		// a second one end the process at once, as operators expect of a second Ctrl-C.
		<-ctx.Done()
		stop()
	}()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// config is the parsed command line.
type config struct {
	diagAddr          string
	debug             bool
	checks            []heartbeat.Check
	heartbeatInterval time.Duration
	recoveryWindow    time.Duration
	shutdownDelay     time.Duration
	shutdownTimeout   time.Duration
	demo              bool
	logLevel          slog.Level
}

// checkFlags collects repeated --check NAME=URL flags, rejecting a bad one at parse time.
type checkFlags struct{ checks *[]heartbeat.Check }

func (c checkFlags) String() string {
	if c.checks == nil {
		return ""
	}
	var s []string
	for _, ch := range *c.checks {
		s = append(s, ch.Name+"="+ch.URL.Redacted())
	}
	return strings.Join(s, ",")
}

func (c checkFlags) Set(v string) error {
	ch, err := heartbeat.Parse(v)
	if err != nil {
		return err
	}
	for _, prev := range *c.checks {
		if prev.Name == ch.Name {
			return fmt.Errorf("check name %q given twice", ch.Name)
		}
	}
	*c.checks = append(*c.checks, ch)
	return nil
}

// parseFlags reads args. A bad flag is an error naming it; -h is flag.ErrHelp.
func parseFlags(args []string, stderr io.Writer) (*config, error) {
	cfg := &config{}
	fs := flag.NewFlagSet("telediag", flag.ContinueOnError)
	fs.SetOutput(io.Discard) // errors are printed once, by the caller, as one line
	fs.StringVar(&cfg.diagAddr, "diag-addr", "127.0.0.1:3000", "`address` to serve /healthz, /readyz, /metrics (and /debug/pprof) on")
	fs.BoolVar(&cfg.debug, "debug", false, "serve /debug/pprof")
	fs.BoolVar(&cfg.debug, "d", false, "shorthand for --debug")
	fs.Var(checkFlags{&cfg.checks}, "check", "`NAME=URL` readiness component probing tcp://host:port (dial) or http(s)://… (GET, 2xx); repeatable")
	fs.DurationVar(&cfg.heartbeatInterval, "heartbeat-interval", 5*time.Second, "how often each check heartbeats (Teleport: 5s)")
	fs.DurationVar(&cfg.recoveryWindow, "recovery-window", 0, "how long a recovering component must keep succeeding before it is ok (default 2 × --heartbeat-interval)")
	fs.DurationVar(&cfg.shutdownDelay, "shutdown-delay", 0, "on SIGTERM, keep serving with /readyz at 503 this long before closing, so load balancers notice")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 15*time.Second, "how long to wait for in-flight requests and the last OTLP export on shutdown")
	fs.BoolVar(&cfg.demo, "demo", false, "record synthetic values into every instrument each second, with simulated auth, proxy and node components")
	logLevel := fs.String("log-level", "info", "`level` of logs on stderr: debug, info, warn or error")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprintln(stderr, "usage: telediag [flags]")
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: telediag takes flags only", fs.Arg(0))
	}
	if err := cfg.logLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return nil, fmt.Errorf("invalid value %q for flag -log-level: want debug, info, warn or error", *logLevel)
	}
	if _, _, err := net.SplitHostPort(cfg.diagAddr); err != nil {
		return nil, fmt.Errorf("invalid value %q for flag -diag-addr: %v", cfg.diagAddr, err)
	}
	if cfg.heartbeatInterval <= 0 {
		return nil, fmt.Errorf("invalid value %v for flag -heartbeat-interval: must be positive", cfg.heartbeatInterval)
	}
	switch {
	case cfg.recoveryWindow < 0:
		return nil, fmt.Errorf("invalid value %v for flag -recovery-window: must not be negative", cfg.recoveryWindow)
	case cfg.recoveryWindow == 0:
		cfg.recoveryWindow = 2 * cfg.heartbeatInterval
	}
	if cfg.shutdownDelay < 0 {
		return nil, fmt.Errorf("invalid value %v for flag -shutdown-delay: must not be negative", cfg.shutdownDelay)
	}
	if cfg.shutdownTimeout <= 0 {
		return nil, fmt.Errorf("invalid value %v for flag -shutdown-timeout: must be positive", cfg.shutdownTimeout)
	}
	if cfg.demo {
		for _, c := range cfg.checks {
			for _, d := range demo.Components {
				if c.Name == d {
					return nil, fmt.Errorf("invalid value for flag -check: name %q is taken by --demo's simulated components", c.Name)
				}
			}
		}
	}
	return cfg, nil
}

// run is the whole process; it returns the exit status. Cancelling ctx (SIGINT, SIGTERM)
// begins a graceful shutdown.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	cfg, err := parseFlags(args, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "telediag: %v (see telediag -h)\n", err)
		return 2
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.logLevel}))
	// The OTel SDK reports what it cannot use (an invalid OTEL_METRIC_EXPORT_INTERVAL, say)
	// through its global logger and error handler; send both to our log, with our format.
	otel.SetLogger(logr.FromSlogHandler(log.Handler()))
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) { log.Warn("opentelemetry", "error", err) }))
	if err := serve(ctx, cfg, log); err != nil {
		fmt.Fprintf(stderr, "telediag: %v\n", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, cfg *config, log *slog.Logger) error {
	// Listen first: an address that cannot be listened on fails before anything starts.
	ln, err := net.Listen("tcp", cfg.diagAddr)
	if err != nil {
		return fmt.Errorf("listen on -diag-addr %s: %w", cfg.diagAddr, err)
	}
	defer ln.Close()

	var expected []string
	for _, c := range cfg.checks {
		expected = append(expected, c.Name)
	}
	if cfg.demo {
		expected = append(expected, demo.Components...)
	}
	monitor, err := probes.New(
		probes.WithRecoveryWindow(cfg.recoveryWindow),
		probes.WithExpected(expected...),
		probes.WithLogger(log),
		probes.WithListener(func(c probes.Change) {
			log.Info("readiness changed", "from", c.From, "to", c.To)
		}),
	)
	if err != nil {
		return err
	}
	tel, err := telemetry.New(ctx, telemetry.WithServiceName("telediag"), telemetry.WithLogger(log))
	if err != nil {
		return err
	}
	// Teleport's catalogue, process_state following the monitor: the reference process serves
	// what a Teleport --diag-addr serves.
	metrics, err := teleport.New(tel.Meter(teleport.ScopeName), monitor, teleport.WithInstrumentOptions(tel.InstrumentOptions()...))
	if err != nil {
		return errors.Join(err, tel.Shutdown(context.Background()))
	}
	handler, err := router.New(router.Config{Monitor: monitor, Metrics: tel.Handler(), Debug: cfg.debug, Logger: log})
	if err != nil {
		return errors.Join(err, tel.Shutdown(context.Background()))
	}

	work, stopWork := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if len(cfg.checks) > 0 {
		wg.Go(func() { heartbeat.NewProber().Run(work, monitor, cfg.checks, cfg.heartbeatInterval) })
	}
	if cfg.demo {
		wg.Go(func() {
			demo.Run(work, demo.NewGenerator(metrics.Instruments, uint64(time.Now().UnixNano())), monitor, time.Second)
		})
	}

	srv := &http.Server{
		Handler:           handler,
		ReadTimeout:       readTimeout,
		ReadHeaderTimeout: readHeaderTimeout,
		WriteTimeout:      writeTimeout,
		IdleTimeout:       idleTimeout,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	log.Info("serving diagnostics", "addr", ln.Addr().String(), "debug", cfg.debug, "checks", len(cfg.checks), "demo", cfg.demo)

	var serveErr error
	select {
	case <-ctx.Done():
		log.Info("shutting down: /readyz now answers 503")
	case serveErr = <-served:
		serveErr = fmt.Errorf("serve %s: %w", ln.Addr(), serveErr)
	}
	monitor.BeginShutdown()
	if serveErr == nil && cfg.shutdownDelay > 0 {
		time.Sleep(cfg.shutdownDelay)
	}
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	errs := []error{serveErr}
	if serveErr == nil {
		if err := srv.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("drain HTTP server: %w", err))
		}
	}
	stopWork()
	wg.Wait()
	if err := tel.Shutdown(sctx); err != nil {
		errs = append(errs, err)
	}
	err = errors.Join(errs...)
	if err == nil {
		log.Info("stopped")
	}
	return err
}
