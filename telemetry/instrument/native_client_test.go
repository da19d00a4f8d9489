package instrument

import (
	"context"
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"
)

// nativeSide is a FastPath's provider with one reader of each kind: an OTLP-style one
// (Producer) and a scrape (ScrapeProducer), both cumulative.
type nativeSide struct {
	otlp, scrape *sdkmetric.ManualReader
	mp           metric.MeterProvider
}

func newNativeSide(t *testing.T, views ...sdkmetric.View) *nativeSide {
	t.Helper()
	path := NewFastPath(FastPathConfig{Views: views})
	prod, err := path.Producer(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	sprod, err := path.ScrapeProducer()
	if err != nil {
		t.Fatal(err)
	}
	s := &nativeSide{otlp: sdkmetric.NewManualReader(sdkmetric.WithProducer(prod)), scrape: sdkmetric.NewManualReader(sdkmetric.WithProducer(sprod))}
	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithView(views...), sdkmetric.WithReader(s.otlp), sdkmetric.WithReader(s.scrape),
		sdkmetric.WithExemplarFilter(exemplar.AlwaysOffFilter))
	t.Cleanup(func() { _ = sdk.Shutdown(context.Background()) })
	s.mp = path.MeterProvider(sdk)
	return s
}

// histogram declares n for "latency" (unless n is nil) and creates it, with bounds if any.
func (s *nativeSide) histogram(t *testing.T, n *Native, bounds []float64) metric.Float64Histogram {
	t.Helper()
	m := s.mp.Meter("native")
	if n != nil && !NewGroup(m).DeclareNative("latency", *n) {
		t.Fatal("DeclareNative: not served")
	}
	var opts []metric.Float64HistogramOption
	if bounds != nil {
		opts = append(opts, metric.WithExplicitBucketBoundaries(bounds...))
	}
	h, err := m.Float64Histogram("latency", opts...)
	if err != nil {
		t.Fatal(err)
	}
	if !OnFastPath(h) {
		t.Fatal("not on the fast path")
	}
	return h
}

// fastMetrics collects r and returns the fast path's metrics (the SDK's own, empty, aside).
func fastMetrics(t *testing.T, r *sdkmetric.ManualReader) []metricdata.Metrics {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	var out []metricdata.Metrics
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			switch d := m.Data.(type) {
			case metricdata.Histogram[float64]:
				if len(d.DataPoints) == 0 {
					continue
				}
			case metricdata.ExponentialHistogram[float64]:
				if len(d.DataPoints) == 0 {
					continue
				}
			}
			out = append(out, m)
		}
	}
	return out
}

// promBuckets reads a native histogram's spans and deltas into counts by Prometheus index.
func promBuckets(spans []*dto.BucketSpan, deltas []int64) map[int32]uint64 {
	out := map[int32]uint64{}
	var idx int32
	var count int64
	k := 0
	for _, s := range spans {
		idx += s.GetOffset()
		for range s.GetLength() {
			count += deltas[k]
			k++
			if count != 0 {
				out[idx] = uint64(count)
			}
			idx++
		}
	}
	return out
}

// otelBuckets reads an exponential bucket into counts by Prometheus index (OTel's + 1: OTel's
// bucket i is (b^i, b^(i+1)], Prometheus's i+1).
func otelBuckets(b metricdata.ExponentialBucket) map[int32]uint64 {
	out := map[int32]uint64{}
	for i, c := range b.Counts {
		if c != 0 {
			out[b.Offset+int32(i)+1] = c
		}
	}
	return out
}

