package instrument

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"sync"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/embedded"
	"go.opentelemetry.io/otel/metric/noop"
	"go.opentelemetry.io/otel/sdk/instrumentation"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// FastPathConfig is what a FastPath (the fast path of histograms, counters, up-down counters
// and gauges) must know of the MeterProvider it serves: the same Views and cardinality limit
// the provider was given. The meters of the path's MeterProvider also carry CardinalityLimit and Logger to every Group created from them, as
// WithSettings' do.
type FastPathConfig struct {
	// Views are the provider's Views, in the order given to it.
	Views []sdkmetric.View
	// CardinalityLimit is the provider's limit (sdkmetric.WithCardinalityLimit); 0 or less
	// means none.
	CardinalityLimit int
	// Logger receives one warning per instrument that reaches the limit, streams on the fast
	// path and the Counters and Recorders of Groups alike; nil logs nothing.
	Logger *slog.Logger
	// Serve and Declare are carried to every Group created from the path's meters, as
	// Settings.Serve and Settings.Declare.
	Serve   func(Lifecycle) bool
	Declare func(Lifecycle)
	// Exemplars is the provider's exemplar filter (sdkmetric.WithExemplarFilter), which the
	// fast path applies itself: a counter keeps the latest measurement of each series that
	// passes it as the series' exemplar, and a histogram one per classic bucket, as
	// client_golang does. A provider with a filter the fast path cannot apply (not always_off,
	// trace_based or always_on) must not use a FastPath. With exemplars on, instruments whose
	// streams filter attributes (a View's or the instrument's attribute filter), whose
	// exemplars would carry the attributes filtered out, take the SDK's path.
	Exemplars Exemplars
}

// FastPath is telediag's fast path: it records histograms at client_golang's cost, and
// aggregates counters, up-down counters and gauges itself so that their series can be deleted
// (the SDK cannot end a series), while every reader still gets what a plain SDK instrument
// would give it. It is the seam telemetry.New uses, built from the SDK's public extension points only:
//
//   - every reader the pipeline builds gets a Producer (sdkmetric.WithProducer,
//     otelprom.WithProducer) that emits the fast streams with that reader's temporality;
//   - MeterProvider wraps the SDK provider so that an instrument created from it is created in
//     the SDK as usual (name conflicts are detected and warned about by the SDK, the
//     instrument is registered with every reader) and, when the path applies, records into
//     lock-free per-series cells instead of the SDK's aggregation, which then stays empty.
//
// Whether an instrument takes the fast path is decided once, when it is created, by evaluating
// the provider's Views for it exactly as the SDK's pipeline does, for each reader (the SDK
// functions mirrored are listed under MirroredSDKVersion):
//
//   - no View matches: the default stream (for a histogram, with the instrument's bucket
//     boundaries);
//   - a View renames it, changes its description or unit, filters its attributes, drops it for
//     every reader, or (a histogram) asks for other explicit bucket boundaries, no min and
//     max, or the SDK's exponential aggregation (AggregationBase2ExponentialHistogram, from a
//     View or a reader's aggregation selector, with MaxSize 3 to 1024 and MaxScale at least
//     -10): applied;
//   - a histogram with native buckets declared (Group.DeclareNative) is aggregated as the
//     SDK's exponential aggregation would with MaxScale Schema and MaxSize MaxBuckets, plus the
//     declaration's zero threshold and resets, instead of its default aggregation (a View's
//     aggregation still wins); it keeps classic buckets only when it was created with bucket
//     boundaries, and ScrapeProducer's reader gets both;
//   - the SDK path, for the whole instrument, when a reader would aggregate it into anything
//     but its kind's default aggregation or a histogram's exponential one (a sum for a
//     counter or up-down counter, a last value for a gauge: never a histogram of a counter,
//     several streams from several Views), when readers
//     disagree on the stream, when more than one reader is delta, when the meter's scope
//     carries attributes of type MAP or SLICE (whose keys the SDK normalises), or when the SDK
//     reports an error creating it. A provider with a reader the pipeline did not build, or
//     with exemplars on, does not use a FastPath at all.
//
// Data points match the SDK's: a histogram's counts, sums, min and max and bucket counts (an
// exponential histogram's scale, zero count and buckets of both signs too); a
// sum's value, monotonic for a counter; a gauge's last value; the otel.metric.overflow series
// past the cardinality limit (per interval for a delta reader); start times (the instrument's
// creation for cumulative data, or each series' first measurement with
// OTEL_GO_X_PER_SERIES_START_TIMESTAMPS=true; the previous collection for delta data), the
// scope of the meter, and no data point for a delta series that saw nothing since the last
// collection. Two differences remain. The stream appears in its own metricdata.ScopeMetrics
// after the SDK's (same scope; telemetry merges them before an OTLP export). And a float sum
// of values that are not whole numbers may differ from the SDK's in its last bits when more
// than one reader collects, because partial sums are added in another order (the SDK's own sum
// depends on the order of concurrent measurements in the same way).
type FastPath struct {
	views   []sdkmetric.View
	limit   int
	logger  *slog.Logger
	serve   func(Lifecycle) bool
	declare func(Lifecycle)
	// exemplars is FastPathConfig.Exemplars.
	exemplars Exemplars

	mu      sync.Mutex
	frozen  bool // a MeterProvider was wrapped: no more readers
	readers []readerSpec
	scopes  []*scopeEntry // in the order their first fast stream was created
	byScope map[instrumentation.Scope]*scopeEntry
	// natives are the native buckets declared for histograms (Group.DeclareNative).
	natives map[nativeKey]Native
}

