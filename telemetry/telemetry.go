package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"runtime"
	"runtime/debug"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/otlptranslator"
	runtimemetrics "go.opentelemetry.io/contrib/instrumentation/runtime"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"
)

// DefaultCardinalityLimit is the number of distinct label sets each instrument keeps before the
// SDK folds further ones into a single series labelled otel_metric_overflow="true".
//
// The SDK's own default, 2,000, is low enough that a legitimate fleet (registered servers by
// version, caches by component, backends by component) could cross it and silently lose detail;
// client_golang, which Teleport used, has no cap at all. 100,000 keeps every label set a
// diagnostics catalogue plausibly produces, while still bounding memory (roughly 100 MB per
// instrument at the cap) when a bug puts an unbounded value such as a user ID into a label.
// The overflow series makes such a bug visible on /metrics. Change it with
// WithCardinalityLimit; 0 means no limit.
const DefaultCardinalityLimit = 100_000

// StateStarting is the value process_state reports before anything supplies a state, matching
// Teleport, whose gauge starts at 3 (starting).
const StateStarting = 3

// ScopeName is the instrumentation scope of the generated instruments.
const ScopeName = "github.com/telediag/telediag/telemetry"

// Telemetry is a running metrics pipeline. Build it with New and stop it with Shutdown.
type Telemetry struct {
	// Instruments are the generated instruments of instruments.yaml, created from the
	// pipeline's MeterProvider.
	Instruments *Instruments

	provider   *sdkmetric.MeterProvider
	otelReg    *prometheus.Registry // the OTel Prometheus exporter only
	runtimeReg *prometheus.Registry // client_golang's Go, process, memstats and promhttp collectors
	handler    http.Handler
	regs       []metric.Registration
	logger     *slog.Logger
	// pushExporter is the wrapped push exporter, nil when nothing is pushed.
	pushExporter *quietExporter

	shutdownOnce sync.Once
	shutdownErr  error
}

