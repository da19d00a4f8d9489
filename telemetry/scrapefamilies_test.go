package telemetry

import (
	"bytes"
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/otlptranslator"
	"go.opentelemetry.io/otel/attribute"
	otelprom "go.opentelemetry.io/otel/exporters/prometheus"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
	"google.golang.org/protobuf/proto"

	"github.com/telediag/telediag/telemetry/instrument"
)

// fastAndExporter records one fixture on a fast path whose streams reach two registries: one
// through the OTel exporter (as telediag served them before fastFamilies), one through
// fastFamilies. Every kind is there, with attributes of every type, keys the exporter
// translates (http.method), two keys that translate to one label name, and the resource's
// attributes as constant labels.
func fastAndExporter(t *testing.T) (exporter, fast *prometheus.Registry, started time.Time) {
	t.Helper()
	res := resource.NewSchemaless(attribute.String("service.name", "svc"), attribute.String("deployment.environment", "prod"))
	resourceLabels := func(kv attribute.KeyValue) bool { return kv.Key == "deployment.environment" }
	path := instrument.NewFastPath(instrument.FastPathConfig{CardinalityLimit: 100})
	viaExporter, err := path.Producer(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	viaFast, err := path.Producer(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	exporter, fast = prometheus.NewRegistry(), prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(exporter), otelprom.WithProducer(viaExporter),
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithoutSuffixes),
		otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo(), otelprom.WithResourceAsConstantLabels(resourceLabels))
	if err != nil {
		t.Fatal(err)
	}
	ff, err := newFastFamilies(viaFast, res, resourceLabels)
	if err != nil {
		t.Fatal(err)
	}
	fast.MustRegister(ff)
	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp), sdkmetric.WithResource(res))
	t.Cleanup(func() { _ = sdk.Shutdown(context.Background()) })
	started = time.Now()
	m := path.MeterProvider(sdk).Meter("fixture")
	ctx := context.Background()

	attrs := []metric.MeasurementOption{
		metric.WithAttributes(),
		metric.WithAttributes(attribute.String("http.method", "GET"), attribute.Int("code", 200)),
		metric.WithAttributes(attribute.String("http.method", "POST"), attribute.Int("code", 500)),
		metric.WithAttributes(attribute.String("a.b", "x"), attribute.String("a_b", "y"), attribute.Bool("ok", true)),
		metric.WithAttributes(attribute.Float64("ratio", 0.25), attribute.StringSlice("tags", []string{"p", "q"})),
	}
	counter, _ := m.Int64Counter("requests_total", metric.WithDescription("Requests."))
	fcounter, _ := m.Float64Counter("rx", metric.WithDescription("Bytes received."), metric.WithUnit("By"))
	updown, _ := m.Int64UpDownCounter("in_flight", metric.WithDescription("In flight."))
	gauge, _ := m.Float64Gauge("temperature_celsius", metric.WithDescription("Temperature."))
	hist, _ := m.Float64Histogram("request_seconds", metric.WithDescription("Latency."),
		metric.WithExplicitBucketBoundaries(0.005, 0.01, 0.1, 1, 10))
	ihist, _ := m.Int64Histogram("size_bytes", metric.WithDescription("Sizes."))
	for i, a := range attrs {
		for j := range 3 {
			v := int64(i*7 + j)
			counter.Add(ctx, v, a)
			fcounter.Add(ctx, float64(v)*1.5, a)
			updown.Add(ctx, v-4, a)
			gauge.Record(ctx, float64(v)-2.5, a)
			hist.Record(ctx, float64(v)/10, a)
			ihist.Record(ctx, v*100, a)
		}
	}
	return exporter, fast, started
}

