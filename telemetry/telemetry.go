package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/otlptranslator"
	runtimemetrics "go.opentelemetry.io/contrib/instrumentation/runtime"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/resource"
	semconv "go.opentelemetry.io/otel/semconv/v1.43.0"

	"github.com/telediag/telediag/internal/buildinfo"
	"github.com/telediag/telediag/telemetry/instrument"
)

// DefaultCardinalityLimit is the number of distinct label sets each instrument keeps before the
// SDK folds further ones into a single series labelled otel_metric_overflow="true" (the limit
// counts that series too). Change it with WithCardinalityLimit; 0 means no limit.
//
// It is chosen from the measured heap and /metrics text per series (BenchmarkHeapPerSeries; see
// docs/benchmarks.md, section "Heap kept per series, and the cardinality limit"): both grow
// with the number of series, so the limit bounds what a label bug (a user or request ID in a
// label) can cost one instrument in memory and in scrape size. It stays above the SDK's own
// default of 2,000 and far above what Teleport's catalogue produces (label sets per backend
// component, resource kind, version); the first label set past the limit logs one warning per
// generated instrument.
const DefaultCardinalityLimit = instrument.DefaultCardinalityLimit

// Telemetry is a running metrics pipeline. Build it with New and stop it with Shutdown.
type Telemetry struct {
	provider *sdkmetric.MeterProvider
	// meterProvider is what MeterProvider hands out: provider, wrapped by the fast path when it
	// applies (see fastPathApplies), by instrument.WithSettings otherwise, so that
	// its Meters always carry the cardinality limit and the logger to a generated catalogue.
	meterProvider metric.MeterProvider
	// fastPath aggregates the counters, up-down counters, gauges and histograms in telediag's
	// own cells; nil when every instrument takes the SDK's path.
	fastPath *instrument.FastPath
	// scrapeProducer emits the fast path's streams for /metrics: to fastFamilies in servedReg,
	// and to the direct path beside what the exporter's reader collects.
	scrapeProducer sdkmetric.Producer
	// summaries serves the catalogues' summaries, in every configuration: on /metrics through
	// its Collector in servedReg, to the push reader through its Producer.
	summaries *instrument.SummaryPath
	// renames are the old names of the served metrics, served on /metrics beside the new ones.
	renames *renames
	// summaryReg holds the summaries' Collector alone, for the direct path, which renders the
	// exporter's reader and these gathered families side by side.
	summaryReg *prometheus.Registry
	resource   *resource.Resource
	// servedReg is what /metrics serves: the OTel Prometheus exporter, the fast path's streams
	// (fastFamilies), the summaries, and client_golang's Go, process and promhttp collectors. It is one registry, not two merged with
	// prometheus.Gatherers, because Gatherers checks and sorts every series a second time
	// (docs/benchmarks.md, section Scraping, has what that cost).
	servedReg *prometheus.Registry
	// runtimeReg holds the same client_golang collectors without the exporter, for the OTLP
	// bridge: handed servedReg it would push every OTel metric a second time.
	runtimeReg *prometheus.Registry
	handler    http.Handler
	metrics    *metricsHandler // inside handler, which counts its requests
	logger     *slog.Logger
	// pushExporter is the wrapped push exporter, nil when nothing is pushed.
	pushExporter *quietExporter
	// families are WithGatherer's, served beside the pipeline's; nil without it.
	families *runtimeFamilies

	shutdownOnce sync.Once
	shutdownErr  error
}

