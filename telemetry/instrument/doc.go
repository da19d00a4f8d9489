// Package instrument is the record path behind generated instruments: synchronous OTel
// instruments that record at client_golang's cost.
//
// The OTel SDK's synchronous Add resolves the attribute set, looks it up in a concurrent map and
// fans the measurement out to every reader on every call (about 100 ns bound, 200 ns and three
// allocations with labels given per call). client_golang's child counter is one atomic add. This
// package closes that gap without leaving the OTel data model:
//
//   - A Counter keeps, per series, a padded cell that Add increments atomically. The cells are
//     drained into the SDK's own synchronous instrument by a callback the SDK runs at the start
//     of every collection, for every reader, before it reads its aggregations: one callback per
//     Group, that is per generated catalogue, however many counters it has. The SDK therefore
//     still owns aggregation, temporality (cumulative or delta per reader), Views (renames,
//     attribute filters, drops), the cardinality limit and its otel.metric.overflow series;
//     the counter only batches the additions made between two collections.
//   - A Recorder (histograms, gauges) cannot batch: the SDK's aggregation needs each value. It
//     caches the attribute option per series, so labels given per call cost a map lookup
//     instead of building an attribute set.
//
// Both look series up by their label values (a comparable key, [N]string in generated code)
// in a cache bounded by WithCardinalityLimit; past the bound, calls take the SDK's own path, so
// the SDK's overflow behaviour is unchanged and memory stays bounded.
//
// A Group is the lifecycle of one catalogue: it carries the options of its Counters and
// Recorders, and tracks every callback registered for them (the counters' drain, the
// observable instruments' callbacks), so that its Release unregisters all of them. A generated
// Instruments' Release is its Group's.
//
// What batching changes: a counter's measurements carry no context into the SDK, so counters
// record no exemplars (histograms still do when the exemplar filter allows them). The drain
// callback hangs on an observable gauge named telediag.instrument.drain, which never reports a
// value; a View that drops every instrument by wildcard must leave it alone, or the SDK never
// runs the callback and counters stop reaching the readers. AddSet and RecordSet, for callers
// that already hold an attribute.Set, take the SDK's own path.
package instrument