// withoutCreated returns copies of mfs without created timestamps, which the exporter does not
// write, keyed by name, with exemplar labels sorted as fastFamilies sorts them (the exporter
// orders them as it ranges over a map).
func withoutCreated(t *testing.T, mfs []*dto.MetricFamily) map[string]*dto.MetricFamily {
	t.Helper()
	out := map[string]*dto.MetricFamily{}
	for _, mf := range mfs {
		c := proto.Clone(mf).(*dto.MetricFamily)
		for _, m := range c.Metric {
			if m.Counter != nil {
				m.Counter.CreatedTimestamp = nil
				sortLabels(m.Counter.Exemplar)
			}
			if m.Histogram != nil {
				m.Histogram.CreatedTimestamp = nil
				for _, b := range m.Histogram.Bucket {
					sortLabels(b.Exemplar)
				}
				for _, e := range m.Histogram.Exemplars {
					sortLabels(e)
				}
			}
		}
		out[c.GetName()] = c
	}
	return out
}

// TestFastFamiliesMatchExporter: fastFamilies serves the fast streams as the OTel exporter
// served them, family for family, series for series, created timestamps aside; and so the text
// format, which has no place for them, byte for byte.
func TestFastFamiliesMatchExporter(t *testing.T) {
	exporter, fast, _ := fastAndExporter(t)
	want, err := exporter.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got, err := fast.Gather()
	if err != nil {
		t.Fatal(err)
	}
	if len(want) < 6 {
		t.Fatalf("the exporter served %d families, want the fixture's 6", len(want))
	}
	w, g := withoutCreated(t, want), withoutCreated(t, got)
	for name, wf := range w {
		gf, ok := g[name]
		if !ok {
			t.Errorf("family %s: missing", name)
			continue
		}
		if !proto.Equal(wf, gf) {
			t.Errorf("family %s differs:\nexporter:     %v\nfastFamilies: %v", name, wf, gf)
		}
	}
	for name := range g {
		if _, ok := w[name]; !ok {
			t.Errorf("family %s: not served by the exporter", name)
		}
	}
	if wt, gt := encodeText(t, want), encodeText(t, got); wt != gt {
		t.Errorf("text differs:\n%s", firstDifference(gt, wt))
	}
}

func encodeText(t *testing.T, mfs []*dto.MetricFamily) string {
	t.Helper()
	var b bytes.Buffer
	enc := expfmt.NewEncoder(&b, expfmt.NewFormat(expfmt.TypeTextPlain))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	return b.String()
}

// TestCreatedTimestamps: counters and histograms carry their start time as client_golang's
// created timestamp, in protobuf; gauges and up-down counters (served as gauges) carry none,
// as client_golang's cannot. In OpenMetrics, _created samples appear only when asked for.
func TestCreatedTimestamps(t *testing.T) {
	_, fast, started := fastAndExporter(t)
	mfs, err := fast.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		for _, m := range mf.Metric {
			var ct interface{ AsTime() time.Time }
			switch {
			case m.Counter != nil && m.Counter.CreatedTimestamp != nil:
				ct = m.Counter.CreatedTimestamp
			case m.Histogram != nil && m.Histogram.CreatedTimestamp != nil:
				ct = m.Histogram.CreatedTimestamp
			}
			wantCT := mf.GetType() == dto.MetricType_COUNTER || mf.GetType() == dto.MetricType_HISTOGRAM
			if (ct != nil) != wantCT {
				t.Errorf("%s %v: created timestamp %v, want one: %v", mf.GetName(), m.GetLabel(), ct, wantCT)
				continue
			}
			// The instrument's creation: after the provider was built, before the recordings.
			if ct != nil && (ct.AsTime().Before(started.Add(-time.Second)) || ct.AsTime().After(time.Now())) {
				t.Errorf("%s: created %v, want about %v", mf.GetName(), ct.AsTime(), started)
			}
		}
	}

	for _, created := range []bool{false, true} {
		opts := []Option{WithoutEnvironmentExporter(), WithoutRuntimeMetrics()}
		if created {
			opts = append(opts, WithCreatedSamples())
		}
		tel := withCatalogue(t, newTestTelemetry(t, opts...))
		recordEveryInstrument(context.Background(), tel.Instruments)
		_, om := scrapeAs(t, tel.Handler(), prometheus2Accept, false)
		var lines []string
		for l := range strings.SplitSeq(string(om), "\n") {
			if strings.Contains(l, "_created") {
				lines = append(lines, l)
			}
		}
		switch {
		case !created && len(lines) > 0:
			t.Errorf("_created served without WithCreatedSamples: %q", lines)
		case created && !slices.ContainsFunc(lines, func(l string) bool { return strings.HasPrefix(l, "request_seconds_created{") }):
			t.Errorf("WithCreatedSamples: no request_seconds_created sample in %q", lines)
		}
	}
}