// New builds the pipeline: the Resource (OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES
// honoured), a MeterProvider with a Prometheus reader that keeps instrument names verbatim, the
// client_golang collectors for the go_*, process_* and promhttp_* families (and any given with
// WithCollectors, and the registries given with WithGatherer), the OTel Go runtime metrics, and
// OTLP push when configured. It knows no catalogue: create one from MeterProvider, which carries
// the cardinality limit and the logger to it. It touches no global state unless WithGlobal is
// given.
func New(ctx context.Context, opts ...Option) (*Telemetry, error) {
	cfg := newConfig(opts)
	if cfg.cardinalityLimit < 0 {
		return nil, fmt.Errorf("telemetry: cardinality limit %d: must be 0 (no limit) or positive", cfg.cardinalityLimit)
	}
	res, err := newResource(ctx, cfg)
	if err != nil {
		return nil, err
	}
	filter, err := exemplarFilter(cfg)
	if err != nil {
		return nil, err
	}

	sw, err := switches(cfg)
	if err != nil {
		return nil, err
	}
	serve := serveRule(sw)
	oldNames, err := otlpOldNames(cfg)
	if err != nil {
		return nil, err
	}
	names := &renames{}

	t := &Telemetry{renames: names, resource: res, servedReg: prometheus.NewRegistry(), runtimeReg: prometheus.NewRegistry(), logger: cfg.logger}
	both := teeRegisterer{t.servedReg, t.runtimeReg}
	// Summaries are served beside the exporter, not through it: it drops metricdata.Summary
	// with an error. Not in runtimeReg either, whose bridge would push them a second time, in
	// the bridge's scope instead of the catalogue's.
	t.summaries = instrument.NewSummaryPath(instrument.Settings{CardinalityLimit: cfg.cardinalityLimit, Logger: cfg.logger, Serve: serve, Declare: names.declare})
	t.summaryReg = prometheus.NewRegistry()
	if err := (teeRegisterer{t.servedReg, t.summaryReg}).Register(t.summaries.Collector()); err != nil {
		return nil, fmt.Errorf("telemetry: summaries: %w", err)
	}
	promOpts := []otelprom.Option{
		otelprom.WithRegisterer(t.servedReg),
		// Names verbatim: no _total or unit suffix added, existing underscores kept.
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithoutSuffixes),
		otelprom.WithoutScopeInfo(),
	}
	if !cfg.targetInfo {
		promOpts = append(promOpts, otelprom.WithoutTargetInfo())
	}
	if cfg.resourceLabels != nil {
		promOpts = append(promOpts, otelprom.WithResourceAsConstantLabels(cfg.resourceLabels))
	}
	if exemplars, ok := fastPathApplies(cfg, filter); ok {
		t.fastPath = instrument.NewFastPath(instrument.FastPathConfig{
			Views: cfg.views, CardinalityLimit: cfg.cardinalityLimit, Logger: cfg.logger, Serve: serve, Declare: names.declare,
			Exemplars: exemplars,
		})
		// /metrics: cumulative, the SDK's default aggregation, served beside the exporter rather
		// than through it (see fastFamilies).
		if t.scrapeProducer, err = t.fastPath.ScrapeProducer(); err != nil {
			return nil, fmt.Errorf("telemetry: fast path: %w", err)
		}
		fast, err := newFastFamilies(t.scrapeProducer, res, cfg.resourceLabels)
		if err != nil {
			return nil, err
		}
		if err := t.servedReg.Register(fast); err != nil {
			return nil, fmt.Errorf("telemetry: fast path: %w", err)
		}
	}
	exporter, err := otelprom.New(promOpts...)
	if err != nil {
		return nil, fmt.Errorf("telemetry: prometheus exporter: %w", err)
	}
	if err := registerRuntimeCollectors(both); err != nil {
		return nil, err
	}
	for _, c := range cfg.collectors {
		if err := both.Register(c); err != nil {
			return nil, fmt.Errorf("telemetry: WithCollectors: %w", err)
		}
	}
	if t.families, err = newRuntimeFamilies(cfg); err != nil {
		return nil, err
	}

	mpOpts := []sdkmetric.Option{
		sdkmetric.WithResource(res),
		sdkmetric.WithReader(exporter),
		sdkmetric.WithCardinalityLimit(cfg.cardinalityLimit),
		sdkmetric.WithExemplarFilter(filter),
		sdkmetric.WithView(cfg.views...),
	}
	for _, r := range cfg.readers {
		mpOpts = append(mpOpts, sdkmetric.WithReader(r))
	}
	p, err := choosePush(ctx, cfg)
	if err != nil {
		return nil, err
	}
	if p != nil {
		r, err := t.newPushReader(p, cfg, res, oldNames)
		if err != nil {
			return nil, err
		}
		mpOpts = append(mpOpts, sdkmetric.WithReader(r))
		cfg.logger.Info("pushing metrics", "exporter", p.kind, "endpoint", p.endpoint)
	}
	t.provider = sdkmetric.NewMeterProvider(mpOpts...)
	if t.fastPath != nil {
		t.meterProvider = t.fastPath.MeterProvider(t.provider) // carries the same limit and logger
	} else {
		t.meterProvider = instrument.WithSettings(t.provider, instrument.Settings{
			CardinalityLimit: cfg.cardinalityLimit, Logger: cfg.logger, Serve: serve, Declare: names.declare,
		})
	}
	t.meterProvider = t.summaries.MeterProvider(t.meterProvider)
	if cfg.runtimeMetrics {
		if err := runtimemetrics.Start(runtimemetrics.WithMeterProvider(t.provider)); err != nil {
			return nil, errors.Join(fmt.Errorf("telemetry: runtime metrics: %w", err), t.provider.Shutdown(ctx))
		}
	}

	gatherer := names.gatherer(t.scrapeGatherer())
	// As Teleport's diag server: a bad family is logged and skipped instead of failing the
	// whole scrape.
	handlerOpts := promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError, ErrorLog: promLogger{cfg.logger}}
	h := &metricsHandler{
		exporter: promhttp.HandlerFor(gatherer, handlerOpts),
		logger:   cfg.logger,
		renames:  names,
	}
	if cfg.openMetrics {
		omOpts := handlerOpts
		omOpts.EnableOpenMetrics = true
		omOpts.EnableOpenMetricsTextCreatedSamples = cfg.createdSamples
		h.openMetrics = promhttp.HandlerFor(openMetricsGatherer{gatherer}, omOpts)
	}
	// The direct path renders neither target_info nor resource labels: with either, every
	// scrape goes through the exporter.
	if cfg.directScrape && !cfg.targetInfo && cfg.resourceLabels == nil {
		h.reader, h.fast, h.runtime, h.families = exporter, t.scrapeProducer, gatherers{t.runtimeReg, t.summaryReg}, t.families
	}
	t.metrics, t.handler = h, promhttp.InstrumentMetricHandler(both, h)

	if cfg.global {
		otel.SetMeterProvider(t.meterProvider)
	}
	return t, nil
}

