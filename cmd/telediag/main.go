// Command telediag is the reference diagnostics process and a usable sidecar: it serves
// Teleport's --diag-addr endpoints (/healthz, /readyz, /metrics and, with --debug,
// /debug/pprof) plus /livez for the components it is told to check and a /status page for
// people, over HTTP or (mutual) TLS,
// and pushes the same metrics over OTLP when the standard OTEL_* environment configures an
// exporter. `telediag probe URL` is a curl-less exec probe for the same endpoints.
//
//	telediag --demo                                   the whole catalogue with synthetic values
//	telediag --check db=tcp://127.0.0.1:5432 \
//	         --check api=https://api.internal/healthz   readiness of real upstreams
//	telediag probe http://127.0.0.1:3000/readyz       exit 0 on 200, 1 otherwise
//
// Exit statuses: 0 after a clean stop, including one whose only failure is a final OTLP push
// that the collector did not take (a warning says what was lost); 1 when serving fails or
// cannot start, when in-flight requests outlast --shutdown-timeout, or when telemetry fails to
// stop for another reason; 2 for bad flags. Run telediag -h for every flag.
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

	"github.com/go-chi/chi/v5"
	"github.com/go-logr/logr"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/sdk/resource"

	"github.com/telediag/telediag/cmd/internal/demo"
	"github.com/telediag/telediag/internal/buildinfo"
	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/router"
	"github.com/telediag/telediag/router/diagtls"
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

// processStart is as close to the start of the process as Go code gets; /status counts the
// uptime from it.
var processStart = time.Now()

// defaultServiceName is service.name unless the OTEL_* environment names the service. The
// metrics and the /status page carry it (router.Install reads it from the pipeline).
const defaultServiceName = "telediag"

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
	checks            []check
	heartbeatInterval time.Duration
	recoveryWindow    time.Duration
	shutdownDelay     time.Duration
	shutdownTimeout   time.Duration
	demo              bool
	logLevel          slog.Level
	tls               diagtls.Files // empty Cert: plain HTTP
	// The metric switches, passed to telemetry.WithEnable, WithDisable and
	// WithShowHiddenMetrics (docs/operating.md, "Switching metrics").
	metricsEnable, metricsDisable []string
	showHiddenMetrics             bool
	// openMetrics off answers scrapes that ask for OpenMetrics in the text format
	// (telemetry.WithoutOpenMetrics).
	openMetrics bool
	// createdSamples passes telemetry.WithCreatedSamples: _created samples in OpenMetrics.
	createdSamples bool
	// otlpOldNames passes telemetry.WithOldNamesOverOTLP: push renamed metrics under their old
	// names too (docs/operating.md, "Switching metrics").
	otlpOldNames bool
}

// globFlags collects repeated, comma-separated glob flags, rejecting a bad glob at parse time.
type globFlags struct{ globs *[]string }

func (g globFlags) String() string {
	if g.globs == nil {
		return ""
	}
	return strings.Join(*g.globs, ",")
}

func (g globFlags) Set(v string) error {
	for _, expr := range strings.Split(v, ",") {
		expr = strings.TrimSpace(expr)
		if _, err := catalog.CompileGlob(expr); err != nil {
			return err
		}
		*g.globs = append(*g.globs, expr)
	}
	return nil
}

