package telemetry

import (
	"log/slog"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// Option configures New.
type Option func(*config)

type config struct {
	serviceName      string
	build            BuildInfo
	resourceAttrs    []attribute.KeyValue
	state            func() int64
	cardinalityLimit int
	global           bool
	logger           *slog.Logger
	readers          []sdkmetric.Reader
}

func newConfig(opts []Option) *config {
	cfg := &config{
		serviceName:      "telediag",
		build:            buildInfoFromBinary(),
		state:            func() int64 { return StateStarting },
		cardinalityLimit: DefaultCardinalityLimit,
		logger:           slog.Default(),
	}
	for _, o := range opts {
		o(cfg)
	}
	return cfg
}

// WithServiceName sets service.name when OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES do not;
// the default is "telediag".
func WithServiceName(name string) Option { return func(c *config) { c.serviceName = name } }

// WithBuildInfo sets the version and git ref reported by teleport_build_info and
// service.version. By default they are read from the binary's embedded build information.
func WithBuildInfo(b BuildInfo) Option { return func(c *config) { c.build = b } }

// WithResourceAttributes adds attributes to the Resource; OTEL_RESOURCE_ATTRIBUTES still wins
// on a conflict.
func WithResourceAttributes(attrs ...attribute.KeyValue) Option {
	return func(c *config) { c.resourceAttrs = append(c.resourceAttrs, attrs...) }
}

// WithProcessState makes process_state report state() on every collection. Without it,
// process_state reports StateStarting (3). Pass a probes.Monitor's State:
//
//	telemetry.WithProcessState(func() int64 { return int64(monitor.State()) })
//
// state is called on the collecting goroutine and must not block.
func WithProcessState(state func() int64) Option {
	return func(c *config) {
		if state != nil {
			c.state = state
		}
	}
}

// WithCardinalityLimit sets how many label sets each instrument keeps before folding the rest
// into an overflow series; 0 means no limit. See DefaultCardinalityLimit.
func WithCardinalityLimit(n int) Option { return func(c *config) { c.cardinalityLimit = n } }

// WithGlobal also installs the MeterProvider as OTel's global provider, so libraries that use
// otel.GetMeterProvider() report through this pipeline.
func WithGlobal() Option { return func(c *config) { c.global = true } }

// WithLogger sets where scrape errors are logged; the default is slog.Default().
func WithLogger(l *slog.Logger) Option {
	return func(c *config) {
		if l != nil {
			c.logger = l
		}
	}
}

// WithReader adds a reader beside the Prometheus one (a periodic OTLP reader, a ManualReader in
// tests): every instrument feeds every reader.
func WithReader(r sdkmetric.Reader) Option {
	return func(c *config) { c.readers = append(c.readers, r) }
}
