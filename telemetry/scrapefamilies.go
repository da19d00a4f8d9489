package telemetry

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	"google.golang.org/protobuf/proto"
	"google.golang.org/protobuf/types/known/timestamppb"
)

// fastFamilies serves the fast path's streams (a catalogue's instruments) on /metrics in place
// of the OTel Prometheus exporter, which serves everything else the SDK aggregates. It names
// and labels them exactly as the exporter does (UnderscoreEscapingWithoutSuffixes, no scope
// labels, the resource's constant labels when asked for), builds each series with the same
// client_golang constructors, and adds what the exporter (v0.69) leaves out:
//
//   - a counter's or histogram's start time, as client_golang's created timestamp: in
//     protobuf, and as _created lines in OpenMetrics when asked for (WithCreatedSamples);
//     Prometheus 3 reads it to place the series' zero;
//   - a histogram with both classic and native buckets as one series carrying both, as
//     client_golang serves one (the exporter makes a native histogram only from an OTel
//     exponential histogram, and never beside classic buckets). The fast path's
//     instrument.FastPath.ScrapeProducer emits such a stream as a Histogram followed by an
//     ExponentialHistogram of the same name, series for series.
//
// The text format carries neither, so a text scrape of a catalogue without native buckets is
// what the exporter gave, byte for byte.
type fastFamilies struct {
	producer    sdkmetric.Producer
	metricNamer otlptranslator.MetricNamer
	labelNamer  otlptranslator.LabelNamer
	// constKeys and constValues are the resource's attributes served as labels on every
	// series (WithResourceAsConstantLabels), as the exporter adds them: after the series' own.
	constKeys, constValues []string
}

func newFastFamilies(producer sdkmetric.Producer, res *resource.Resource, resourceLabels attribute.Filter) (*fastFamilies, error) {
	strategy := otlptranslator.UnderscoreEscapingWithoutSuffixes
	f := &fastFamilies{
		producer:    producer,
		metricNamer: otlptranslator.NewMetricNamer("", strategy),
		labelNamer:  otlptranslator.LabelNamer{UTF8Allowed: !strategy.ShouldEscape()},
	}
	if resourceLabels != nil {
		set, _ := res.Set().Filter(resourceLabels)
		var err error
		if f.constKeys, f.constValues, err = exporterLabels(set, f.labelNamer); err != nil {
			return nil, fmt.Errorf("telemetry: resource attributes as labels: %w", err)
		}
	}
	return f, nil
}

// Describe describes nothing: the families change with the catalogues created, so the
// collector is unchecked, as the exporter is.
func (*fastFamilies) Describe(chan<- *prometheus.Desc) {}

// Collect emits every series of the fast streams. A series that cannot be built is reported
// as an invalid metric, which the handler logs and skips (promhttp.ContinueOnError), as the
// exporter reports its own.
func (f *fastFamilies) Collect(ch chan<- prometheus.Metric) {
	sms, err := f.producer.Produce(context.Background())
	if err != nil {
		report(ch, nil, fmt.Errorf("fast path: %w", err))
	}
	for _, sm := range sms {
		ms := sm.Metrics
		for i := 0; i < len(ms); i++ {
			m := ms[i]
			var native *metricdata.Metrics
			if i+1 < len(ms) && ms[i+1].Name == m.Name && isHistogram(m.Data) && isExponential(ms[i+1].Data) {
				native = &ms[i+1]
				i++
			}
			name, err := f.metricNamer.Build(otlptranslator.Metric{Name: m.Name, Type: namingType(m.Data)})
			if err != nil {
				report(ch, nil, fmt.Errorf("metric %s: %w", m.Name, err))
				continue
			}
			switch d := m.Data.(type) {
			case metricdata.Sum[int64]:
				emitSum(f, ch, name, m.Description, d)
			case metricdata.Sum[float64]:
				emitSum(f, ch, name, m.Description, d)
			case metricdata.Gauge[int64]:
				emitGauge(f, ch, name, m.Description, d)
			case metricdata.Gauge[float64]:
				emitGauge(f, ch, name, m.Description, d)
			case metricdata.Histogram[int64]:
				emitHistogram(f, ch, name, m.Description, d, native)
			case metricdata.Histogram[float64]:
				emitHistogram(f, ch, name, m.Description, d, native)
			case metricdata.ExponentialHistogram[int64]:
				emitNative(f, ch, name, m.Description, d)
			case metricdata.ExponentialHistogram[float64]:
				emitNative(f, ch, name, m.Description, d)
			default:
				report(ch, nil, fmt.Errorf("metric %s: %T is not served on /metrics", m.Name, m.Data))
			}
		}
	}
}