// TestNativeMatchesClientGolang: a declared Native on the fast path against client_golang's
// native histogram with the same factor, max bucket number and zero threshold, on values
// that need no loss of resolution in either and sit mid-bucket (where OTel's logarithm and
// client_golang's bound search agree): the same schema, buckets of both signs, zero bucket
// and threshold, count and sum; and, when the histogram has bucket boundaries too, the same
// classic buckets from the scrape's histogram.
func TestNativeMatchesClientGolang(t *testing.T) {
	for _, tc := range []struct {
		name   string
		schema int32
		bounds []float64
		zero   float64
	}{
		{"schema 3, classic too", 3, []float64{0.01, 0.1, 1, 10, 100}, 1e-3},
		{"schema 8, native only", 8, nil, 1e-4},
		{"schema 0", 0, []float64{1, 5}, 0},
		{"schema -2", -2, nil, 1e-3},
	} {
		t.Run(tc.name, func(t *testing.T) {
			factor := math.Pow(2, math.Pow(2, -float64(tc.schema))) * (1 + 1e-9)
			if s := SchemaForFactor(factor); s != tc.schema {
				t.Fatalf("SchemaForFactor(%v) = %d, want %d", factor, s, tc.schema)
			}
			zero := tc.zero
			if zero == 0 {
				zero = prometheus.NativeHistogramZeroThresholdZero // client_golang's 0 is its default
			}
			buckets := tc.bounds
			if buckets == nil {
				buckets = []float64{} // client_golang's default classic buckets unless some are given; ours has none
			}
			ref := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "latency", Buckets: buckets,
				NativeHistogramBucketFactor: factor, NativeHistogramMaxBucketNumber: 160, NativeHistogramZeroThreshold: zero})
			side := newNativeSide(t)
			h := side.histogram(t, &Native{Schema: tc.schema, MaxBuckets: 160, ZeroThreshold: tc.zero}, tc.bounds)
			rng := rand.New(rand.NewPCG(uint64(tc.schema+10), 5))
			// Indices within ±30 at the schema: at most 61 buckets a sign, 122 in all.
			span := 30
			if tc.schema < 0 {
				span = 8 // 2^(4·8) at schema -2
			}
			for range 2000 {
				i := rng.IntN(2*span+1) - span
				v := math.Exp2((float64(i) + 0.5) / math.Exp2(float64(tc.schema)))
				switch rng.IntN(10) {
				case 0:
					v = 0
				case 1:
					v = tc.zero / 2 // in the zero bucket of both
				case 2, 3:
					v = -v
				}
				ref.Observe(v)
				h.Record(context.Background(), v)
			}
			var pm dto.Metric
			if err := ref.Write(&pm); err != nil {
				t.Fatal(err)
			}
			ph := pm.GetHistogram()
			ms := fastMetrics(t, side.scrape)
			want := 1
			if tc.bounds != nil {
				want = 2
			}
			if len(ms) != want {
				t.Fatalf("scrape: %d metrics, want %d", len(ms), want)
			}
			exp := ms[len(ms)-1].Data.(metricdata.ExponentialHistogram[float64]).DataPoints[0]
			if exp.Scale != ph.GetSchema() || exp.ZeroThreshold != ph.GetZeroThreshold() || exp.ZeroCount != ph.GetZeroCount() ||
				exp.Count != ph.GetSampleCount() || math.Abs(exp.Sum-ph.GetSampleSum()) > 1e-9*math.Abs(ph.GetSampleSum()) {
				t.Fatalf("scale %d zero %v/%d count %d sum %v; client_golang: schema %d zero %v/%d count %d sum %v",
					exp.Scale, exp.ZeroThreshold, exp.ZeroCount, exp.Count, exp.Sum,
					ph.GetSchema(), ph.GetZeroThreshold(), ph.GetZeroCount(), ph.GetSampleCount(), ph.GetSampleSum())
			}
			if got, want := otelBuckets(exp.PositiveBucket), promBuckets(ph.GetPositiveSpan(), ph.GetPositiveDelta()); !maps.Equal(got, want) {
				t.Fatalf("positive buckets %v, client_golang %v", got, want)
			}
			if got, want := otelBuckets(exp.NegativeBucket), promBuckets(ph.GetNegativeSpan(), ph.GetNegativeDelta()); !maps.Equal(got, want) {
				t.Fatalf("negative buckets %v, client_golang %v", got, want)
			}
			if tc.bounds != nil {
				cl := ms[0].Data.(metricdata.Histogram[float64]).DataPoints[0]
				var cum uint64
				for i, b := range ph.GetBucket() {
					cum += cl.BucketCounts[i]
					if b.GetUpperBound() != cl.Bounds[i] || b.GetCumulativeCount() != cum {
						t.Fatalf("classic bucket %d: le %v count %d, client_golang le %v count %d",
							i, cl.Bounds[i], cum, b.GetUpperBound(), b.GetCumulativeCount())
					}
				}
				if cl.Count != exp.Count || cl.Sum != exp.Sum {
					t.Fatalf("classic count %d sum %v, native %d %v", cl.Count, cl.Sum, exp.Count, exp.Sum)
				}
			}
		})
	}
}