type readerSpec struct {
	temporality sdkmetric.TemporalitySelector
	aggregation sdkmetric.AggregationSelector
}

// scopeEntry is one meter's streams. Like the SDK's per-meter cache of aggregators, it gives
// every instrument that resolves to one stream the same fast stream.
type scopeEntry struct {
	scope   instrumentation.Scope
	streams map[streamKey]*streamEntry
	order   []collector
}

// streamKey identifies a stream within a scope as the SDK's normalised instID does.
type streamKey struct {
	name, description, unit string
	kind                    sdkmetric.InstrumentKind
	float                   bool
}

// streamEntry is a stream some instrument resolved to: fast is its *histogram[N] or
// *valueStream[N], or nil when it went to the SDK.
type streamEntry struct{ fast collector }

// collector is a fast stream: a *histogram[N] or a *valueStream[N] of either number type.
type collector interface {
	collect(reader int, m *metricdata.Metrics) bool
}

// NewFastPath returns a path for a MeterProvider configured as cfg says. Register every
// reader of the provider with Producer, then wrap the provider with MeterProvider.
func NewFastPath(cfg FastPathConfig) *FastPath {
	return &FastPath{
		views:     slices.Clone(cfg.Views),
		limit:     cfg.CardinalityLimit,
		logger:    cfg.Logger,
		serve:     cfg.Serve,
		declare:   cfg.Declare,
		exemplars: cfg.Exemplars,
		byScope:   map[instrumentation.Scope]*scopeEntry{},
	}
}

// errFrozen is returned by Producer once fast streams may exist that the new reader would miss.
var errFrozen = errors.New("instrument: FastPath.Producer called after MeterProvider: register every reader first")

