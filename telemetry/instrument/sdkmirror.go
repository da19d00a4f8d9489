package instrument

// MirroredSDKVersion is the release of the OpenTelemetry Go SDK (go.opentelemetry.io/otel/sdk
// and go.opentelemetry.io/otel/sdk/metric, released together) whose rules the fast path
// (histograms, counters, up-down counters and gauges) re-implements, each checked against that
// release's source. TestSDKMirrorVersion fails
// when another release is linked in: check every rule below against it (see Upgrading
// otel-go), then change the constant.
//
// An instrument on the fast path never reaches the SDK's aggregation, so whatever the SDK would
// decide or compute for it is decided and computed here instead. The rules below were written
// for histograms; those that apply to the other kinds say so, and the sums' and last values'
// own rules follow them. Each entry below names the
// rule, the v1.47.0 code that implements it (in package go.opentelemetry.io/otel/sdk/metric
// unless another is named, with its file) and the telediag code that mirrors it.
//
// Creating an instrument, once per instrument (pathMeter.Float64Histogram, Int64Histogram, and
// in valuepath.go the counters', up-down counters' and gauges'; every rule of this section
// applies to all of them):
//
//   - The meter's scope: name, version, schema URL and attributes, MAP and SLICE values among
//     the attributes deduplicated. (*MeterProvider).Meter, provider.go, with
//     internal/attrnorm.SetDedup. Mirrored by (*pathProvider).Meter; the deduplication is not
//     public, so a scope with such values sends its histograms to the SDK's path
//     (hasNestedValues). After Shutdown the SDK hands out a noop.Meter, passed on as is.
//   - Advised attribute keys: the options with an AllowedKeys method
//     (go.opentelemetry.io/otel/metric/x.WithDefaultAttributes); none is nil (every key), an
//     empty list is no key. defaultAttributes, meter.go. Mirrored by allowedKeys.
//   - Advised bucket boundaries replace the reader's explicit-bucket default, and only that;
//     invalid ones are ignored with an error. resolver[N].HistogramAggregators, pipeline.go,
//     and float64InstProvider.histogramAggs, int64InstProvider.histogramAggs, meter.go.
//     Mirrored in (*FastPath).resolve; an instrument the SDK reports an error for takes
//     the SDK's path (pathMeter).
//   - The reader's default aggregation: nil or AggregationDefault is DefaultAggregationSelector's,
//     and an invalid one (boundaries not increasing; an exponential histogram with MaxScale
//     above 20 or MaxSize not positive) is replaced by it. (*inserter[N]).readerDefaultAggregation,
//     pipeline.go, with AggregationExplicitBucketHistogram.err and
//     AggregationBase2ExponentialHistogram.err, aggregation.go. Mirrored by readerAggregation.
//   - View resolution, per reader: each matching View gives a stream; when none matches, the
//     instrument's name, description and unit do; a dropped stream is skipped, and a stream
//     whose aggregator the instrument already has adds nothing. (*inserter[N]).Instrument,
//     pipeline.go. Mirrored in resolve (matched, seen).
//   - A stream's aggregation and filter: none is the reader's (advised boundaries included),
//     AggregationDefault is DefaultAggregationSelector's; without an AttributeFilter, advised
//     keys give attribute.NewAllowKeysFilter. (*inserter[N]).cachedAggregator, pipeline.go.
//     Mirrored in resolve.
//   - What an instrument may aggregate into: isAggregatorCompatible and
//     (*inserter[N]).aggregateFunc, pipeline.go. The fast path implements each kind's default
//     and AggregationDrop only: AggregationExplicitBucketHistogram and
//     AggregationBase2ExponentialHistogram (b.ExponentialBucketHistogram, see below) for a
//     histogram, AggregationSum for a counter (monotonic, aggregateFunc's b.Sum(true)) or an
//     up-down counter (b.Sum(false)), AggregationLastValue for a gauge (b.LastValue()). Any
//     other aggregation (a histogram of a counter or gauge, one the SDK rejects),
//     several streams for one reader, readers that disagree on the stream, or more than one
//     delta reader send the whole instrument to the SDK's path (resolve, sameStream).
//   - Stream identity: lowercased name, description, unit, kind and number type; the first
//     instrument of a meter to ask for an identity decides its stream, and later ones record
//     into it. (*inserter[N]).instID, pipeline.go, and instID.normalize, instrument.go, with the
//     per-meter (*cache[K, V]).Lookup, cache.go. Mirrored by streamKey, scopeEntry.streams and
//     (*FastPath).streamFor, which keeps a stream claimed by the SDK's path there.
//   - Temporality per reader: aggregate.Builder[N].Temporality, set from the reader's
//     TemporalitySelector in cachedAggregator. Mirrored by the selector given to
//     (*FastPath).Producer, and histReader.delta.
//   - The cardinality limit per reader: the reader's CardinalityLimitSelector, else the
//     provider's limit. (*inserter[N]).getCardinalityLimit, pipeline.go. Mirrored by
//     FastPathConfig.CardinalityLimit alone: the path assumes every reader falls back to
//     the provider's limit, as the readers telemetry builds do.
//   - No exemplars: with exemplar.AlwaysOffFilter (compared by function pointer) every series
//     gets aggregate.DropReservoir. reservoirFunc, exemplar.go. telemetry's fastPath
//     compares the filter the same way and builds a FastPath only then.
//
// Recording (the attribute rules apply to every kind: fastValue.Add and Record resolve their
// options with optionAttributes, and valueStream.measure applies the stream's filter):
//
//   - A measurement's attributes: the options' set, then the raw attributes of the options with
//     RawAttributes and Experimental methods
//     (go.opentelemetry.io/otel/metric/x.WithUnsafeAttributes), a raw key winning, MAP and
//     SLICE values deduplicated. (*float64Inst).Record and
//     (*int64Inst).Record, with rawAttributesOption, extractRawKVs and resolveAttributes,
//     instrument.go. Mirrored by recordAttributes and rawAttributesOption, without the
//     deduplication (Recorder.RecordSet says so).
//   - The stream's attribute filter, before the series is looked up: aggregate.Builder[N].filter
//     and newLazyFilteredAttributes, internal/aggregate/aggregate.go and lazy_attributes.go.
//     Mirrored in (*histogram[N]).resolve.
//   - Buckets: the bounds copied and sorted; a value's bucket is the first bound at or above it,
//     the last bucket for larger values and NaN. newCumulativeHistogram, newDeltaHistogram and
//     their measure methods (slices.Sort, sort.SearchFloat64s), internal/aggregate/histogram.go.
//     Mirrored by newHistogram and (*hcell[N]).record.
//   - The sum: whole numbers added to an integer, the rest to a float, read as their sum.
//     atomicCounter[N].add and load, internal/aggregate/atomic.go. Mirrored by
//     (*phase[N]).addSum and loadSum. A histogram always keeps its sum (aggregateFunc drops it
//     only for instruments that can record negative values).
//   - Min and max: the first value sets both under a mutex, later ones widen them by
//     compare-and-swap, a NaN comparing false. atomicMinMax[N].Update and init, atomic.go.
//     Mirrored by (*phase[N]).update and initMinMax. The stream's NoMinMax leaves them out
//     (aggregate.Builder[N].ExplicitBucketHistogram); mirrored by histogram.noMinMax.
//   - Hot and cold phases of cumulative data: a collection swaps them, waits for the recordings
//     started in the old hot phase, reads it and merges it into the new hot one, extrema only
//     widening. hotColdWaitGroup (start, done, swapHotAndWait), atomic.go, and
//     histogramPointCounters[N].mergeIntoAndReset, histogram.go. Mirrored by (*hcell[N]).record,
//     swap and drainCumulative, which count a recording as ended by its bucket increment
//     instead of by a counter of their own.
//
// Sums (counters, up-down counters) and last values (gauges), valueStream in value.go:
//
//   - A sum's value: whole numbers added to an integer, the rest to a float, read as their
//     sum; a series is created by its first measurement, an Add of 0 included.
//     atomicCounter[N].add and load, internal/aggregate/atomic.go, with (*cumulativeSum[N]).measure
//     and (*deltaSum[N]).measure, internal/aggregate/sum.go. Mirrored by (*vcell[N]).add and
//     load, and valueStream.measure. Counter.Bind creates the series with a measurement of 0,
//     as an Add of 0 creates it in the SDK (and as the drain path's newCell does).
//   - Cumulative sums are read in place at each collection, every series the map holds, with
//     IsMonotonic from aggregateFunc. (*cumulativeSum[N]).collect, sum.go. Mirrored by
//     collectCumulative.
//   - Delta sums: one map per interval, cleared at each collection, so only the series
//     measured in the interval report, with the interval's sum; start time the previous
//     collection. (*deltaSum[N]).collect, sum.go. Mirrored by the cells' per-cycle seq (a
//     measurement marks its cell), drainAll and collectDelta.
//   - Last values: the measurement's value stored, the series created with it; cumulative data
//     reports every series with its latest value, delta data only the series measured in the
//     interval. cumulativeLastValue and deltaLastValue (measure, collect, copyAndClearDpts),
//     internal/aggregate/lastvalue.go, with atomicN[N], atomic.go. Mirrored by (*vcell[N]).set
//     and load, collectCumulative, collectDelta. A gauge in delta mode numbers its measurements
//     (vcell.last), so that the overflow series takes the latest value of the label sets
//     folded into it, as the SDK's overflow point keeps the last value stored into it.
//   - Start times of sums and last values: as the histograms' below (cumulativeSum.collect and
//     cumulativeLastValue.collect read x.PerSeriesStartTimestamps at every collection; delta
//     data starts at the previous collection). Mirrored by the same envPerSeriesStart.
//   - Not mirrored, because the fast path never builds them: precomputed sums and last values
//     (observable instruments stay the SDK's) and the finish-aware sum (finish_sum.go, with
//     internal/finish), which v1.47 builds from nothing public, so no series can be ended in
//     the SDK; a later release exposing it would let the drain path end series too.
//
// The cardinality limit (the same rules for every kind; valueStream.measure, locate and
// collectDelta mirror them for sums and last values as histogram's functions do):
//
//   - Cumulative data: the first limit-1 distinct (filtered) label sets get a series for the
//     life of the instrument; every later one records into the series of overflowSet,
//     otel.metric.overflow=true, created then, and once that series exists a new set finds it
//     without the lock. (*limitedSyncMap[V]).LoadOrStoreAttr, internal/aggregate/atomic.go,
//     and overflowSet, limit.go. Mirrored by (*histogram[N]).resolve (persistent cells, the
//     overflow cell found under the read lock) and overflowSet; the caches of Counter and
//     Recorder stop at limit-1 series for the same reason (newSeriesCache). limiter[V].Attributes,
//     limit.go, serves only the exponential histogram and is not mirrored.
//   - Delta data: one map per phase, cleared at each collection, so the limit counts the label
//     sets of each interval in the order they arrive. hotColdMap[V], atomic.go, and
//     (*deltaHistogram[N]).collect, histogram.go. Mirrored by the transient cells, each cell's
//     per-cycle seq and collectDelta.
//
// Collecting:
//
//   - Cumulative start times: the instrument's creation or, with
//     OTEL_GO_X_PER_SERIES_START_TIMESTAMPS=true (any case; read at every collection), the
//     series' first measurement. (*cumulativeHistogram[N]).collect,
//     internal/aggregate/histogram.go, and x.PerSeriesStartTimestamps in
//     go.opentelemetry.io/otel/sdk/internal/x, features.go (module
//     go.opentelemetry.io/otel/sdk). Mirrored by envPerSeriesStart, perSeriesStart,
//     collectCumulative and collectCumulativeState (overflowSince for the overflow series).
//     One difference: a series created by a recording still in progress is reported by the SDK
//     with a count of 0, and by the fast path at the next collection.
//   - Delta data: the previous collection (the instrument's creation at first) as start time,
//     and no data point for a series that recorded nothing since. (*deltaHistogram[N]).collect,
//     histogram.go. Mirrored by collectDelta (readerState.last, readerState.pending).
//   - A metric without data points is left out, and a scope without metrics.
//     (*pipeline).produce, pipeline.go. Mirrored by (*histogram[N]).collect and
//     (*producer).Produce.
//   - A Producer's ScopeMetrics come after the SDK's, unmerged: (*ManualReader).Collect,
//     manual_reader.go, and (*PeriodicReader).collect, periodic_reader.go. Hence the fast
//     stream's ScopeMetrics of its own, which telemetry's mergeScopes (export.go) merges into
//     the SDK's before an OTLP export.
//
// Exponential histograms (a histogram with AggregationBase2ExponentialHistogram, or a declared
// Native; expo.go, nativecell.go, nativecollect.go), in internal/aggregate/exponential_histogram.go
// unless another file is named:
//
//   - Validation: MaxScale above 20 or MaxSize 0 or less is invalid; a View's is dropped
//     (NewView, view.go: the reader's aggregation applies) and a reader's replaced by the
//     default (readerDefaultAggregation). AggregationBase2ExponentialHistogram.err,
//     aggregation.go. Mirrored by NewView itself and readerAggregation. A MaxSize under 3 or a
//     MaxScale under -10 (where the SDK's expoHistogramDataPoint.record hits "exponential
//     histogram scale underflow" and drops a value depending on the order of values), and a
//     MaxSize over maxFastExpoSize, take the SDK's path (resolve).
//   - The sum is kept for a histogram (aggregateFunc's noSum for others only), whole numbers
//     apart from the rest and never merged (no hot and cold phases): atomicCounter[N].
//     Mirrored by the phases' and base's sumInt and sumFloat, which nativeCumulativeState
//     leaves unmerged.
//   - measure: NaN and infinities are ignored before the series is looked up (no series, no
//     place under the limit); the limit's overflow set once len(values) reaches limit-1;
//     values cleared at each delta collection. (*expoHistogram[N]).measure, delta, cumulative,
//     with limiter[V]. Mirrored by histogram.ignores (and the Recorder's and bound series'
//     checks before resolve), recordNative, and the classic stream's limit rules above, which
//     give the same series.
//   - record: min and max (atomicMinMax), the sum, then |v| == 0 into the zero count, else
//     the bucket getBin gives at the current scale, after scaleChange's downscale of both signs
//     when the new bucket would make a sign span MaxSize buckets or more.
//     (*expoHistogramDataPoint[N]).record, getBin, scaleFactors, scaleChange. Mirrored by
//     expoBin (getBin, expoScaleFactors) and expoShift (scaleChange for both signs, whose
//     result does not depend on the order of values: see expoBin and TestExpoBinShift),
//     expoAcc.fit and record, and ncell.count, which counts at a phase's scale and leaves the
//     downscale to the slow path and the collections.
//   - Buckets: expoBuckets.record (startBin and counts from the lowest to the highest bucket
//     recorded), downscale (bucket i to i>>delta), count. Mirrored by expoBuckets (grow,
//     downscale, span) and drain, which trims a phase's span to its populated ends.
//   - Data points: Count, Scale, ZeroCount, ZeroThreshold 0, each sign's Offset (startBin, 0
//     for an empty sign) and Counts, Sum, Min and Max unless NoMinMax, StartTime (the
//     instrument's creation, the series' first measurement with per-series start times, the
//     previous collection for delta data). (*expoHistogram[N]).delta and cumulative. Mirrored by
//     expoPoint, nativeCumulative, nativeCumulativeState and nativeDelta. A declared Native
//     adds what the SDK has not: its zero threshold (|v| at most it counts as zero) and its
//     MinResetDuration (client_golang's maybeReset: a cumulative series reset instead of
//     losing resolution, its StartTime moved to the reset).
//
// TestNativeMatchesSDK, TestNativeSpecialValues, TestNativeConcurrent and
// TestNativeDeclaredMatchesSDK are the exponential histograms' differential tests, and
// TestNativeMatchesClientGolang holds a declared Native to client_golang's native histogram.
//
// Summaries have no SDK instrument or aggregation to mirror; SummaryPath takes two of the rules
// above so that its points read like the SDK's cumulative data: the cumulative cardinality
// limit with overflowSet ((*summaryStream).resolve), and the start times, per series with
// OTEL_GO_X_PER_SERIES_START_TIMESTAMPS=true ((*summaryStream).points). A change to either
// rule applies to them too.
//
// What Counter and Group rely on without re-implementing it, on the drain path (a provider
// without a FastPath, or a counter a View sends to the SDK):
//
//   - (*pipeline).produce, pipeline.go, runs every callback under the pipeline's lock before it
//     reads any aggregation, so the drain Group.addCounter registers lands the counters'
//     additions in the collection that ran it. (*meter).RegisterCallback, meter.go, and the
//     Unregister of (*pipeline).addMultiCallback take that lock, so Group.drain reads an
//     atomic pointer, never Group.mu.
//   - An observable instrument that observed nothing exports nothing (produce), so
//     telediag.instrument.drain never appears; (*meter).Int64ObservableGauge returns one
//     instrument per name and options ((*meter).int64ObservableInstrument's cache), so the
//     Groups of one meter share it.
//   - An Add of 0 creates its series ((*cumulativeSum[N]).measure,
//     internal/aggregate/sum.go), which newCell relies on to export a counter's series from its
//     first sight.
//
// The direct scrape (package telemetry/internal/promtext) mirrors the OTel Prometheus exporter,
// not the SDK; TestDirectScrapeMatchesExporter and FuzzDirectScrape hold it to the exporter.
//
// Upgrading otel-go. First read what changed between the two releases in every file named
// above, once both are in the module cache (go mod download go.opentelemetry.io/otel/sdk@vNEW
// go.opentelemetry.io/otel/sdk/metric@vNEW):
//
//	m=$(go env GOMODCACHE)/go.opentelemetry.io/otel
//	diff -ru $m/sdk/metric@v1.47.0 $m/sdk/metric@vNEW
//	diff -ru $m/sdk@v1.47.0/internal/x $m/sdk@vNEW/internal/x
//
// In sdk/metric: pipeline.go, meter.go, instrument.go, provider.go, aggregation.go,
// exemplar.go, cache.go, manual_reader.go, periodic_reader.go, internal/aggregate
// (aggregate.go, histogram.go, exponential_histogram.go, atomic.go, limit.go, lazy_attributes.go,
// sum.go, lastvalue.go, finish_sum.go) and
// internal/attrnorm/dedup.go; in sdk, internal/x/features.go; config.go of
// go.opentelemetry.io/otel/metric (the Experimental convention), options.go of
// go.opentelemetry.io/otel/metric/x, and the CHANGELOG. Look for a new Aggregation or Stream
// field, a change to View resolution, to the cardinality limit or the overflow series, to start
// times or to how attributes are resolved, a new experimental feature that changes histogram
// data, and functions named here that moved.
//
// Then run the differential tests, which record the same program through the fast path and
// through plain SDK instruments and compare what every reader collects: in this package
// TestValuesMatchSDK (counters, up-down counters and gauges: temporality mixes, Views, limits,
// per-series start times), TestValuesConcurrent, TestValuePathChoice,
// TestHistogramMatchesSDK (temporality mixes, Views, limits, per-series start times),
// TestHistogramSpecialValues, TestHistogramConcurrent, TestHistogramRecreated,
// TestHistogramSniffedOptionsMatchSDK, TestCounterMatchesSDK, TestCounterOverflowMatchesSDK
// and TestRecorderMatchesSDK; in package telemetry TestHistogramsMatchSDKPath (two whole
// pipelines, /metrics and OTLP, cumulative and delta). TestFastPathChoice and
// TestFastPathChosenByPipeline check which instruments take which path;
// TestCardinalityLimitOnMetrics and TestCatalogueTakesLimitFromMeterProvider the overflow
// series on /metrics. This package's tests are mostly the differential ones:
//
//	go test -race -count=1 ./telemetry/instrument/
//	go test -race -count=1 -run 'MatchSDK|PathChosen|CardinalityLimit|TakesLimit' ./telemetry/
//
// They catch a result that changed for what they record, not a new option they never use: the
// reading above is for that. Last, update every entry that changed, the code that mirrors it,
// and MirroredSDKVersion.
const MirroredSDKVersion = "1.47.0"
