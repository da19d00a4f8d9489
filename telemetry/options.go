package telemetry

import (
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
)

// Option configures New.
type Option func(*config)

type config struct {
	serviceName      string
	serviceVersion   string
	resourceAttrs    []attribute.KeyValue
	cardinalityLimit int
	global           bool
	logger           *slog.Logger
	readers          []sdkmetric.Reader
	useEnv           bool
	pushExporter     sdkmetric.Exporter
	periodicOpts     []sdkmetric.PeriodicReaderOption
	exportErrorEvery time.Duration
	runtimeMetrics   bool
	exemplarFilter   exemplar.Filter
	directScrape     bool
	views            []sdkmetric.View
	collectors       []prometheus.Collector
	gatherers        []prometheus.Gatherer // WithGatherer (gatherer.go)
	targetInfo       bool
	resourceLabels   attribute.Filter
	enable, disable  []string // WithEnable, WithDisable (switches.go)
	showHidden       bool     // WithShowHiddenMetrics
	openMetrics      bool     // off with WithoutOpenMetrics (openmetrics.go)
	createdSamples   bool     // WithCreatedSamples (openmetrics.go)
	otlpOldNames     bool     // WithOldNamesOverOTLP
}

func newConfig(opts []Option) *config {
	cfg := &config{
		serviceName:      defaultServiceName(),
		serviceVersion:   binaryVersion(),
		cardinalityLimit: DefaultCardinalityLimit,
		logger:           slog.Default(),
		useEnv:           true,
		exportErrorEvery: time.Minute,
		runtimeMetrics:   true,
		openMetrics:      true,
	}
	for _, o := range opts {
		o(cfg)
	}
	return cfg
}

// WithServiceName sets service.name when OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES do not;
// the default is the specification's unknown_service:<executable>.
func WithServiceName(name string) Option { return func(c *config) { c.serviceName = name } }

// WithServiceVersion sets service.version; by default it is the main module's version the Go
// toolchain stamped into the binary.
func WithServiceVersion(v string) Option { return func(c *config) { c.serviceVersion = v } }

// WithResourceAttributes adds attributes to the Resource; OTEL_RESOURCE_ATTRIBUTES still wins
// on a conflict.
func WithResourceAttributes(attrs ...attribute.KeyValue) Option {
	return func(c *config) { c.resourceAttrs = append(c.resourceAttrs, attrs...) }
}

// WithCardinalityLimit sets how many label sets each instrument keeps before folding the rest
// into an overflow series; 0 means no limit. See DefaultCardinalityLimit.
func WithCardinalityLimit(n int) Option { return func(c *config) { c.cardinalityLimit = n } }

// WithGlobal also installs the MeterProvider as OTel's global provider, so libraries that use
// otel.GetMeterProvider() report through this pipeline.
func WithGlobal() Option { return func(c *config) { c.global = true } }

// WithLogger sets the pipeline's logger; the default is slog.Default(). It receives everything
// the pipeline itself reports: a scrape whose gathering failed (error) or whose client went
// away (warning), a WithDirectScrape render that fell back to the exporter, OTLP push starting
// (info), failing (one warning, then a summary at most once a minute), recovering (info) and
// its exporter's late shutdown (debug), a malformed OTEL_RESOURCE_ATTRIBUTES, a WithGatherer
// family left out because its name collides with the pipeline's (error, once per family),
// and, through MeterProvider, one warning per instrument when its first label set past the
// cardinality limit arrives, and one when an instrument on the SDK's path shares a stream with
// one on the fast path. The SDK's own diagnostics (a duplicate instrument, a failing callback) go to OTel's
// global logger and error handler (otel.SetLogger, otel.SetErrorHandler), which the pipeline
// leaves alone.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithReader adds a reader beside the Prometheus one (a periodic OTLP reader, a ManualReader in
// tests): every instrument feeds every reader.
//
// A reader built elsewhere cannot be given the producer that the fast path needs (see
// MeterProvider), so with one every counter, up-down counter, gauge and histogram records
// through the SDK's own path: histograms at a multiple of client_golang's cost instead of about
// its cost (see docs/benchmarks.md, section "Histograms at client_golang's cost"), counters
// batched into the SDK's instruments, and a deleted series of any of them kept by the SDK at
// its last value (docs/library.md, "Series lifecycle and switches"). Summaries, which reach a
// reader only through the pipeline's producer, do not reach it at all. To push, prefer
// WithPushExporter, whose reader the pipeline builds.
func WithReader(r sdkmetric.Reader) Option {
	return func(c *config) { c.readers = append(c.readers, r) }
}