// Handler serves /metrics: every OTel instrument and every client_golang collector in the
// Prometheus text format, counted by the promhttp_metric_handler_* families.
func (t *Telemetry) Handler() http.Handler { return t.handler }

// MeterProvider returns the provider behind the instruments: create a generated catalogue from
// it (NewInstruments(tel.MeterProvider())), and give it to libraries that take one (otelhttp,
// otelgrpc, …). Their instruments appear on /metrics too; keep their names distinct from the
// catalogue's, or the scrape reports a collision.
//
// It is the SDK's provider, through which histograms record on a lock-free path at
// client_golang's cost when the pipeline allows it (see fastPath and
// instrument.FastPath); what every reader receives is what the SDK's own histograms give.
// It also serves summaries, which the OTel API has no instrument for, as client_golang serves
// them (see instrument.SummaryPath): a generated catalogue's summaries are on /metrics and on
// the push reader, and only there.
//
// Its Meters carry the pipeline's cardinality limit (WithCardinalityLimit) and logger
// (WithLogger) as instrument.Settings, in every configuration, so that a catalogue's series
// caches stop where the SDK starts folding label sets into the overflow series, and the first
// label set past the limit logs a warning. Nothing of this is read per measurement.
func (t *Telemetry) MeterProvider() metric.MeterProvider { return t.meterProvider }

// Resource returns the Resource every metric carries: WithServiceName, WithServiceVersion and
// WithResourceAttributes, overridden by OTEL_RESOURCE_ATTRIBUTES and OTEL_SERVICE_NAME as the
// specification orders them. Give it to the service's TracerProvider or LoggerProvider, so
// that traces and logs carry the same service as the metrics, instead of parsing the
// environment again.
func (t *Telemetry) Resource() *resource.Resource { return t.resource }

// ServiceName returns the Resource's service.name: what a collector and a dashboard call this
// service, and what the probes' texts and the status page should call it too.
func (t *Telemetry) ServiceName() string {
	if v, ok := t.resource.Set().Value(semconv.ServiceNameKey); ok {
		return v.AsString()
	}
	return defaultServiceName()
}