// descs builds the descriptors of one metric's series. The exporter builds one per data point,
// since the labels of a point are its own; here the last one is reused while the label names
// stay the same, as the series of a catalogue's instrument keep them, so that a scrape does not
// pay for a Desc (names checked, hashed, compiled) per series.
type descs struct {
	f          *fastFamilies
	name, help string
	keys       []string // the label names of last
	last       *prometheus.Desc
}

// of returns the descriptor of the series with attributes attrs, and its label values.
func (d *descs) of(attrs attribute.Set) (*prometheus.Desc, []string, error) {
	keys, values, err := exporterLabels(attrs, d.f.labelNamer)
	if err != nil {
		return nil, nil, err
	}
	keys = append(keys, d.f.constKeys...)
	values = append(values, d.f.constValues...)
	if d.last == nil || !slices.Equal(keys, d.keys) {
		d.last, d.keys = prometheus.NewDesc(d.name, d.help, keys, nil), keys
	}
	return d.last, values, nil
}

func emitSum[N int64 | float64](f *fastFamilies, ch chan<- prometheus.Metric, name, help string, d metricdata.Sum[N]) {
	ds := &descs{f: f, name: name, help: help}
	for _, dp := range d.DataPoints {
		desc, values, err := ds.of(dp.Attributes)
		if err != nil {
			report(ch, nil, fmt.Errorf("metric %s: %w", name, err))
			continue
		}
		var m prometheus.Metric
		switch {
		case !d.IsMonotonic:
			m, err = prometheus.NewConstMetric(desc, prometheus.GaugeValue, float64(dp.Value), values...)
		case d.Temporality == metricdata.CumulativeTemporality:
			m, err = prometheus.NewConstMetricWithCreatedTimestamp(desc, prometheus.CounterValue, float64(dp.Value), dp.StartTime, values...)
		default:
			m, err = prometheus.NewConstMetric(desc, prometheus.CounterValue, float64(dp.Value), values...)
		}
		if err != nil {
			report(ch, desc, err)
			continue
		}
		if d.IsMonotonic {
			m = withExemplars(m, dp.Exemplars, f.labelNamer) // client_golang's gauges carry none
		}
		ch <- m
	}
}

func emitGauge[N int64 | float64](f *fastFamilies, ch chan<- prometheus.Metric, name, help string, d metricdata.Gauge[N]) {
	ds := &descs{f: f, name: name, help: help}
	for _, dp := range d.DataPoints {
		desc, values, err := ds.of(dp.Attributes)
		if err != nil {
			report(ch, nil, fmt.Errorf("metric %s: %w", name, err))
			continue
		}
		m, err := prometheus.NewConstMetric(desc, prometheus.GaugeValue, float64(dp.Value), values...)
		if err != nil {
			report(ch, desc, err)
			continue
		}
		ch <- m
	}
}