// WithPushExporter pushes every instrument, the runtime metrics and the client_golang
// collectors to exp through a periodic reader, instead of what the OTEL_* environment
// configures. Build exp with the OTLP exporters' own options, for example
// otlpmetricgrpc.New(ctx, otlpmetricgrpc.WithEndpoint("collector:4317")). opts tune the reader
// (interval, timeout); without them the SDK reads OTEL_METRIC_EXPORT_INTERVAL and
// OTEL_METRIC_EXPORT_TIMEOUT. The exporter's Temporality and Aggregation apply to the
// instruments on the fast path as the SDK applies them; a sdkmetric.WithCardinalityLimitSelector among opts
// does not (they follow WithCardinalityLimit): set the limit with WithCardinalityLimit.
func WithPushExporter(exp sdkmetric.Exporter, opts ...sdkmetric.PeriodicReaderOption) Option {
	return func(c *config) {
		c.pushExporter = exp
		c.periodicOpts = append(c.periodicOpts, opts...)
	}
}

// WithoutEnvironmentExporter ignores OTEL_METRICS_EXPORTER and the OTLP endpoint variables:
// nothing is pushed unless WithPushExporter says where. Use it when the host program owns its
// OTLP configuration.
func WithoutEnvironmentExporter() Option { return func(c *config) { c.useEnv = false } }

// WithoutRuntimeMetrics leaves out the OTel Go runtime instrumentation (go.memory.used,
// go.goroutine.count, …). The client_golang go_* families are served regardless.
func WithoutRuntimeMetrics() Option { return func(c *config) { c.runtimeMetrics = false } }

// WithExemplarFilter sets which measurements may become exemplars; OTEL_METRICS_EXEMPLAR_FILTER
// (always_off, always_on, trace_based) overrides it. The default is exemplar.AlwaysOffFilter.
//
// Off, a scrape allocates less and takes less time, because the SDK otherwise gives every data
// point a slice for exemplars at each collection (see docs/benchmarks.md, section "Exemplars off
// by default"). What is lost is the link from a histogram bucket to the trace that landed in
// it, which only OTLP push and the OpenMetrics format carry: the text format /metrics serves
// has no exemplars at all. Turn them on (exemplar.TraceBasedFilter) when traces are pushed over
// OTLP with the metrics and the backend shows exemplars. Counters record none either way (see
// package telemetry/instrument). With exemplars on, counters, gauges and histograms record
// through the SDK's own path, which samples them: histograms at a multiple of client_golang's
// cost instead of about its cost (see docs/benchmarks.md, section "Histograms at client_golang's
// cost"), and a deleted series kept by the SDK at its last value.
func WithExemplarFilter(f exemplar.Filter) Option { return func(c *config) { c.exemplarFilter = f } }

// WithDirectScrape renders /metrics in the text format straight from the SDK's collected data,
// instead of converting every data point into a client_golang metric in the OTel Prometheus
// exporter and encoding that. The output is the same, family for family and sample for sample
// (a differential test and a fuzz test hold the two paths to it); a scrape takes less time and
// its allocations do not grow with the number of series (see docs/benchmarks.md, section
// Scraping).
//
// The exporter still serves what the direct path does not render exactly: the protobuf format,
// a name[] filter, an exponential histogram, and data the exporter would report as invalid
// (two instruments with one exposed name, series with equal labels, label values that are not
// UTF-8). Choose it when /metrics carries many series or is scraped often.
func WithDirectScrape() Option { return func(c *config) { c.directScrape = true } }

// WithView adds Views to the MeterProvider: rename an instrument, keep only some of its labels,
// change its buckets or aggregation, or drop it. They apply to the generated instruments like
// to any other, on the fast path as on the SDK's, on /metrics and over OTLP alike. A View
// giving an instrument what the fast path does not implement (another aggregation than its
// kind's default, such as an exponential histogram or a histogram of a counter; two streams)
// sends that instrument through the SDK's own path (instrument.FastPath says which). Renaming a
// catalogue metric breaks the dashboards and alerts written against its documented name.
func WithView(views ...sdkmetric.View) Option {
	return func(c *config) { c.views = append(c.views, views...) }
}

// WithCollectors serves client_golang collectors on /metrics beside the OTel instruments, and
// pushes them over OTLP through the Prometheus bridge: a library's own collectors, for example.
// Their names must not collide with an instrument's.
func WithCollectors(cs ...prometheus.Collector) Option {
	return func(c *config) { c.collectors = append(c.collectors, cs...) }
}

// WithTargetInfo serves the exporter's target_info series, which carries the Resource's
// attributes as labels. Off by default, as Teleport serves no such series. The direct path
// (WithDirectScrape) does not render it, so with it every scrape goes through the exporter.
func WithTargetInfo() Option { return func(c *config) { c.targetInfo = true } }

// WithResourceAsConstantLabels copies the Resource attributes that filter accepts onto every
// series on /metrics as labels (attribute.NewAllowKeysFilter("service.name") gives each series
// a service_name label). Off by default. With it every scrape goes through the exporter, as the
// direct path does not render these labels.
func WithResourceAsConstantLabels(filter attribute.Filter) Option {
	return func(c *config) { c.resourceLabels = filter }
}