// New builds the pipeline: the Resource (OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
// honoured), a MeterProvider with a Prometheus reader that keeps the catalogue's names verbatim,
// the generated instruments, the client_golang collectors for the go_*, process_* and
// promhttp_* families, and the callbacks of the observable teleport_build_info and
// process_state. It touches no global state unless WithGlobal is given.
func New(ctx context.Context, opts ...Option) (*Telemetry, error) {
	cfg := newConfig(opts)
	if cfg.cardinalityLimit < 0 {
		return nil, fmt.Errorf("telemetry: cardinality limit %d: must be 0 (no limit) or positive", cfg.cardinalityLimit)
	}
	res, err := newResource(ctx, cfg)
	if err != nil {
		return nil, err
	}

	t := &Telemetry{otelReg: prometheus.NewRegistry(), runtimeReg: prometheus.NewRegistry(), logger: cfg.logger}
	exporter, err := otelprom.New(
		otelprom.WithRegisterer(t.otelReg),
		// Names verbatim: no _total or unit suffix added, existing underscores kept.
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithoutSuffixes),
		otelprom.WithoutScopeInfo(),
		otelprom.WithoutTargetInfo(),
	)
	if err != nil {
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	if err := registerRuntimeCollectors(t.runtimeReg); err != nil {
		return nil, err
	}

	mpOpts := []sdkmetric.Option{
		sdkmetric.WithResource(res),
		sdkmetric.WithReader(exporter),
		sdkmetric.WithCardinalityLimit(cfg.cardinalityLimit),
	}
	for _, r := range cfg.readers {
		mpOpts = append(mpOpts, sdkmetric.WithReader(r))
	}
	p, err := choosePush(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if p != nil {
		mpOpts = append(mpOpts, sdkmetric.WithReader(t.newPushReader(p, cfg, res)))
		cfg.logger.Info("pushing metrics", "exporter", p.kind, "endpoint", p.endpoint)
	}
	t.provider = sdkmetric.NewMeterProvider(mpOpts...)
	if cfg.runtimeMetrics {
		if err := runtimemetrics.Start(runtimemetrics.WithMeterProvider(t.provider)); err != nil {
			return nil, errors.Join(fmt.Errorf("telemetry: runtime metrics: %w", err), t.provider.Shutdown(ctx))
		}
	}

	meter := t.provider.Meter(ScopeName, metric.WithInstrumentationVersion(cfg.build.Version))
	if t.Instruments, err = NewInstruments(meter); err != nil {
		return nil, errors.Join(err, t.provider.Shutdown(ctx))
	}
	if err := t.registerCallbacks(cfg); err != nil {
		return nil, errors.Join(err, t.provider.Shutdown(ctx))
	}

	// The two registries stay apart so that an OTLP bridge can gather the collectors without
	// sending every OTel metric a second time; /metrics serves both.
	t.handler = promhttp.InstrumentMetricHandler(t.runtimeReg, promhttp.HandlerFor(
		prometheus.Gatherers{t.otelReg, t.runtimeReg},
		promhttp.HandlerOpts{
			// As Teleport's diag server: a bad family is logged and skipped instead of failing
			// the whole scrape. OpenMetrics stays off, because it would retype counters that
			// lack _total (rx, teleport_audit_emit_events) as unknown.
			ErrorHandling: promhttp.ContinueOnError,
			ErrorLog:      promLogger{cfg.logger},
		},
	))

	if cfg.global {
		otel.SetMeterProvider(t.provider)
	}
	return t, nil
}

func (t *Telemetry) registerCallbacks(cfg *config) error {
	goVersion := runtime.Version()
	r, err := t.Instruments.TeleportBuildInfo.Register(func(_ context.Context, o TeleportBuildInfoObserver) error {
		o.Observe(1, cfg.build.Version, cfg.build.GitRef, goVersion)
		return nil
	})
	if err != nil {
		return err
	}
	t.regs = append(t.regs, r)
	state := cfg.state
	r, err = t.Instruments.ProcessState.Register(func(_ context.Context, o ProcessStateObserver) error {
		o.Observe(state())
		return nil
	})
	if err != nil {
		return err
	}
	t.regs = append(t.regs, r)
	return nil
}

// Handler serves /metrics: every OTel instrument and every client_golang collector in the
// Prometheus text format, counted by the promhttp_metric_handler_* families.
func (t *Telemetry) Handler() http.Handler { return t.handler }

// MeterProvider returns the provider behind the instruments, for libraries that take one
// (otelhttp, otelgrpc, …). Their instruments appear on /metrics too; keep their names distinct
// from the catalogue's, or the scrape reports a collision.
func (t *Telemetry) MeterProvider() metric.MeterProvider { return t.provider }

// Gatherer returns what /metrics serves, for tests and for bridges.
func (t *Telemetry) Gatherer() prometheus.Gatherer {
	return prometheus.Gatherers{t.otelReg, t.runtimeReg}
}

// RuntimeGatherer returns only the client_golang collectors (go_*, process_*, promhttp_*):
// what a Prometheus bridge must gather to carry them over OTLP without duplicating the OTel
// instruments.
func (t *Telemetry) RuntimeGatherer() prometheus.Gatherer { return t.runtimeReg }

// Shutdown unregisters the callbacks, flushes and stops every reader, within ctx. It returns
// every error met; calling it again returns the first call's result.
//
// When metrics are pushed, a final push that does not reach its destination (collector down or
// hung, or ctx's deadline first) is reported as a *FinalExportError, matched by
// errors.Is(err, ErrFinalExportNotDelivered), and not logged: the caller decides whether an
// unreachable collector is a failure. Context errors of the push path are folded into it; any
// other failure is joined beside it. Export failures during the shutdown are not logged either.
func (t *Telemetry) Shutdown(ctx context.Context) error {
	t.shutdownOnce.Do(func() {
		var errs []error
		for _, r := range t.regs {
			if err := r.Unregister(); err != nil {
				errs = append(errs, fmt.Errorf("telemetry: unregister callback: %w", err))
			}
		}
		before := 0
		if t.pushExporter != nil {
			before = t.pushExporter.beginShutdown()
		}
		var pushCtxErrs []error
		for _, err := range leaves(t.provider.Shutdown(ctx)) {
			// The Prometheus reader does not use ctx; a context error comes from the periodic
			// reader's final collection, export or exporter shutdown.
			if t.pushExporter != nil && isContextError(err) {
				pushCtxErrs = append(pushCtxErrs, err)
				continue
			}
			errs = append(errs, fmt.Errorf("telemetry: shutdown meter provider: %w", err))
		}
		if t.pushExporter != nil {
			if fe := t.pushExporter.finalResult(before, pushCtxErrs); fe != nil {
				errs = append(errs, fe)
			} else if len(pushCtxErrs) > 0 {
				// The final export arrived; the deadline passed while the exporter released its
				// connection. Nothing was lost.
				t.logger.Debug("telemetry: exporter shutdown after the final export", "error", errors.Join(pushCtxErrs...))
			}
		}
		if len(errs) == 1 {
			t.shutdownErr = errs[0] // unwrapped, so that a lone *FinalExportError is the error itself
		} else {
			t.shutdownErr = errors.Join(errs...)
		}
	})
	return t.shutdownErr
}

func newResource(ctx context.Context, cfg *config) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{semconv.ServiceName(cfg.serviceName)}
	if cfg.build.Version != "" {
		attrs = append(attrs, semconv.ServiceVersion(cfg.build.Version))
	}
	attrs = append(attrs, cfg.resourceAttrs...)
	// The environment overrides our defaults (in a set, the last of equal keys wins), and
	// OTEL_SERVICE_NAME overrides a service.name in OTEL_RESOURCE_ATTRIBUTES, as the SDK's
	// detector does. A malformed OTEL_RESOURCE_ATTRIBUTES is reported and discarded, as the
	// specification says, instead of refusing to start.
	if v := os.Getenv(envResourceAttributes); v != "" {
		envAttrs, err := parseResourceAttributes(v)
		if err != nil {
			cfg.logger.Warn("telemetry: ignoring "+envResourceAttributes+": malformed, so none of its attributes are used",
				"error", err, "value", v)
		}
		attrs = append(attrs, envAttrs...)
	}
	if v := strings.TrimSpace(os.Getenv(envServiceName)); v != "" {
		attrs = append(attrs, semconv.ServiceName(v))
	}
	res, err := resource.New(ctx, resource.WithTelemetrySDK(), resource.WithAttributes(attrs...))
	if err != nil {
		return nil, fmt.Errorf("telemetry: resource: %w", err)
	}
	return res, nil
}