// emitHistogram emits d's series, each with the native buckets of the same series of native
// when the stream has both.
func emitHistogram[N int64 | float64](f *fastFamilies, ch chan<- prometheus.Metric, name, help string, d metricdata.Histogram[N], native *metricdata.Metrics) {
	var nativeAt func(i int, h *dto.Histogram, count uint64) (attribute.Set, error)
	if native != nil {
		switch n := native.Data.(type) {
		case metricdata.ExponentialHistogram[int64]:
			nativeAt = nativeSeries(n, len(d.DataPoints))
		case metricdata.ExponentialHistogram[float64]:
			nativeAt = nativeSeries(n, len(d.DataPoints))
		}
	}
	ds := &descs{f: f, name: name, help: help}
	for i, dp := range d.DataPoints {
		desc, values, err := ds.of(dp.Attributes)
		if err != nil {
			report(ch, nil, fmt.Errorf("metric %s: %w", name, err))
			continue
		}
		buckets := make(map[float64]uint64, len(dp.Bounds))
		var cumulative uint64
		for j, bound := range dp.Bounds {
			cumulative += dp.BucketCounts[j]
			buckets[bound] = cumulative
		}
		var start time.Time
		if d.Temporality == metricdata.CumulativeTemporality {
			start = dp.StartTime
		}
		m, err := prometheus.NewConstHistogramWithCreatedTimestamp(desc, dp.Count, float64(dp.Sum), buckets, start, values...)
		if err != nil {
			report(ch, desc, err)
			continue
		}
		if nativeAt != nil {
			// One series with both, as client_golang writes a histogram that has both: the
			// classic series written out, and the native buckets of the same series added.
			written := &writtenMetric{desc: desc, m: &dto.Metric{}}
			err = m.Write(written.m)
			if err == nil {
				var attrs attribute.Set
				attrs, err = nativeAt(i, written.m.Histogram, dp.Count)
				if err == nil && !attrs.Equals(&dp.Attributes) {
					err = errors.New("the classic and native series differ in labels")
				}
			}
			if err != nil {
				report(ch, desc, fmt.Errorf("metric %s: native buckets: %w", name, err))
				continue
			}
			m = written
		}
		ch <- withExemplars(m, dp.Exemplars, f.labelNamer)
	}
}

// nativeSeries returns a function that writes the native buckets of series i of d into a
// histogram whose classic series counted count values; d must have n series. The series goes
// out with the classic count, so the native buckets must hold as many values.
func nativeSeries[N int64 | float64](d metricdata.ExponentialHistogram[N], n int) func(int, *dto.Histogram, uint64) (attribute.Set, error) {
	return func(i int, h *dto.Histogram, count uint64) (attribute.Set, error) {
		if len(d.DataPoints) != n {
			return attribute.Set{}, fmt.Errorf("%d classic series, %d native", n, len(d.DataPoints))
		}
		dp := d.DataPoints[i]
		if dp.Count != count {
			return attribute.Set{}, fmt.Errorf("the native buckets count %d values, the classic ones %d", dp.Count, count)
		}
		return dp.Attributes, nativeFields(h, dp)
	}
}

func emitNative[N int64 | float64](f *fastFamilies, ch chan<- prometheus.Metric, name, help string, d metricdata.ExponentialHistogram[N]) {
	ds := &descs{f: f, name: name, help: help}
	for _, dp := range d.DataPoints {
		desc, values, err := ds.of(dp.Attributes)
		if err != nil {
			report(ch, nil, fmt.Errorf("metric %s: %w", name, err))
			continue
		}
		m, err := nativeHistogram(desc, dp, d.Temporality, values)
		if err != nil {
			report(ch, desc, fmt.Errorf("metric %s: %w", name, err))
			continue
		}
		ch <- withExemplars(m, dp.Exemplars, f.labelNamer)
	}
}