// Shutdown flushes and stops every reader, within ctx. It returns
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
		if t.pushExporter != nil {
			t.pushExporter.beginShutdown()
			// An export in flight now completes (see quietExporter.detach) unless ctx ends first.
			stopWatching := context.AfterFunc(ctx, func() { t.pushExporter.abandonExports(context.Cause(ctx)) })
			defer stopWatching()
			defer t.pushExporter.abandonExports(errors.New("telemetry: shut down"))
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
			if fe := t.pushExporter.finalResult(pushCtxErrs); fe != nil {
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

// fastPathApplies reports whether instruments may take the fast path (instrument.FastPath),
// and with which exemplars. The path needs a producer on every reader, so not with a reader the
// pipeline did not build (WithReader), and applies the exemplar filters the specification
// names itself, so not with a filter of the caller's own (WithExemplarFilter with another
// function). Then every counter, up-down counter, gauge and histogram takes the SDK's own
// path, as it would on any MeterProvider.
func fastPathApplies(cfg *config, filter exemplar.Filter) (instrument.Exemplars, bool) {
	if len(cfg.readers) > 0 {
		return instrument.ExemplarsOff, false
	}
	switch reflect.ValueOf(filter).Pointer() {
	case reflect.ValueOf(exemplar.AlwaysOffFilter).Pointer():
		return instrument.ExemplarsOff, true
	case reflect.ValueOf(exemplar.TraceBasedFilter).Pointer():
		return instrument.ExemplarsTraceBased, true
	case reflect.ValueOf(exemplar.AlwaysOnFilter).Pointer():
		return instrument.ExemplarsAlwaysOn, true
	}
	return instrument.ExemplarsOff, false
}

func newResource(ctx context.Context, cfg *config) (*resource.Resource, error) {
	attrs := []attribute.KeyValue{semconv.ServiceName(cfg.serviceName)}
	if cfg.serviceVersion != "" {
		attrs = append(attrs, semconv.ServiceVersion(cfg.serviceVersion))
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

// promLogger sends promhttp's gathering errors to slog at error level, as Teleport does.
type promLogger struct{ l *slog.Logger }

func (p promLogger) Println(v ...any) {
	p.l.Error("metrics: gathering failed", "error", fmt.Sprint(v...))
}

// registerRuntimeCollectors registers the collectors behind the catalogue's go_* and process_*
// families on reg.
func registerRuntimeCollectors(reg prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		if err := reg.Register(c); err != nil {
			return fmt.Errorf("telemetry: register runtime collector: %w", err)
		}
	}
	return nil
}

// gatherers gathers each of its registries in turn and returns their families together, for
// the direct path, which sorts them with the OTel families and refuses a name given twice.
// Unlike prometheus.Gatherers it neither merges nor checks nor sorts them again: each
// registry has done so.
type gatherers []prometheus.Gatherer

func (g gatherers) Gather() ([]*dto.MetricFamily, error) {
	var out []*dto.MetricFamily
	for _, r := range g {
		mfs, err := r.Gather()
		if err != nil {
			return nil, err
		}
		out = append(out, mfs...)
	}
	return out, nil
}

// teeRegisterer registers every collector on each of its registries, so that one collector
// feeds both /metrics and the OTLP bridge.
type teeRegisterer []prometheus.Registerer

func (t teeRegisterer) Register(c prometheus.Collector) error {
	for i, r := range t {
		if err := r.Register(c); err != nil {
			for _, done := range t[:i] {
				done.Unregister(c)
			}
			return err
		}
	}
	return nil
}

func (t teeRegisterer) MustRegister(cs ...prometheus.Collector) {
	for _, c := range cs {
		if err := t.Register(c); err != nil {
			panic(err)
		}
	}
}

func (t teeRegisterer) Unregister(c prometheus.Collector) bool {
	ok := true
	for _, r := range t {
		ok = r.Unregister(c) && ok
	}
	return ok
}

// defaultServiceName is the specification's default service.name, unknown_service:<executable>,
// for a service that names itself neither with WithServiceName nor in the environment.
func defaultServiceName() string {
	exe, err := os.Executable()
	if err != nil {
		return "unknown_service"
	}
	return "unknown_service:" + filepath.Base(exe)
}

// binaryVersion is the main module's version stamped into the binary, for service.version.
func binaryVersion() string {
	v, _ := buildinfo.Read()
	return v
}