// BuildInfo identifies the running build on teleport_build_info and in the Resource.
type BuildInfo struct {
	// Version is the release version (teleport_build_info's version label, service.version).
	Version string
	// GitRef is the source revision (the gitref label).
	GitRef string
}

// buildInfoFromBinary reads the module version and VCS revision the Go toolchain stamped into
// the binary.
func buildInfoFromBinary() BuildInfo {
	bi := BuildInfo{Version: "unknown", GitRef: "unknown"}
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return bi
	}
	if v := info.Main.Version; v != "" {
		bi.Version = v
	}
	var rev, modified string
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			modified = s.Value
		}
	}
	if rev != "" {
		bi.GitRef = rev
		if modified == "true" {
			bi.GitRef += "-dirty"
		}
	}
	return bi
}

// promLogger sends promhttp's gathering errors to slog at error level, as Teleport does.
type promLogger struct{ l *slog.Logger }

func (p promLogger) Println(v ...any) {
	p.l.Error("metrics: gathering failed", "error", fmt.Sprint(v...))
}

// registerRuntimeCollectors registers the collectors behind the catalogue's go_* and process_*
// families on reg.
func registerRuntimeCollectors(reg *prometheus.Registry) error {
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		newMemStatsCollector(),
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("telemetry: register runtime collector: %w", err)
		}
	}
	return nil
}