// nativeHistogram is the series client_golang's NewConstNativeHistogram makes of dp, with the
// same checks, written without its bucket maps: a scrape of many native series spent most of
// its allocations on them. The created timestamp is the start of cumulative data, as for the
// other kinds.
func nativeHistogram[N int64 | float64](desc *prometheus.Desc, dp metricdata.ExponentialHistogramDataPoint[N], temporality metricdata.Temporality, values []string) (prometheus.Metric, error) {
	if err := desc.Err(); err != nil {
		return nil, err
	}
	for _, v := range values {
		if !utf8.ValidString(v) {
			return nil, fmt.Errorf("label value %q is not valid UTF-8", v)
		}
	}
	var start time.Time
	if temporality == metricdata.CumulativeTemporality {
		start = dp.StartTime
	}
	count, sum := dp.Count, float64(dp.Sum)
	h := &dto.Histogram{SampleCount: &count, SampleSum: &sum, CreatedTimestamp: timestamppb.New(start)}
	if err := nativeFields(h, dp); err != nil {
		return nil, err
	}
	return &writtenMetric{desc: desc, m: &dto.Metric{Label: prometheus.MakeLabelPairs(desc, values), Histogram: h}}, nil
}

// nativeFields writes dp's native histogram into h's native fields (schema, zero bucket, spans
// and deltas), as client_golang's NewConstNativeHistogram lays them out, and checks dp as it
// does: the exporter's addExponentialHistogramMetric for one data point. Scales above
// Prometheus's highest schema are downscaled to it, scales below its lowest refused, and OTel's
// bucket indexes (lower bounds) shifted by one to Prometheus's (upper bounds). h's count and
// sum are left as they are: a series with classic buckets too keeps the classic ones.
func nativeFields[N int64 | float64](h *dto.Histogram, dp metricdata.ExponentialHistogramDataPoint[N]) error {
	scale := dp.Scale
	if scale < minPrometheusSchema {
		return fmt.Errorf("exponential histogram scale %d: below Prometheus's lowest schema, %d", scale, minPrometheusSchema)
	}
	positive, negative := dp.PositiveBucket, dp.NegativeBucket
	if scale > maxPrometheusSchema {
		positive = downscaleBuckets(positive, scale-maxPrometheusSchema)
		negative = downscaleBuckets(negative, scale-maxPrometheusSchema)
		scale = maxPrometheusSchema
	}
	var populated uint64
	for _, b := range []metricdata.ExponentialBucket{positive, negative} {
		for _, c := range b.Counts {
			if c > math.MaxInt64 {
				return fmt.Errorf("count %d too large for a native histogram", c)
			}
			populated += c
		}
	}
	// client_golang's validateCount: with a NaN sum some observations may be in no bucket.
	sum := float64(dp.Sum)
	if populated += dp.ZeroCount; math.IsNaN(sum) && populated > dp.Count || !math.IsNaN(sum) && populated != dp.Count {
		return errors.New("the sum of all bucket populations exceeds the count of observations")
	}
	zeroThreshold, zeroCount := dp.ZeroThreshold, dp.ZeroCount
	h.Schema, h.ZeroThreshold, h.ZeroCount = &scale, &zeroThreshold, &zeroCount
	h.PositiveSpan, h.PositiveDelta = nativeSpans(positive)
	h.NegativeSpan, h.NegativeDelta = nativeSpans(negative)
	if zeroThreshold == 0 && zeroCount == 0 && len(h.PositiveSpan) == 0 && len(h.NegativeSpan) == 0 {
		// client_golang's mark of a native histogram with nothing in it.
		h.PositiveSpan = []*dto.BucketSpan{{Offset: proto.Int32(0), Length: proto.Uint32(0)}}
	}
	return nil
}