// staticProducer produces the same data at every collection.
type staticProducer []metricdata.ScopeMetrics

func (p staticProducer) Produce(context.Context) ([]metricdata.ScopeMetrics, error) { return p, nil }

// TestFastFamiliesMatchExporterOnExponentialAndExemplars: what the fast path will carry beyond
// the fixture's kinds — exponential histograms (native-only; a scale above Prometheus's highest
// schema, downscaled; negative and zero buckets) and exemplars on counters and histograms,
// with filtered attributes — is served as the exporter serves it.
func TestFastFamiliesMatchExporterOnExponentialAndExemplars(t *testing.T) {
	start, now := time.Unix(1_700_000_000, 0), time.Unix(1_700_000_100, 0)
	trace := []byte{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16}
	span := []byte{1, 2, 3, 4, 5, 6, 7, 8}
	ex := func(v float64) []metricdata.Exemplar[float64] {
		return []metricdata.Exemplar[float64]{{Value: v, Time: now, TraceID: trace, SpanID: span,
			FilteredAttributes: []attribute.KeyValue{attribute.String("user.id", "u1")}}}
	}
	a := attribute.NewSet(attribute.String("code", "200"))
	data := staticProducer{{Metrics: []metricdata.Metrics{
		{Name: "hits_total", Description: "Hits.", Data: metricdata.Sum[float64]{IsMonotonic: true, Temporality: metricdata.CumulativeTemporality,
			DataPoints: []metricdata.DataPoint[float64]{{Attributes: a, StartTime: start, Time: now, Value: 3, Exemplars: ex(1)}}}},
		{Name: "latency_seconds", Description: "Latency.", Data: metricdata.Histogram[float64]{Temporality: metricdata.CumulativeTemporality,
			DataPoints: []metricdata.HistogramDataPoint[float64]{{Attributes: a, StartTime: start, Time: now, Count: 3, Sum: 2.6,
				Bounds: []float64{0.1, 1}, BucketCounts: []uint64{1, 1, 1}, Exemplars: ex(0.5)}}}},
		{Name: "native_seconds", Description: "Native.", Data: metricdata.ExponentialHistogram[float64]{Temporality: metricdata.CumulativeTemporality,
			DataPoints: []metricdata.ExponentialHistogramDataPoint[float64]{
				{Attributes: a, StartTime: start, Time: now, Count: 7, Sum: 1.5, Scale: 3, ZeroCount: 1, ZeroThreshold: 1e-9,
					PositiveBucket: metricdata.ExponentialBucket{Offset: -3, Counts: []uint64{1, 0, 2}},
					NegativeBucket: metricdata.ExponentialBucket{Offset: 2, Counts: []uint64{3}}, Exemplars: ex(0.7)},
				{Attributes: attribute.NewSet(attribute.String("code", "500")), StartTime: start, Time: now, Count: 5, Sum: 40, Scale: 11,
					PositiveBucket: metricdata.ExponentialBucket{Offset: 4090, Counts: []uint64{1, 1, 1, 1, 1}}},
			}}},
	}}}
	exporter, fast := prometheus.NewRegistry(), prometheus.NewRegistry()
	exp, err := otelprom.New(otelprom.WithRegisterer(exporter), otelprom.WithProducer(data),
		otelprom.WithTranslationStrategy(otlptranslator.UnderscoreEscapingWithoutSuffixes),
		otelprom.WithoutScopeInfo(), otelprom.WithoutTargetInfo())
	if err != nil {
		t.Fatal(err)
	}
	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(exp))
	t.Cleanup(func() { _ = sdk.Shutdown(context.Background()) })
	ff, err := newFastFamilies(data, resource.Empty(), nil)
	if err != nil {
		t.Fatal(err)
	}
	fast.MustRegister(ff)
	want, err := exporter.Gather()
	if err != nil {
		t.Fatal(err)
	}
	got, err := fast.Gather()
	if err != nil {
		t.Fatal(err)
	}
	w, g := withoutCreated(t, want), withoutCreated(t, got)
	if len(w) != 3 || len(g) != 3 {
		t.Fatalf("families: exporter %d, fastFamilies %d, want 3 each", len(w), len(g))
	}
	for name, wf := range w {
		if gf := g[name]; !proto.Equal(wf, gf) {
			t.Errorf("family %s differs:\nexporter:     %v\nfastFamilies: %v", name, wf, gf)
		}
	}
	// The exporter gives the native histogram its created timestamp already; the others get
	// theirs from fastFamilies only.
	for _, mf := range got {
		for _, m := range mf.Metric {
			ct := m.GetCounter().GetCreatedTimestamp()
			if m.Histogram != nil {
				ct = m.Histogram.GetCreatedTimestamp()
			}
			if !ct.AsTime().Equal(start) {
				t.Errorf("%s: created %v, want the start time %v", mf.GetName(), ct.AsTime(), start)
			}
		}
	}
}