// TestNativeDeclaredMatchesSDK: a declared Native (no zero threshold, no resets) is the SDK's
// exponential aggregation with MaxScale Schema and MaxSize MaxBuckets, losing resolution by
// its rule; the OTLP-style reader gets the exponential histogram alone even when the
// histogram has classic buckets too, and the scrape gets the histogram then the exponential
// histogram, points in the same order with the same attributes and start times.
func TestNativeDeclaredMatchesSDK(t *testing.T) {
	for _, bounds := range [][]float64{nil, {1, 10, 100}} {
		side := newNativeSide(t)
		h := side.histogram(t, &Native{Schema: 8, MaxBuckets: 10}, bounds)
		ref := setup{temporalities: []metricdata.Temporality{metricdata.CumulativeTemporality},
			views: []sdkmetric.View{expoView(10, 8, false)}}.build(t, false)
		rh, err := ref.mp.Meter("native").Float64Histogram("latency")
		if err != nil {
			t.Fatal(err)
		}
		ctx := context.Background()
		rng := rand.New(rand.NewPCG(7, 7))
		for round := range 5 {
			for range 200 {
				v := math.Ldexp(float64(rng.IntN(511)-255), rng.IntN(4*(round+1))-2*(round+1))
				set := attrs2([2]string{"c", []string{"a", "b", "c"}[rng.IntN(3)]})
				attrs := metric.WithAttributeSet(set)
				h.Record(ctx, v, attrs)
				rh.Record(ctx, v, attrs)
			}
			var want metricdata.ResourceMetrics
			if err := ref.readers[0].Collect(ctx, &want); err != nil {
				t.Fatal(err)
			}
			got := fastMetrics(t, side.otlp)
			if len(got) != 1 {
				t.Fatalf("OTLP reader: %d metrics, want the exponential histogram alone", len(got))
			}
			metricdatatest.AssertEqual(t, want.ScopeMetrics[0].Metrics[0], got[0], metricdatatest.IgnoreTimestamp())
			scraped := fastMetrics(t, side.scrape)
			exp := scraped[len(scraped)-1].Data.(metricdata.ExponentialHistogram[float64])
			metricdatatest.AssertEqual(t, want.ScopeMetrics[0].Metrics[0].Data.(metricdata.ExponentialHistogram[float64]), exp, metricdatatest.IgnoreTimestamp())
			if bounds == nil {
				if len(scraped) != 1 {
					t.Fatalf("scrape of a native-only histogram: %d metrics", len(scraped))
				}
				continue
			}
			if len(scraped) != 2 || scraped[0].Name != scraped[1].Name || scraped[0].Unit != scraped[1].Unit || scraped[0].Description != scraped[1].Description {
				t.Fatalf("scrape: %v, want the histogram then the exponential histogram", scraped)
			}
			cl := scraped[0].Data.(metricdata.Histogram[float64])
			for i, p := range cl.DataPoints {
				e := exp.DataPoints[i]
				if !p.Attributes.Equals(&e.Attributes) || !p.StartTime.Equal(e.StartTime) || p.Count != e.Count || p.Sum != e.Sum ||
					!slices.Equal(p.Bounds, bounds) {
					t.Fatalf("point %d: classic %v, native %v", i, p, e)
				}
			}
		}
	}
}