// Producer registers one reader of the provider, with the temporality and the default
// aggregation it asks for (nil selectors are the SDK's defaults: cumulative, and an
// explicit-bucket histogram), and returns the Producer to give that reader. Call it for every
// reader before MeterProvider.
func (p *FastPath) Producer(temporality sdkmetric.TemporalitySelector, aggregation sdkmetric.AggregationSelector) (sdkmetric.Producer, error) {
	if temporality == nil {
		temporality = sdkmetric.DefaultTemporalitySelector
	}
	if aggregation == nil {
		aggregation = sdkmetric.DefaultAggregationSelector
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.frozen {
		return nil, errFrozen
	}
	p.readers = append(p.readers, readerSpec{temporality: temporality, aggregation: aggregation})
	return &producer{path: p, reader: len(p.readers) - 1}, nil
}

// MeterProvider wraps mp, the provider whose readers were registered with Producer: use what it
// returns wherever the provider is handed out. Its meters are mp's; their histograms, counters,
// up-down counters and gauges take the fast path when it applies, and they carry the path's
// cardinality limit and logger to every Group created from them (see Settings).
func (p *FastPath) MeterProvider(mp *sdkmetric.MeterProvider) metric.MeterProvider {
	p.mu.Lock()
	p.frozen = true
	p.mu.Unlock()
	return &pathProvider{sdk: mp, path: p}
}

// ScrapeProducer registers a reader for Prometheus scrapes, cumulative with the default
// aggregation (as Producer(nil, nil)), and returns the Producer to give it. It emits what
// Producer would, except for a histogram with both classic and native buckets declared: that
// stream is two adjacent metrics of the same name, description and unit, its classic
// metricdata.Histogram and then its metricdata.ExponentialHistogram, with the same data
// points in the same order (attributes and start times), so that the caller can expose both
// as one Prometheus histogram, as client_golang does. A native-only stream is its
// exponential histogram alone. Call it before MeterProvider, as Producer.
func (p *FastPath) ScrapeProducer() (sdkmetric.Producer, error) {
	prod, err := p.Producer(nil, nil)
	if err != nil {
		return nil, err
	}
	prod.(*producer).scrape = true
	return prod, nil
}

// maxFastExpoSize is the largest MaxSize of a View's exponential aggregation on the fast path,
// whose cells hold MaxSize counts (rounded up to a power of two) per phase from the start.
const maxFastExpoSize = MaxNativeBuckets

// producer emits the fast streams for one reader.
type producer struct {
	path   *FastPath
	reader int
	scrape bool // ScrapeProducer's: classic and native buckets both
	// mu serialises the collections of one reader, as the SDK's pipeline lock does.
	mu sync.Mutex
}

// Produce implements sdkmetric.Producer.
func (pr *producer) Produce(context.Context) ([]metricdata.ScopeMetrics, error) {
	pr.mu.Lock()
	defer pr.mu.Unlock()
	p := pr.path
	p.mu.Lock()
	scopes := make([]scopeEntry, len(p.scopes))
	for i, s := range p.scopes {
		scopes[i] = scopeEntry{scope: s.scope, order: s.order} // order is append-only
	}
	p.mu.Unlock()
	var out []metricdata.ScopeMetrics
	for _, s := range scopes {
		if len(s.order) == 0 {
			continue
		}
		metrics := make([]metricdata.Metrics, 0, len(s.order))
		for _, c := range s.order {
			if sc, ok := c.(scrapeCollector); ok && pr.scrape {
				metrics = sc.collectScrape(pr.reader, metrics)
				continue
			}
			var m metricdata.Metrics
			if c.collect(pr.reader, &m) {
				metrics = append(metrics, m)
			}
		}
		if len(metrics) > 0 {
			out = append(out, metricdata.ScopeMetrics{Scope: s.scope, Metrics: metrics})
		}
	}
	return out, nil
}

// resolvedStream is the one stream an instrument resolves to on the fast path (bounds and
// noMinMax for a histogram only).
type resolvedStream struct {
	name, description, unit string
	bounds                  []float64
	noMinMax                bool
	native                  *nativeSpec // native buckets: an exponential histogram
	filter                  attribute.Filter
}

// histogramFor returns the fast histogram for the instrument name created from a meter of
// scope, or nil when it takes the SDK's path.
func histogramFor[N Number](p *FastPath, scope instrumentation.Scope, name, description, unit string, advised []float64, allowedKeys []attribute.Key) *histogram[N] {
	fast := p.streamFor(scope, sdkmetric.InstrumentKindHistogram, name, description, unit, advised, allowedKeys, isFloatType[N](),
		func(s resolvedStream, readers []histReader) collector {
			return newHistogram[N](s, readers, p.limit, p.logger, p.exemplars)
		})
	h, _ := fast.(*histogram[N])
	return h
}

// valueStreamFor returns the fast sum or gauge stream for the instrument name, of kind kind
// (a counter, an up-down counter or a gauge), created from a meter of scope, or nil when it
// takes the SDK's path.
func valueStreamFor[N Number](p *FastPath, scope instrumentation.Scope, kind sdkmetric.InstrumentKind, name, description, unit string, allowedKeys []attribute.Key) *valueStream[N] {
	fast := p.streamFor(scope, kind, name, description, unit, nil, allowedKeys, isFloatType[N](),
		func(s resolvedStream, readers []histReader) collector {
			// As the SDK's aggregateFunc: a counter's sum is monotonic, an up-down counter's not.
			return newValueStream[N](s, kind == sdkmetric.InstrumentKindGauge, kind == sdkmetric.InstrumentKindCounter, readers, p.limit, p.logger, p.exemplars)
		})
	v, _ := fast.(*valueStream[N])
	return v
}

func isFloatType[N Number]() bool {
	var zero N
	_, ok := any(zero).(float64)
	return ok
}

// streamFor returns the fast stream (built by build) for the instrument name of kind kind
// created from a meter of scope, or nil when it takes the SDK's path. Every instrument of the
// scope that resolves to a stream already built gets that one, as the SDK's per-meter cache of
// aggregators gives it the same aggregator.
func (p *FastPath) streamFor(scope instrumentation.Scope, kind sdkmetric.InstrumentKind, name, description, unit string, advised []float64, allowedKeys []attribute.Key, isFloat bool, build func(resolvedStream, []histReader) collector) collector {
	p.mu.Lock()
	defer p.mu.Unlock()
	stream, readers, keys, ok := p.resolve(scope, kind, name, description, unit, advised, allowedKeys, isFloat)
	entry := p.byScope[scope]
	if entry == nil {
		entry = &scopeEntry{scope: scope, streams: map[streamKey]*streamEntry{}}
		p.byScope[scope] = entry
		p.scopes = append(p.scopes, entry)
	}
	if !ok {
		// The SDK path. Its streams are claimed for the SDK, so that a later instrument
		// resolving to one of them records where this one does.
		for _, k := range keys {
			switch e := entry.streams[k]; {
			case e == nil:
				entry.streams[k] = &streamEntry{}
			case e.fast != nil && p.logger != nil:
				p.logger.Warn("metrics: an instrument on the SDK's path shares a stream with one on the fast path; the stream is exported twice",
					"instrument", name, "stream", k.name)
			}
		}
		return nil
	}
	k := keys[0]
	if e := entry.streams[k]; e != nil {
		return e.fast // nil: the stream is on the SDK's path already
	}
	c := build(stream, readers)
	entry.streams[k] = &streamEntry{fast: c}
	entry.order = append(entry.order, c)
	return c
}

// resolve evaluates the Views for an instrument of kind kind as every reader's pipeline in the
// SDK does. ok is false when the fast path does not apply; keys are the streams the instrument
// resolves to in any reader.
func (p *FastPath) resolve(scope instrumentation.Scope, kind sdkmetric.InstrumentKind, name, description, unit string, advised []float64, allowedKeys []attribute.Key, isFloat bool) (stream resolvedStream, readers []histReader, keys []streamKey, ok bool) {
	inst := sdkmetric.Instrument{Name: name, Description: description, Unit: unit, Kind: kind, Scope: scope}
	var matched []sdkmetric.Stream
	for _, v := range p.views {
		if s, match := v(inst); match {
			matched = append(matched, s)
		}
	}
	if len(matched) == 0 {
		matched = []sdkmetric.Stream{{Name: name, Description: description, Unit: unit}}
	}
	// A declared Native is the instrument's own default aggregation, as advised boundaries are
	// (a View's aggregation wins over it): the native buckets, with classic ones only when the
	// histogram was created with boundaries.
	var declared *nativeSpec
	if kind == sdkmetric.InstrumentKindHistogram {
		if n, has := p.nativeFor(scope, name); has {
			declared = newNativeSpec(n.Schema, int32(n.MaxBuckets), n.ZeroThreshold, n.MinResetDuration, advised != nil, true)
		}
	}
	ok = true
	readers = make([]histReader, len(p.readers))
	var chosen *resolvedStream
	deltas := 0
	for ri, r := range p.readers {
		readerAgg := readerAggregation(r.aggregation, kind)
		if eb, isEB := readerAgg.(sdkmetric.AggregationExplicitBucketHistogram); isEB && len(advised) > 0 {
			eb.Boundaries = advised
			readerAgg = eb
		}
		var streams []resolvedStream
		seen := map[streamKey]bool{}
		for _, s := range matched {
			agg := s.Aggregation
			native := false
			switch agg.(type) {
			case nil:
				agg = readerAgg
				// The declared buckets replace a reader's histogram aggregation, explicit or
				// exponential, and nothing else (a reader may drop histograms).
				switch agg.(type) {
				case sdkmetric.AggregationExplicitBucketHistogram, sdkmetric.AggregationBase2ExponentialHistogram:
					native = declared != nil
				}
			case sdkmetric.AggregationDefault:
				agg = sdkmetric.DefaultAggregationSelector(kind)
			}
			filter := s.AttributeFilter
			if filter == nil && allowedKeys != nil {
				filter = attribute.NewAllowKeysFilter(allowedKeys...)
			}
			// The SDK caches one aggregator per normalised stream identity: the first View
			// giving a stream decides it, later ones giving the same identity add nothing.
			k := streamKey{name: strings.ToLower(s.Name), description: s.Description, unit: s.Unit, kind: kind, float: isFloat}
			if seen[k] {
				continue
			}
			seen[k] = true
			if _, drop := agg.(sdkmetric.AggregationDrop); drop {
				continue
			}
			if !slices.Contains(keys, k) {
				keys = append(keys, k)
			}
			if native {
				var bounds []float64
				if declared.classic {
					bounds = advised
				}
				streams = append(streams, resolvedStream{name: s.Name, description: s.Description, unit: s.Unit,
					bounds: bounds, native: declared, filter: filter})
				continue
			}
			// What the fast path aggregates an instrument into: the aggregation the SDK gives
			// its kind by default (aggregateFunc), a histogram's exponential aggregation, and
			// nothing else.
			switch a := agg.(type) {
			case sdkmetric.AggregationBase2ExponentialHistogram:
				// NewView and readerAggregation already replaced an invalid one. A MaxSize
				// under 3 can reach the SDK's lowest scale, where it drops values in an order
				// that depends on the values; a large one costs the fast path MaxSize counts
				// per series and phase from the start (the SDK grows its buckets): the SDK's
				// path for both, and for scales the SDK cannot downscale from.
				if kind != sdkmetric.InstrumentKindHistogram || a.MaxSize < 3 || a.MaxSize > maxFastExpoSize || a.MaxScale < expoMinScale {
					ok = false
					continue
				}
				streams = append(streams, resolvedStream{name: s.Name, description: s.Description, unit: s.Unit,
					noMinMax: a.NoMinMax, native: newNativeSpec(a.MaxScale, a.MaxSize, 0, 0, false, false), filter: filter})
			case sdkmetric.AggregationExplicitBucketHistogram:
				if kind != sdkmetric.InstrumentKindHistogram {
					ok = false
					continue
				}
				streams = append(streams, resolvedStream{name: s.Name, description: s.Description, unit: s.Unit,
					bounds: a.Boundaries, noMinMax: a.NoMinMax, filter: filter})
			case sdkmetric.AggregationSum:
				if kind != sdkmetric.InstrumentKindCounter && kind != sdkmetric.InstrumentKindUpDownCounter {
					ok = false
					continue
				}
				streams = append(streams, resolvedStream{name: s.Name, description: s.Description, unit: s.Unit, filter: filter})
			case sdkmetric.AggregationLastValue:
				if kind != sdkmetric.InstrumentKindGauge {
					ok = false // the SDK rejects it
					continue
				}
				streams = append(streams, resolvedStream{name: s.Name, description: s.Description, unit: s.Unit, filter: filter})
			default:
				ok = false // exponential, a histogram of a counter or gauge, or one the SDK rejects
			}
		}
		switch {
		case len(streams) > 1:
			ok = false
		case len(streams) == 1:
			s := streams[0]
			if chosen == nil {
				chosen = &s
			} else if !sameStream(*chosen, s) {
				ok = false
			}
			readers[ri] = histReader{enabled: true, delta: r.temporality(kind) == metricdata.DeltaTemporality}
			if readers[ri].delta {
				deltas++
			}
		}
	}
	if chosen == nil || deltas > 1 || hasNestedValues(scope.Attributes) {
		ok = false
	}
	if p.exemplars != ExemplarsOff && chosen != nil && chosen.filter != nil {
		// The SDK's exemplars carry the attributes a filter removed from the series, which the
		// cells do not keep.
		ok = false
	}
	if !ok {
		return resolvedStream{}, nil, keys, false
	}
	return *chosen, readers, keys, true
}

// sameStream reports whether two readers' streams can share cells. Their filters come from the
// same View (the SDK asks each View once per reader; telediag once for all), so only what a
// reader's own aggregation adds can differ.
func sameStream(a, b resolvedStream) bool {
	return a.name == b.name && a.description == b.description && a.unit == b.unit &&
		a.noMinMax == b.noMinMax && slices.Equal(a.bounds, b.bounds) && sameNative(a.native, b.native)
}

// readerAggregation is the SDK's readerDefaultAggregation: the reader's choice, or the default
// when it has none or an invalid one.
func readerAggregation(sel sdkmetric.AggregationSelector, kind sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	agg := sel(kind)
	switch a := agg.(type) {
	case nil, sdkmetric.AggregationDefault:
		return sdkmetric.DefaultAggregationSelector(kind)
	case sdkmetric.AggregationExplicitBucketHistogram:
		for i := 1; i < len(a.Boundaries); i++ {
			if a.Boundaries[i-1] >= a.Boundaries[i] {
				return sdkmetric.DefaultAggregationSelector(kind)
			}
		}
		a.Boundaries = slices.Clone(a.Boundaries)
		return a
	case sdkmetric.AggregationBase2ExponentialHistogram:
		if a.MaxScale > 20 || a.MaxSize <= 0 {
			return sdkmetric.DefaultAggregationSelector(kind)
		}
	}
	return agg
}

// hasNestedValues reports attributes of type MAP or SLICE, which the SDK normalises (removing
// duplicate keys inside them) with code that is not public.
func hasNestedValues(set attribute.Set) bool {
	for _, kv := range set.ToSlice() {
		if t := kv.Value.Type(); t == attribute.MAP || t == attribute.SLICE {
			return true
		}
	}
	return false
}

// pathProvider is the MeterProvider a FastPath hands out.
type pathProvider struct {
	embedded.MeterProvider
	sdk  *sdkmetric.MeterProvider
	path *FastPath
}

// Meter returns the SDK's meter, wrapped so that its synchronous instruments can take the fast
// path.
func (pp *pathProvider) Meter(name string, opts ...metric.MeterOption) metric.Meter {
	m := pp.sdk.Meter(name, opts...)
	if _, stopped := m.(noop.Meter); stopped {
		return m
	}
	return &pathMeter{Meter: m, path: pp.path, scope: meterScope(name, opts)}
}

// meterScope is the instrumentation scope of the Meter called name with opts, as the SDK
// records it: the key under which the fast paths (histograms, summaries) keep a meter's streams
// and the scope their producers report them in.
func meterScope(name string, opts []metric.MeterOption) instrumentation.Scope {
	c := metric.NewMeterConfig(opts...)
	return instrumentation.Scope{
		Name: name, Version: c.InstrumentationVersion(), SchemaURL: c.SchemaURL(), Attributes: c.InstrumentationAttributes(),
	}
}

// pathMeter is an SDK meter whose histograms, counters, up-down counters and gauges can take
// the fast path (valuepath.go for the last three); everything else is the SDK's.
type pathMeter struct {
	metric.Meter
	path  *FastPath
	scope instrumentation.Scope
}

// instrumentSettings gives a Group created from the meter the path's limit and logger, which
// are the provider's.
func (m *pathMeter) instrumentSettings() Settings {
	return Settings{CardinalityLimit: m.path.limit, Logger: m.path.logger, Serve: m.path.serve, Declare: m.path.declare,
		declareNative: func(name string, n Native) bool { return m.path.declareNative(m.scope, name, n) }}
}

// Float64Histogram creates the histogram in the SDK and, when the fast path applies, returns
// an instrument recording on it.
func (m *pathMeter) Float64Histogram(name string, opts ...metric.Float64HistogramOption) (metric.Float64Histogram, error) {
	inst, err := m.Meter.Float64Histogram(name, opts...)
	if err != nil {
		return inst, err
	}
	cfg := metric.NewFloat64HistogramConfig(opts...)
	h := histogramFor[float64](m.path, m.scope, name, cfg.Description(), cfg.Unit(), cfg.ExplicitBucketBoundaries(), allowedKeys(opts))
	if h == nil {
		return inst, nil
	}
	return &fastHistogram[float64]{h: h}, nil
}

// Int64Histogram creates the histogram in the SDK and, when the fast path applies, returns an
// instrument recording on it.
func (m *pathMeter) Int64Histogram(name string, opts ...metric.Int64HistogramOption) (metric.Int64Histogram, error) {
	inst, err := m.Meter.Int64Histogram(name, opts...)
	if err != nil {
		return inst, err
	}
	cfg := metric.NewInt64HistogramConfig(opts...)
	h := histogramFor[int64](m.path, m.scope, name, cfg.Description(), cfg.Unit(), cfg.ExplicitBucketBoundaries(), allowedKeys(opts))
	if h == nil {
		return inst, nil
	}
	return &fastHistogram[int64]{h: h}, nil
}

// allowedKeys is the SDK's defaultAttributes: the keys advised by instrument options that carry
// them, nil when none does.
func allowedKeys[T any](opts []T) []attribute.Key {
	var keys []attribute.Key
	found := false
	for _, o := range opts {
		if a, ok := any(o).(interface{ AllowedKeys() []attribute.Key }); ok {
			found = true
			keys = append(keys, a.AllowedKeys()...)
		}
	}
	if found && keys == nil {
		return []attribute.Key{}
	}
	return keys
}

// fastHistogram is the OTel instrument of a histogram on the fast path: what the meter returns,
// and what a generated catalogue's Inst() gives out. Its Record resolves the attributes of its
// options as the SDK does and records into the stream's cells; instrument.Recorder bypasses it
// with its own cache of cells by label values.
type fastHistogram[N Number] struct {
	embedded.Float64Histogram
	embedded.Int64Histogram
	h *histogram[N]
}

// Record records val with the attributes of options.
func (f *fastHistogram[N]) Record(ctx context.Context, val N, options ...metric.RecordOption) {
	if len(options) == 0 {
		if c := f.h.empty.Load(); c != nil && c.record(val) {
			c.exemplar(ctx, val)
			return
		}
		f.h.recordEmpty(ctx, val)
		return
	}
	f.h.record(ctx, val, recordAttributes(options))
}

// Enabled reports true: some reader gets the stream, or it would take the SDK's path.
func (*fastHistogram[N]) Enabled(context.Context) bool { return true }

// rawAttributesOption is the SDK's interface of an option carrying raw attributes
// (go.opentelemetry.io/otel/metric/x.WithUnsafeAttributes), method for method: an option that
// lacks Experimental is not one to the SDK either.
type rawAttributesOption interface {
	RawAttributes() []attribute.KeyValue
	Experimental()
}

// recordAttributes resolves the attributes of Record's options as the SDK does: the option's
// set, then any raw attributes an option carries, later keys winning.
func recordAttributes(options []metric.RecordOption) attribute.Set {
	return optionAttributes(metric.NewRecordConfig(options).Attributes(), options)
}

// OnFastPath reports whether inst, an instrument created from a FastPath's MeterProvider
// or a generated catalogue's instrument (its Inst()), records on the fast path.
func OnFastPath(inst any) bool {
	switch i := inst.(type) {
	case *fastHistogram[float64], *fastHistogram[int64], *fastValue[float64], *fastValue[int64]:
		return true
	case interface {
		Inst() metric.Float64Histogram
	}:
		return OnFastPath(i.Inst())
	case interface{ Inst() metric.Int64Histogram }:
		return OnFastPath(i.Inst())
	case interface{ Inst() metric.Int64Counter }:
		return OnFastPath(i.Inst())
	case interface{ Inst() metric.Float64Counter }:
		return OnFastPath(i.Inst())
	case interface {
		Inst() metric.Int64UpDownCounter
	}:
		return OnFastPath(i.Inst())
	case interface {
		Inst() metric.Float64UpDownCounter
	}:
		return OnFastPath(i.Inst())
	case interface{ Inst() metric.Int64Gauge }:
		return OnFastPath(i.Inst())
	case interface{ Inst() metric.Float64Gauge }:
		return OnFastPath(i.Inst())
	}
	return false
}

// fastOf returns the fast histogram behind inst, or nil when inst records through the SDK.
func fastOf[N Number](inst any) *histogram[N] {
	if f, ok := inst.(*fastHistogram[N]); ok {
		return f.h
	}
	return nil
}