// TestCreatedSamplesMatchClientGolang: with WithCreatedSamples, the OpenMetrics lines of a
// catalogue's counter and histogram are client_golang's for the same metrics with
// EnableOpenMetricsTextCreatedSamples, line for line once the values are set aside, and each
// _created value is the series' start: between the two pipelines' creation and the scrape.
func TestCreatedSamplesMatchClientGolang(t *testing.T) {
	before := time.Now()
	reg := prometheus.NewRegistry()
	cgCounter := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "requests_total", Help: "Requests."}, []string{"code"})
	cgHist := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "request_seconds", Help: "Latency.", Buckets: []float64{0.1, 1}}, []string{"code"})
	reg.MustRegister(cgCounter, cgHist)

	tel := newTestTelemetry(t, WithoutEnvironmentExporter(), WithoutRuntimeMetrics(), WithCreatedSamples())
	m := tel.MeterProvider().Meter("test")
	counter, _ := m.Int64Counter("requests_total", metric.WithDescription("Requests."))
	hist, _ := m.Float64Histogram("request_seconds", metric.WithDescription("Latency."), metric.WithExplicitBucketBoundaries(0.1, 1))
	if !instrument.OnFastPath(counter) || !instrument.OnFastPath(hist) {
		t.Fatal("the instruments are not on the fast path")
	}
	ctx := context.Background()
	for _, code := range []string{"200", "500"} {
		cgCounter.WithLabelValues(code).Add(2)
		cgHist.WithLabelValues(code).Observe(0.5)
		a := metric.WithAttributes(attribute.String("code", code))
		counter.Add(ctx, 2, a)
		hist.Record(ctx, 0.5, a)
	}
	after := time.Now()

	cg := httptestScrape(t, promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true, EnableOpenMetricsTextCreatedSamples: true}))
	_, ours := scrapeAs(t, tel.Handler(), prometheus2Accept, false)
	shape := func(body string, families ...string) []string {
		var out []string
		for l := range strings.SplitSeq(body, "\n") {
			if !slices.ContainsFunc(families, func(f string) bool { return strings.Contains(l, " "+f+" ") || strings.HasPrefix(l, f) }) {
				continue
			}
			i := strings.LastIndexByte(l, ' ')
			if i < 0 || strings.HasPrefix(l, "#") {
				out = append(out, l)
				continue
			}
			if strings.Contains(l[:i], "_created") {
				v, err := strconv.ParseFloat(l[i+1:], 64)
				if err != nil {
					t.Fatalf("%q: %v", l, err)
				}
				if at := time.Unix(0, int64(v*1e9)); at.Before(before.Add(-time.Millisecond)) || at.After(after.Add(time.Millisecond)) {
					t.Errorf("%q: created %v, want between %v and %v", l, at, before, after)
				}
			}
			out = append(out, l[:i]+" V")
		}
		return out
	}
	families := []string{"requests", "request_seconds"}
	want, got := shape(string(cg), families...), shape(string(ours), families...)
	if !slices.ContainsFunc(want, func(l string) bool { return strings.HasPrefix(l, "requests_created") }) {
		t.Fatalf("client_golang wrote no requests_created:\n%s", cg)
	}
	if !slices.Equal(got, want) {
		t.Errorf("OpenMetrics lines differ:\ntelediag:\n%s\nclient_golang:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// httptestScrape scrapes h as Prometheus 2 does and returns the body.
func httptestScrape(t *testing.T, h http.Handler) []byte {
	t.Helper()
	_, body := scrapeAs(t, h, prometheus2Accept, false)
	return body
}

// TestNativeHistogramMatchesClientGolang holds nativeHistogram, which writes a native series
// straight from OTel's contiguous buckets, to client_golang's NewConstNativeHistogram fed the
// same buckets as maps (what fastFamilies did before): the same series, or both refusing it.
// The cases are the layouts the spans depend on: nothing at all, the zero bucket alone, gaps of
// one, two and three empty buckets, negative indexes, a scale to downscale, and the checks.
func TestNativeHistogramMatchesClientGolang(t *testing.T) {
	start := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	bucket := func(offset int32, counts ...uint64) metricdata.ExponentialBucket {
		return metricdata.ExponentialBucket{Offset: offset, Counts: counts}
	}
	sum := func(bs ...metricdata.ExponentialBucket) (n uint64) {
		for _, b := range bs {
			for _, c := range b.Counts {
				n += c
			}
		}
		return n
	}
	type point = metricdata.ExponentialHistogramDataPoint[float64]
	cases := map[string]point{
		"empty":               {Scale: 3},
		"empty, zero width":   {Scale: 3, ZeroThreshold: 1e-9},
		"zero bucket only":    {Scale: 3, ZeroCount: 4, Count: 4},
		"contiguous":          {Scale: 3, PositiveBucket: bucket(0, 1, 2, 3)},
		"gap of one":          {Scale: 3, PositiveBucket: bucket(-2, 1, 0, 3)},
		"gap of two":          {Scale: 3, PositiveBucket: bucket(5, 1, 0, 0, 3, 0, 0, 0, 7)},
		"leading zeros":       {Scale: 2, PositiveBucket: bucket(-7, 0, 0, 0, 0, 5, 0, 1)},
		"negative side":       {Scale: 0, NegativeBucket: bucket(-40, 2, 0, 0, 0, 1, 1), ZeroCount: 1},
		"both sides":          {Scale: -4, PositiveBucket: bucket(1, 9), NegativeBucket: bucket(-1, 1, 0, 1), ZeroThreshold: 1e-3, ZeroCount: 2},
		"scale above 8":       {Scale: 11, PositiveBucket: bucket(-13, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2)},
		"scale below -4":      {Scale: -5, PositiveBucket: bucket(0, 1)},
		"count too large":     {Scale: 0, PositiveBucket: bucket(0, 1<<63)},
		"count not the total": {Scale: 0, PositiveBucket: bucket(0, 3), Count: 4, Sum: 1},
		"NaN sum, fewer":      {Scale: 0, PositiveBucket: bucket(0, 3), Count: 4, Sum: math.NaN()},
	}
	for name, dp := range cases {
		t.Run(name, func(t *testing.T) {
			dp.StartTime = start
			if dp.Count == 0 && dp.Sum == 0 {
				dp.Count = sum(dp.PositiveBucket, dp.NegativeBucket) + dp.ZeroCount
				dp.Sum = 1.5
			}
			desc := prometheus.NewDesc("rpc_seconds", "RPC latency.", []string{"method"}, nil)
			got, gotErr := nativeHistogram(desc, dp, metricdata.CumulativeTemporality, []string{"get"})

			scale, pos, neg := dp.Scale, dp.PositiveBucket, dp.NegativeBucket
			if scale > maxPrometheusSchema {
				pos, neg = downscaleBuckets(pos, scale-maxPrometheusSchema), downscaleBuckets(neg, scale-maxPrometheusSchema)
				scale = maxPrometheusSchema
			}
			asMap := func(b metricdata.ExponentialBucket) map[int]int64 {
				m := map[int]int64{}
				for i, c := range b.Counts {
					if c != 0 {
						m[int(b.Offset)+i+1] = int64(c)
					}
				}
				return m
			}
			want, wantErr := prometheus.NewConstNativeHistogram(desc, dp.Count, dp.Sum, asMap(pos), asMap(neg), dp.ZeroCount, scale, dp.ZeroThreshold, start, "get")
			switch {
			case name == "scale below -4" || name == "count too large":
				// Refused before client_golang sees them (below its lowest schema; a count that
				// does not fit its int64 buckets), as the exporter refuses them.
				if gotErr == nil {
					t.Fatalf("nativeHistogram accepted %+v", dp)
				}
				return
			case (gotErr == nil) != (wantErr == nil):
				t.Fatalf("nativeHistogram: %v, client_golang: %v", gotErr, wantErr)
			case gotErr != nil:
				return
			}
			var g, w dto.Metric
			if err := got.Write(&g); err != nil {
				t.Fatal(err)
			}
			if err := want.Write(&w); err != nil {
				t.Fatal(err)
			}
			if !proto.Equal(&g, &w) {
				t.Errorf("telediag:      %v\nclient_golang: %v", &g, &w)
			}
		})
	}
}

// TestClassicAndNativeMustAgree: a histogram stream served with both kinds of buckets goes out
// with the classic count, so native buckets that hold another number of values are refused
// (the series reported invalid), not served beside a count they do not add up to. The fast
// path's two halves come from one point and always agree; this holds for any producer.
func TestClassicAndNativeMustAgree(t *testing.T) {
	start, now := time.Unix(1_700_000_000, 0), time.Unix(1_700_000_100, 0)
	attrs := attribute.NewSet(attribute.String("method", "get"))
	classic := metricdata.Histogram[float64]{Temporality: metricdata.CumulativeTemporality, DataPoints: []metricdata.HistogramDataPoint[float64]{{
		Attributes: attrs, StartTime: start, Time: now, Count: 3, Sum: 3, Bounds: []float64{1}, BucketCounts: []uint64{3, 0}}}}
	for _, nativeCount := range []uint64{3, 4} {
		native := metricdata.ExponentialHistogram[float64]{Temporality: metricdata.CumulativeTemporality, DataPoints: []metricdata.ExponentialHistogramDataPoint[float64]{{
			Attributes: attrs, StartTime: start, Time: now, Count: nativeCount, Sum: 3, Scale: 3,
			ZeroCount: nativeCount - 3, PositiveBucket: metricdata.ExponentialBucket{Offset: -1, Counts: []uint64{3}}}}}
		f, err := newFastFamilies(staticProducer{{Metrics: []metricdata.Metrics{
			{Name: "rpc_seconds", Data: classic}, {Name: "rpc_seconds", Data: native}}}}, resource.Empty(), nil)
		if err != nil {
			t.Fatal(err)
		}
		reg := prometheus.NewRegistry()
		reg.MustRegister(f)
		mfs, err := reg.Gather()
		switch {
		case nativeCount == 3 && (err != nil || len(mfs) != 1 || mfs[0].GetMetric()[0].GetHistogram().GetSchema() != 3):
			t.Errorf("agreeing halves: %v, %v", mfs, err)
		case nativeCount == 4 && (err == nil || !strings.Contains(err.Error(), "the native buckets count 4 values, the classic ones 3") || len(mfs) != 0):
			t.Errorf("disagreeing halves served: %v, %v", mfs, err)
		}
	}
}