// nativeSpans is client_golang's makeBucketsFromMap on the populated buckets of b, read in
// order instead of sorted out of a map: a new span after a gap of more than two empty buckets,
// smaller gaps written as empty buckets. The layout is measured first, so that the spans and
// deltas take one allocation each: appending them, with three allocations per span, cost a
// 10k-series protobuf scrape 2.5 times the allocations and a fifth more bytes (measured).
func nativeSpans(b metricdata.ExponentialBucket) ([]*dto.BucketSpan, []int64) {
	// each calls f with every populated bucket's Prometheus index (its upper bound), its count,
	// and the gap before it: the empty buckets written, or -1 to start a span.
	each := func(f func(i int32, c uint64, gap int32)) {
		first, next := true, int32(0)
		for j, c := range b.Counts {
			if c == 0 {
				continue
			}
			i := b.Offset + int32(j) + 1
			gap := i - next
			if first || gap > 2 {
				gap = -1
			}
			f(i, c, gap)
			first, next = false, i+1
		}
	}
	nSpans, nDeltas := 0, 0
	each(func(_ int32, _ uint64, gap int32) {
		if gap < 0 {
			nSpans++
			gap = 0
		}
		nDeltas += int(gap) + 1
	})
	if nSpans == 0 {
		return nil, nil
	}
	backing := make([]dto.BucketSpan, nSpans)
	lengths := make([]uint32, nSpans)
	offsets := make([]int32, nSpans)
	spans := make([]*dto.BucketSpan, 0, nSpans)
	deltas := make([]int64, 0, nDeltas)
	var prev int64
	next := int32(0)
	each(func(i int32, c uint64, gap int32) {
		if gap < 0 {
			k := len(spans)
			offsets[k] = i - next
			backing[k].Offset, backing[k].Length = &offsets[k], &lengths[k]
			spans = append(spans, &backing[k])
			gap = 0
		}
		for range gap {
			deltas = append(deltas, -prev)
			prev = 0
		}
		deltas = append(deltas, int64(c)-prev)
		prev = int64(c)
		lengths[len(spans)-1] += uint32(gap) + 1
		next = i + 1
	})
	return spans, deltas
}

// The native histogram schemas Prometheus can represent.
const (
	minPrometheusSchema = -4
	maxPrometheusSchema = 8
)

// downscaleBuckets merges each 2^by buckets into one: the buckets at a scale by lower.
func downscaleBuckets(b metricdata.ExponentialBucket, by int32) metricdata.ExponentialBucket {
	if len(b.Counts) == 0 {
		return metricdata.ExponentialBucket{Offset: b.Offset >> by}
	}
	first := b.Offset >> by
	last := (b.Offset + int32(len(b.Counts)) - 1) >> by
	counts := make([]uint64, last-first+1)
	for i, c := range b.Counts {
		counts[((b.Offset+int32(i))>>by)-first] += c
	}
	return metricdata.ExponentialBucket{Offset: first, Counts: counts}
}

// withExemplars is the exporter's addExemplars: m with exemplars, each labelled with its trace
// and span IDs and the attributes a View filtered out of the series, placed in its bucket by
// client_golang. A series whose exemplars cannot be attached is served without them, as the
// exporter serves it.
func withExemplars[N int64 | float64](m prometheus.Metric, exemplars []metricdata.Exemplar[N], namer otlptranslator.LabelNamer) prometheus.Metric {
	if len(exemplars) == 0 {
		return m
	}
	out := make([]prometheus.Exemplar, len(exemplars))
	for i, e := range exemplars {
		labels := make(prometheus.Labels, len(e.FilteredAttributes)+2)
		for _, kv := range e.FilteredAttributes {
			name, err := namer.Build(string(kv.Key))
			if err != nil {
				return m
			}
			labels[name] = kv.Value.String()
		}
		labels[otlptranslator.ExemplarTraceIDKey] = hex.EncodeToString(e.TraceID)
		labels[otlptranslator.ExemplarSpanIDKey] = hex.EncodeToString(e.SpanID)
		out[i] = prometheus.Exemplar{Value: float64(e.Value), Timestamp: e.Time, Labels: labels}
	}
	with, err := prometheus.NewMetricWithExemplars(m, out...)
	if err != nil {
		return m
	}
	// client_golang orders an exemplar's labels as it ranges over the map: sorted here, so
	// that two scrapes of the same exemplar read the same.
	var d dto.Metric
	if err := with.Write(&d); err != nil {
		return m
	}
	sortLabels(d.GetCounter().GetExemplar())
	for _, b := range d.GetHistogram().GetBucket() {
		sortLabels(b.GetExemplar())
	}
	for _, e := range d.GetHistogram().GetExemplars() {
		sortLabels(e)
	}
	return &writtenMetric{desc: m.Desc(), m: &d}
}