// TestNativeMinResetDuration: a cumulative series whose scale would drop is reset instead once
// MinResetDuration passed since it started or was last reset, keeping the value that did not
// fit, with its start moved to the reset; before that, it loses resolution.
func TestNativeMinResetDuration(t *testing.T) {
	side := newNativeSide(t)
	inst := side.histogram(t, &Native{Schema: 8, MaxBuckets: 4, MinResetDuration: time.Hour}, nil)
	h := fastOf[float64](inst)
	now := time.Now()
	h.now = func() time.Time { return now }
	ctx := context.Background()
	point := func() metricdata.ExponentialHistogramDataPoint[float64] {
		t.Helper()
		ms := fastMetrics(t, side.otlp)
		return ms[0].Data.(metricdata.ExponentialHistogram[float64]).DataPoints[0]
	}
	inst.Record(ctx, 1.5)
	p0 := point()
	if p0.Scale != 8 || p0.Count != 1 {
		t.Fatalf("scale %d count %d, want 8 and 1", p0.Scale, p0.Count)
	}
	inst.Record(ctx, 1000) // too early to reset: resolution drops
	p1 := point()
	if p1.Scale >= 8 || p1.Count != 2 || !p1.StartTime.Equal(p0.StartTime) {
		t.Fatalf("scale %d count %d start %v: want a lower scale, 2 values, the same start", p1.Scale, p1.Count, p1.StartTime)
	}
	now = now.Add(2 * time.Hour)
	inst.Record(ctx, 1e-3) // would drop further: reset, keeping it
	p2 := point()
	if p2.Scale != 8 || p2.Count != 1 || p2.Sum != 1e-3 || p2.Min != metricdata.NewExtrema(1e-3) || !p2.StartTime.Equal(now) {
		t.Fatalf("after the reset: scale %d count %d sum %v start %v, want 8, 1, 0.001, %v", p2.Scale, p2.Count, p2.Sum, p2.StartTime, now)
	}
	inst.Record(ctx, 1e6) // within the hour since the reset: resolution drops
	p3 := point()
	if p3.Scale >= 8 || p3.Count != 2 || !p3.StartTime.Equal(now) {
		t.Fatalf("scale %d count %d start %v: want a lower scale, 2 values, the reset's start", p3.Scale, p3.Count, p3.StartTime)
	}
	// The scrape sees the same series and start.
	if ms := fastMetrics(t, side.scrape); !ms[0].Data.(metricdata.ExponentialHistogram[float64]).DataPoints[0].StartTime.Equal(now) {
		t.Fatal("the scrape's StartTime is not the reset's")
	}
}

// TestNativeRecorderDelete: a Recorder on a native stream deletes series, by label values, by
// partial match and all at once, as on a classic one; a deleted series recorded again starts
// afresh.
func TestNativeRecorderDelete(t *testing.T) {
	p := setup{temporalities: []metricdata.Temporality{metricdata.CumulativeTemporality, metricdata.DeltaTemporality},
		views: []sdkmetric.View{expoView(20, 20, false)}}.build(t, true)
	keys := keysN(3)
	h := newHistograms(t, p.mp, keys)
	ctx := context.Background()
	series := func(r int) map[string]uint64 {
		m := map[string]uint64{}
		addCounts(m, p.collect(t, r))
		return m
	}
	for _, k := range keys {
		h.f.Record(ctx, 1.5, k)
		h.fBound[k].Record(ctx, -300)
	}
	if got := series(0); len(got) != 3 {
		t.Fatalf("series %v", got)
	}
	if !h.f.Delete(keys[0]) {
		t.Fatal("Delete: not found")
	}
	got := series(0)
	if _, ok := got["latency "+setString(attrs2(keys[0]))]; ok || len(got) != 2 {
		t.Fatalf("after Delete: %v", got)
	}
	h.f.Record(ctx, 2, keys[0])
	if got := series(0)["latency "+setString(attrs2(keys[0]))]; got != 1 {
		t.Fatalf("the series recorded again counts %d, want 1", got)
	}
	if n := h.f.DeletePartialMatch(map[string]string{"op": keys[1][1]}); n != 1 {
		t.Fatalf("DeletePartialMatch deleted %d", n)
	}
	h.f.Reset()
	if got := series(1); len(got) != 0 {
		t.Fatalf("delta reader after Reset: %v", got)
	}
}