// checkFlags collects repeated --check NAME=URL flags, rejecting a bad one at parse time.
type checkFlags struct{ checks *[]check }

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
	ch, err := parseCheck(v)
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
	fs.StringVar(&cfg.diagAddr, "diag-addr", "127.0.0.1:3000", "`address` to serve /healthz, /livez, /readyz, /metrics, /status (and /debug/pprof) on")
	fs.BoolVar(&cfg.debug, "debug", false, "serve /debug/pprof")
	fs.BoolVar(&cfg.debug, "d", false, "shorthand for --debug")
	fs.Var(checkFlags{&cfg.checks}, "check", "`NAME=URL` readiness component probing tcp://host:port (dial) or http(s)://… (GET, 2xx); repeatable")
	fs.DurationVar(&cfg.heartbeatInterval, "heartbeat-interval", probes.DefaultHeartbeatInterval,
		fmt.Sprintf("how often each check heartbeats (Teleport: 5s; at least %v); a check may take as long, but at least %v", probes.MinHeartbeatInterval, probes.MinCheckTimeout))
	fs.DurationVar(&cfg.recoveryWindow, "recovery-window", 0, "how long a recovering component must keep succeeding before it is ok (default 2 × --heartbeat-interval)")
	fs.DurationVar(&cfg.shutdownDelay, "shutdown-delay", 0, "on SIGTERM, keep serving with /readyz at 503 this long before closing, so load balancers notice")
	fs.DurationVar(&cfg.shutdownTimeout, "shutdown-timeout", 15*time.Second, "how long to wait for in-flight requests and the last OTLP export on shutdown")
	fs.BoolVar(&cfg.demo, "demo", false, "record synthetic values into every instrument each second, with simulated auth, proxy and node components")
	logLevel := fs.String("log-level", "info", "`level` of logs on stderr: debug, info, warn or error")
	fs.StringVar(&cfg.tls.Cert, "diag-tls-cert", "", "`FILE` of the PEM certificate chain to serve the diag endpoints over TLS (with --diag-tls-key); re-read when it changes")
	fs.StringVar(&cfg.tls.Key, "diag-tls-key", "", "`FILE` of the PEM private key of --diag-tls-cert")
	fs.StringVar(&cfg.tls.ClientCA, "diag-client-ca", "", "`FILE` of PEM CA certificates: require clients to present a certificate signed by one (mutual TLS)")
	fs.Var(globFlags{&cfg.metricsEnable}, "metrics-enable", "`GLOBS` (comma-separated, repeatable) of metrics declared enabled: false to serve")
	fs.Var(globFlags{&cfg.metricsDisable}, "metrics-disable", "`GLOBS` (comma-separated, repeatable) of metrics not to serve; wins over --metrics-enable")
	fs.BoolVar(&cfg.showHiddenMetrics, "show-hidden-metrics", false, "serve the metrics declared hidden (deprecated ones no longer served by default)")
	fs.BoolVar(&cfg.openMetrics, "openmetrics", true, "answer the scrapes that ask for OpenMetrics (Prometheus's do) in OpenMetrics; false answers them in the text format, for a Prometheus 2 whose queries name a bucket's le value (OpenMetrics writes le=\"1.0\")")
	fs.BoolVar(&cfg.createdSamples, "openmetrics-created", false, "add a _created sample (the series' start time) to every counter and histogram of the catalogue in OpenMetrics scrapes; protobuf scrapes carry it anyway")
	fs.BoolVar(&cfg.otlpOldNames, "otlp-old-names", false, "also push renamed metrics under their old names (renamed_from) over OTLP; /metrics serves both names regardless")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fs.SetOutput(stderr)
			fmt.Fprintln(stderr, "usage: telediag [flags]")
			fmt.Fprintln(stderr, "       telediag probe [flags] URL   (exec probe: see telediag probe -h)")
			fs.PrintDefaults()
		}
		return nil, err
	}
	if fs.NArg() > 0 {
		return nil, fmt.Errorf("unexpected argument %q: telediag takes flags only, or the probe subcommand first", fs.Arg(0))
	}
	if err := cfg.logLevel.UnmarshalText([]byte(*logLevel)); err != nil {
		return nil, fmt.Errorf("invalid value %q for flag -log-level: want debug, info, warn or error", *logLevel)
	}
	if _, _, err := net.SplitHostPort(cfg.diagAddr); err != nil {
		return nil, fmt.Errorf("invalid value %q for flag -diag-addr: %v", cfg.diagAddr, err)
	}
	if cfg.heartbeatInterval < probes.MinHeartbeatInterval {
		return nil, fmt.Errorf("invalid value %v for flag -heartbeat-interval: must be at least %v", cfg.heartbeatInterval, probes.MinHeartbeatInterval)
	}
	switch {
	case cfg.recoveryWindow < 0:
		return nil, fmt.Errorf("invalid value %v for flag -recovery-window: must not be negative", cfg.recoveryWindow)
	case cfg.recoveryWindow == 0:
		cfg.recoveryWindow = probes.RecoveryWindowFor(cfg.heartbeatInterval) // saturates, never overflows
	}
	switch {
	case cfg.tls.Cert != "" && cfg.tls.Key == "":
		return nil, errors.New("flag -diag-tls-cert needs -diag-tls-key")
	case cfg.tls.Key != "" && cfg.tls.Cert == "":
		return nil, errors.New("flag -diag-tls-key needs -diag-tls-cert")
	case cfg.tls.ClientCA != "" && cfg.tls.Cert == "":
		return nil, errors.New("flag -diag-client-ca needs -diag-tls-cert and -diag-tls-key: mutual TLS is TLS first")
	}
	if cfg.shutdownDelay < 0 {
		return nil, fmt.Errorf("invalid value %v for flag -shutdown-delay: must not be negative", cfg.shutdownDelay)
	}
	if cfg.shutdownTimeout <= 0 {
		return nil, fmt.Errorf("invalid value %v for flag -shutdown-timeout: must be positive", cfg.shutdownTimeout)
	}
	if cfg.demo {
		for _, c := range cfg.checks {
			for _, d := range demo.Components() {
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
	if len(args) > 0 && args[0] == "probe" {
		return runProbe(ctx, args[1:], stdout, stderr)
	}
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
	otel.SetErrorHandler(otel.ErrorHandlerFunc(func(err error) {
		switch {
		case errors.Is(err, context.Canceled):
			// Only our own shutdown cancels the SDK's contexts; telemetry.Shutdown reports
			// what that cost.
			log.Debug("opentelemetry", "error", err)
		case errors.Is(err, resource.ErrPartialResource):
			// A malformed OTEL_RESOURCE_ATTRIBUTES: telemetry reports it once and discards
			// it; the SDK's own detectors would repeat it.
			log.Debug("opentelemetry", "error", err)
		default:
			log.Warn("opentelemetry", "error", err)
		}
	}))
	if err := serve(ctx, cfg, log); err != nil {
		fmt.Fprintf(stderr, "telediag: %v\n", err)
		return 1
	}
	return 0
}

func serve(ctx context.Context, cfg *config, log *slog.Logger) error {
	// TLS files first, then the address: either failing stops the process before anything
	// starts or is served.
	var reloader *diagtls.Reloader
	if cfg.tls.Cert != "" {
		var err error
		if reloader, err = diagtls.New(cfg.tls, diagtls.WithLogger(log)); err != nil {
			return tlsFlagError(err)
		}
	}
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
		expected = append(expected, demo.Components()...)
	}
	monitor, err := probes.New(
		probes.WithRecoveryWindow(cfg.recoveryWindow),
		probes.WithExpected(expected...),
		// Without --check and --demo there is nothing to wait for: /readyz answers 200 as soon
		// as it is served, so that a Kubernetes readiness probe passes. With components, the
		// process starts in starting as Teleport's does.
		probes.WithReadyWithoutComponents(),
		probes.WithLogger(log),
		// The reference process answers as Teleport does, word for word.
		probes.WithTeleportTexts(),
	)
	if err != nil {
		return err
	}
	var runner *probes.Runner
	var liveChecks []probes.Checker
	if len(cfg.checks) > 0 {
		runner, err = probes.NewRunner(monitor, checkers(cfg.checks), probes.WithHeartbeatInterval(cfg.heartbeatInterval))
		if err != nil {
			return err
		}
		// A heartbeat loop stuck in a check is the one way this process can be up but not
		// working: /livez says so, and the orchestrator restarts it.
		liveChecks = append(liveChecks, runner.LivenessCheck("heartbeats"))
	}
	liveness, err := probes.NewLiveness(liveChecks...)
	if err != nil {
		return err
	}
	telOpts := []telemetry.Option{
		telemetry.WithServiceName(defaultServiceName), telemetry.WithLogger(log),
		telemetry.WithEnable(cfg.metricsEnable...), telemetry.WithDisable(cfg.metricsDisable...),
	}
	if cfg.showHiddenMetrics {
		telOpts = append(telOpts, telemetry.WithShowHiddenMetrics())
	}
	if !cfg.openMetrics {
		telOpts = append(telOpts, telemetry.WithoutOpenMetrics())
	}
	if cfg.createdSamples {
		telOpts = append(telOpts, telemetry.WithCreatedSamples())
	}
	if cfg.otlpOldNames {
		telOpts = append(telOpts, telemetry.WithOldNamesOverOTLP())
	}
	tel, err := telemetry.New(ctx, telOpts...)
	if err != nil {
		return err
	}
	// Teleport's catalogue, process_state following the monitor: the reference process serves
	// what a Teleport --diag-addr serves.
	metrics, err := teleport.New(tel.MeterProvider(), monitor)
	if err != nil {
		return errors.Join(err, tel.Shutdown(context.Background()))
	}
	version, gitRef := buildinfo.Read() // what teleport_build_info reports too
	handler := chi.NewRouter()
	err = router.Install(handler, "/", router.Config{
		Monitor: monitor, Telemetry: tel, Liveness: liveness, Debug: cfg.debug, Logger: log,
		Status: router.StatusInfo{Version: version, GitRef: gitRef, Started: processStart},
	})
	if err != nil {
		return errors.Join(err, tel.Shutdown(context.Background()))
	}

	work, stopWork := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	if runner != nil {
		wg.Go(func() { runner.Run(work) })
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
		ErrorLog:          slog.NewLogLogger(handshakeErrorsAtDebug{log.Handler()}, slog.LevelWarn),
	}
	served := make(chan error, 1)
	serveLn := ln
	if reloader != nil {
		serveLn = reloader.Listener(ln)
	}
	go func() { served <- srv.Serve(serveLn) }()
	log.Info("serving diagnostics", "addr", ln.Addr().String(), "tls", reloader != nil, "mutual_tls", cfg.tls.ClientCA != "",
		"debug", cfg.debug, "checks", len(cfg.checks), "demo", cfg.demo)

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
	// One deadline for the drain and the final push together: the process is gone by
	// --shutdown-delay + --shutdown-timeout whatever the clients and the collector do.
	sctx, cancel := context.WithTimeout(context.Background(), cfg.shutdownTimeout)
	defer cancel()
	errs := []error{serveErr}
	if serveErr == nil {
		if err := srv.Shutdown(sctx); err != nil {
			errs = append(errs, fmt.Errorf("drain HTTP server: requests still running after -shutdown-timeout %v: %w", cfg.shutdownTimeout, err))
		}
	}
	stopWork()
	wg.Wait()
	if err := tel.Shutdown(sctx); err != nil {
		if undelivered, ok := onlyUndelivered(err); ok {
			// A collector that is down or hung is the collector's problem, not a failed
			// stop: a sidecar's every rollout must not look like a crash. Say what is lost.
			log.Warn("final metrics push not delivered", "exporter", undelivered.Exporter, "endpoint", undelivered.Endpoint,
				"lost", undelivered.Lost(), "error", undelivered.Err)
		} else {
			errs = append(errs, err)
		}
	}
	err = errors.Join(errs...)
	if err == nil {
		log.Info("stopped")
	}
	return err
}

// onlyUndelivered reports whether err, from telemetry.Shutdown, is nothing but a final push
// that did not reach the collector, and returns it.
func onlyUndelivered(err error) (*telemetry.FinalExportError, bool) {
	fe, ok := err.(*telemetry.FinalExportError) // alone, not joined with another failure
	return fe, ok
}

// tlsFlagError names the flag behind a TLS file that cannot be used.
func tlsFlagError(err error) error {
	var fe *diagtls.FileError
	if !errors.As(err, &fe) {
		return err
	}
	flagName := map[diagtls.Role]string{
		diagtls.RoleCert:     "-diag-tls-cert",
		diagtls.RoleKey:      "-diag-tls-key",
		diagtls.RoleClientCA: "-diag-client-ca",
	}[fe.Role]
	return fmt.Errorf("flag %s %s: %v", flagName, fe.Path, fe.Err)
}

// handshakeErrorsAtDebug sends net/http's "TLS handshake error" lines to debug level and
// everything else from the server's error log on at its level, as kube-apiserver does: a TCP
// probe, a port scanner or a plain-HTTP client on the TLS port would otherwise write a warning
// per connection. A refused mTLS client shows at --log-level debug.
type handshakeErrorsAtDebug struct{ slog.Handler }

func (h handshakeErrorsAtDebug) Handle(ctx context.Context, r slog.Record) error {
	if strings.HasPrefix(r.Message, "http: TLS handshake error") {
		if !h.Enabled(ctx, slog.LevelDebug) {
			return nil
		}
		r.Level = slog.LevelDebug
	}
	return h.Handler.Handle(ctx, r)
}