func sortLabels(e *dto.Exemplar) {
	if e != nil {
		slices.SortFunc(e.Label, func(a, b *dto.LabelPair) int { return strings.Compare(a.GetName(), b.GetName()) })
	}
}

// writtenMetric is a series already written to its protobuf form.
type writtenMetric struct {
	desc *prometheus.Desc
	m    *dto.Metric
}

func (w *writtenMetric) Desc() *prometheus.Desc { return w.desc }

func (w *writtenMetric) Write(out *dto.Metric) error {
	out.Reset()
	out.Label, out.Counter, out.Gauge, out.Histogram, out.TimestampMs = w.m.Label, w.m.Counter, w.m.Gauge, w.m.Histogram, w.m.TimestampMs
	return nil
}

// exporterLabels is the exporter's getAttrs: attribute keys translated to label names, values
// as the exporter writes them, and the values of keys that translate to one name joined, sorted,
// with ";". The order is the exporter's; the registry sorts label pairs by name.
func exporterLabels(attrs attribute.Set, namer otlptranslator.LabelNamer) ([]string, []string, error) {
	keys := make([]string, 0, attrs.Len())
	values := make([]string, 0, attrs.Len())
	it := attrs.Iter()
	if namer.UTF8Allowed {
		for it.Next() {
			kv := it.Attribute()
			keys = append(keys, string(kv.Key))
			values = append(values, kv.Value.String())
		}
		return keys, values, nil
	}
	byName := map[string][]string{}
	for it.Next() {
		kv := it.Attribute()
		name, err := namer.Build(string(kv.Key))
		if err != nil {
			return nil, nil, err
		}
		if _, seen := byName[name]; !seen {
			keys = append(keys, name)
		}
		byName[name] = append(byName[name], kv.Value.String())
	}
	for _, k := range keys {
		vs := byName[k]
		slices.Sort(vs)
		values = append(values, strings.Join(vs, ";"))
	}
	return keys, values, nil
}

// namingType is the exporter's namingMetricType with counter suffixes on (they are never added
// under UnderscoreEscapingWithoutSuffixes).
func namingType(data metricdata.Aggregation) otlptranslator.MetricType {
	switch d := data.(type) {
	case metricdata.ExponentialHistogram[int64], metricdata.ExponentialHistogram[float64],
		metricdata.Histogram[int64], metricdata.Histogram[float64]:
		return otlptranslator.MetricTypeHistogram
	case metricdata.Sum[float64]:
		if d.IsMonotonic {
			return otlptranslator.MetricTypeMonotonicCounter
		}
		return otlptranslator.MetricTypeNonMonotonicCounter
	case metricdata.Sum[int64]:
		if d.IsMonotonic {
			return otlptranslator.MetricTypeMonotonicCounter
		}
		return otlptranslator.MetricTypeNonMonotonicCounter
	case metricdata.Gauge[int64], metricdata.Gauge[float64]:
		return otlptranslator.MetricTypeGauge
	}
	return otlptranslator.MetricTypeUnknown
}

func isHistogram(data metricdata.Aggregation) bool {
	switch data.(type) {
	case metricdata.Histogram[int64], metricdata.Histogram[float64]:
		return true
	}
	return false
}

func isExponential(data metricdata.Aggregation) bool {
	switch data.(type) {
	case metricdata.ExponentialHistogram[int64], metricdata.ExponentialHistogram[float64]:
		return true
	}
	return false
}

// report emits err as an invalid metric, as the exporter reports what it cannot build.
func report(ch chan<- prometheus.Metric, desc *prometheus.Desc, err error) {
	if desc == nil {
		desc = prometheus.NewInvalidDesc(err)
	}
	ch <- prometheus.NewInvalidMetric(desc, err)
}
