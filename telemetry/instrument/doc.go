// Package instrument is the record path behind generated instruments: synchronous OTel
// instruments that record at client_golang's cost.
//
// The OTel SDK's synchronous Add or Record resolves the attribute set, looks it up in a
// concurrent map and fans the measurement out to every reader on every call, and allocates
// when labels are given per call. client_golang's child counter is one atomic add, its
// histogram's Observe four. This package closes that gap without leaving the OTel data model
// (docs/benchmarks.md, sections Recording and "Histograms at client_golang's cost", has the
// measurements):
//
//   - A Counter keeps, per series, a padded cell that Add increments atomically. On a
//     MeterProvider wrapped by a FastPath (telemetry.New's), the cells are the series of a
//     sum stream telediag aggregates (value.go), and a Producer on every reader the pipeline
//     built emits it as the SDK's sum would: cumulative totals or delta sums per reader, Views,
//     the cardinality limit and its otel.metric.overflow series, as for histograms below. On
//     any other provider (or when a View sends the instrument to the SDK) the cells are drained
//     into the SDK's own synchronous instrument by a callback the SDK runs at the start of
//     every collection, for every reader, before it reads its aggregations: one callback per
//     Group, that is per generated catalogue, however many counters it has. The SDK then owns
//     aggregation, temporality, Views and the limit; the counter only batches the additions
//     made between two collections.
//   - A histogram cannot be batched that way: the SDK's aggregation needs each value, and the
//     OTel API takes no pre-aggregated histogram. On a MeterProvider wrapped by a FastPath,
//     a histogram records into lock-free per-series cells of hot and cold counts, as
//     client_golang's do, and the readers' Producers emit them as the SDK would have: same
//     data points, temporality per reader, Views evaluated as the SDK's pipeline evaluates
//     them, the same cardinality limit and overflow series. A gauge on such a provider records
//     its last value in a cell of its own, emitted as the SDK's last value. Every instrument
//     on the fast path is still created in the SDK, which detects name conflicts and warns
//     about duplicate registrations as usual. Whatever the fast path does not implement (see
//     FastPath) takes the SDK's own path, decided when the instrument is created.
//   - A Summary has no OTel instrument at all. On a MeterProvider wrapped by a SummaryPath
//     (telemetry.New's, whatever else it is configured with), each series is a client_golang
//     prometheus.Summary, kept and observed exactly as client_golang keeps and observes one
//     (hot and cold buffers, a quantile stream per age bucket), so that Observe's cost and the
//     quantiles are client_golang's. The path's Collector serves them on /metrics (the OTel
//     Prometheus exporter drops metricdata.Summary), and its Producer gives them to an SDK
//     reader as metricdata.Summary points. On a no-op provider a summary records nothing; on
//     any other provider NewSummary fails, naming it.
//   - A Recorder is the generated wrapper of histograms and gauges. For one on the fast path it
//     keeps each series' cell; otherwise (the SDK's path) it caches the attribute option per
//     series, so labels given per call cost a map lookup instead of building an attribute set.
//
// All of them look series up by their label values (a comparable key, [N]string in generated
// code) in a cache bounded by the provider's cardinality limit; past the bound, calls resolve
// the series' attribute set each time (allocating), so the overflow behaviour is the SDK's and
// memory stays bounded.
//
// A Group is the lifecycle of one catalogue: it carries the Settings of its Counters and
// Recorders (the cardinality limit and the logger), read once from the Meter it is created
// from, and tracks every callback registered for them (the counters' drain, the observable
// instruments' callbacks), so that its Release unregisters all of them. A generated
// Instruments' Release is its Group's. Instruments on the fast path (histograms, and counters
// and gauges of a FastPath's provider), like the SDK's, are not released: a catalogue
// created again on the same provider records into the same streams.
//
// The Settings travel with the provider, so that a catalogue cannot be given a limit other
// than its provider's: telemetry's MeterProvider carries its pipeline's, a FastPath's
// MeterProvider carries the path's, and WithSettings attaches them to any other provider. A
// Meter that carries none (a plain SDK or no-op provider's) gives DefaultCardinalityLimit and
// no warning.
//
// What batching changes: a counter's measurements carry no context into the SDK, so counters
// record no exemplars; instruments on the fast path record none either, which is why the fast
// path requires the exemplar filter to be off (telediag's default). The drain callback hangs on
// an observable gauge named telediag.instrument.drain, which never reports a value; a View that
// drops every instrument by wildcard must leave it alone, or the SDK never runs the callback
// and drained counters stop reaching the readers. AddSet and RecordSet, for callers that
// already hold an attribute.Set, measure into the stream's cells on the fast path and take the
// SDK's own path otherwise.
//
// A catalogue's lifecycle (docs/catalogue.md, "The contract with the pipeline") is honoured
// here too: generated code asks its Group whether each metric is served (Group.Serves, with
// Settings.Serve) and creates one that is not as a no-op; Settings.Declare tells the pipeline
// of a served metric's old names; a metric's max_series bounds its instrument (budget.go). Every
// instrument with labels deletes series as client_golang's vectors do (Delete,
// DeletePartialMatch, Reset; delete.go says what a deleted series leaves behind, which depends
// on whether telediag or the SDK aggregates it: on the fast path, every kind leaves).
//
// MirroredSDKVersion lists every rule of the SDK the fast path re-implements, with the SDK
// function that implements it and the telediag one that mirrors it, and what to do when
// otel-go is upgraded.
//
// One known difference remains for drained counters (not on the fast path) past the
// cardinality limit with a delta reader: the SDK gives their own series to the first label sets
// of each interval in the order they arrive, and a drain adds the interval's sums in the
// cache's (map) order, so which label sets of an interval fold into the overflow series may
// differ from the SDK's. Totals are the same; cumulative readers are not affected (each series
// is created in the SDK, at 0, when first seen). The fast path keeps the SDK's order.
package instrument
