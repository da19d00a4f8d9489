package bench

import (
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/trace"

	"github.com/telediag/telediag/telemetry"
	"github.com/telediag/telediag/telemetry/instrument"
)

// Issue 25's targets: a native histogram's Record beside client_golang's native Observe, with
// classic buckets too and without, with exemplars on inside a sampled span beside
// ObserveWithExemplar, and a protobuf scrape of 10,000 native series beside client_golang's.

// nativeSchema is the schema both sides declare: client_golang's bucket factor 2^(2^-3).
const nativeSchema = 3

var nativeFactor = math.Pow(2, math.Pow(2, -nativeSchema))

// latencies are the values recorded, cycled: log-uniform from 0.1 ms to 10 s, so that a series
// spreads over about 130 native buckets at schema 3, as a service's request latencies do, and
// every recording finds its bucket among many (a constant value would always hit one line).
var latencies = func() []float64 {
	rng := rand.New(rand.NewPCG(25, 3))
	vs := make([]float64, 4096)
	for i := range vs {
		vs[i] = math.Exp(rng.Float64()*math.Log(1e5)) * 1e-4
	}
	return vs
}()

// sampledContext is a request's context inside a sampled span.
func sampledContext(i int) context.Context {
	var tid trace.TraceID
	tid[0], tid[15] = 0x25, byte(i)
	return trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: trace.SpanID{0x25, byte(i)}, TraceFlags: trace.FlagsSampled,
	}))
}

// nativeRecordOp returns the operation of one implementation on a bound series of a histogram
// with native buckets (and Teleport's 16 classic ones when classic), one label, exemplars on
// or off.
func nativeRecordOp(b *testing.B, impl string, classic, exemplars bool) func(series int) func() {
	var buckets []float64
	if classic {
		buckets = histogramBuckets
	}
	if impl == "client_golang" {
		vec := clientGolangNative(buckets)
		return func(s int) func() {
			o := vec.WithLabelValues(labelValues(1, s)[0])
			i := s * 977 // goroutines start at different values
			if !exemplars {
				return func() { i++; o.Observe(latencies[i&4095]) }
			}
			eo := o.(prometheus.ExemplarObserver)
			ctx := sampledContext(s)
			// What a client_golang service writes: the exemplar's labels from the request's span.
			return func() {
				i++
				sc := trace.SpanContextFromContext(ctx)
				eo.ObserveWithExemplar(latencies[i&4095], prometheus.Labels{"trace_id": sc.TraceID().String(), "span_id": sc.SpanID().String()})
			}
		}
	}
	opts := []telemetry.Option{telemetry.WithoutRuntimeMetrics()}
	if exemplars {
		opts = append(opts, telemetry.WithExemplarFilter(exemplar.TraceBasedFilter))
	}
	h := otelNative(b, benchTelemetry(b, opts...).MeterProvider(), buckets)
	return func(s int) func() {
		bnd := h.Bind([1]string{labelValues(1, s)[0]})
		i := s * 977
		ctx := context.Background()
		if exemplars {
			ctx = sampledContext(s)
		}
		return func() { i++; bnd.Record(ctx, latencies[i&4095]) }
	}
}

// BenchmarkNativeRecord: a bound Record into a native histogram, native-only and beside classic
// buckets, exemplars off and on (inside a sampled span), serially and from every goroutine on
// one series, telediag beside client_golang.
func BenchmarkNativeRecord(b *testing.B) {
	for _, shape := range []string{"native", "classic+native"} {
		for _, ex := range []string{"off", "on"} {
			b.Run("shape="+shape+"/exemplars="+ex, func(b *testing.B) {
				for _, impl := range []string{"otel", "client_golang"} {
					b.Run("impl="+impl, func(b *testing.B) {
						runModes(b, nativeRecordOp(b, impl, shape == "classic+native", ex == "on"), "serial", "parallel-shared")
					})
				}
			})
		}
	}
}

// nativeScrapeFixture is one implementation's /metrics serving Teleport's whole catalogue (with
// the Go and process families) plus series native histograms of rpc_seconds, native-only, each
// with 32 values recorded.
func nativeScrapeFixture(b *testing.B, impl string, series int) http.Handler {
	if impl == "client_golang" {
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), newMemStatsCollector())
		clientGolangCatalogue(b, reg)
		recordNativeSeries(reg, nil, series)
		return promhttp.InstrumentMetricHandler(reg, promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	}
	tel := otelFixture(b, 0)
	recordNativeSeries(nil, otelNative(b, tel.MeterProvider(), nil), series)
	return tel.Handler()
}

// BenchmarkScrapeNative serves one /metrics page in protobuf, as a Prometheus with native
// histograms asks for it, with 10,000 native series beside the whole catalogue.
func BenchmarkScrapeNative(b *testing.B) {
	for _, impl := range []string{"otel", "client_golang"} {
		b.Run("series=10k/impl="+impl, func(b *testing.B) {
			h := nativeScrapeFixture(b, impl, 10_000)
			scrapeLoop(b, h, "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited")
		})
	}
}

// BenchmarkHeapPerNativeSeries reports the heap one native histogram series keeps alive
// (native-only, schema 3, 160 buckets at most), over 10,000 series with the 32 values each of
// BenchmarkScrapeNative's fixture (about 30 populated buckets), after one protobuf scrape, as
// BenchmarkHeapPerSeries measures the classic kinds.
func BenchmarkHeapPerNativeSeries(b *testing.B) {
	const series = 10_000
	for _, impl := range []string{"otel", "client_golang"} {
		b.Run("impl="+impl, func(b *testing.B) {
			var perSeries float64
			for b.Loop() {
				before := heapInUse()
				h := nativeSeriesFixture(b, impl, series)
				rec := httptest.NewRecorder()
				req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
				req.Header.Set("Accept", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited")
				h.ServeHTTP(rec, req)
				perSeries = float64(heapInUse()-before) / series
				runtime.KeepAlive(h)
			}
			b.ReportMetric(perSeries, "heap-B/series")
		})
	}
}

// nativeSeriesFixture is one implementation's /metrics with series native-only histogram series
// of rpc_seconds and nothing else, each with 32 values recorded.
func nativeSeriesFixture(b *testing.B, impl string, series int) http.Handler {
	if impl == "client_golang" {
		reg := prometheus.NewRegistry()
		recordNativeSeries(reg, nil, series)
		return promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
	}
	tel, err := telemetry.New(context.Background(), telemetry.WithoutEnvironmentExporter(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithCardinalityLimit(0), telemetry.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	recordNativeSeries(nil, otelNative(b, tel.MeterProvider(), nil), series)
	return tel.Handler()
}

// clientGolangNative is client_golang's rpc_seconds, labelled component, with native buckets
// as nativeSchema and the default bucket limit declare them, and buckets as classic ones (none
// for nil).
func clientGolangNative(buckets []float64) *prometheus.HistogramVec {
	if buckets == nil {
		buckets = []float64{} // native-only: a nil Buckets would be client_golang's defaults
	}
	return prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rpc_seconds", Help: "RPC latency.", Buckets: buckets,
		NativeHistogramBucketFactor: nativeFactor, NativeHistogramMaxBucketNumber: instrument.DefaultNativeMaxBuckets,
	}, []string{"component"})
}

// otelNative is the same histogram on mp, created as generated code creates a catalogue's
// native histogram (DeclareNative, then the histogram and its Recorder), on the fast path.
func otelNative(b *testing.B, mp metric.MeterProvider, buckets []float64) *instrument.Recorder[float64, [1]string] {
	meter := mp.Meter("bench")
	g := instrument.NewGroup(meter)
	if !g.DeclareNative("rpc_seconds", instrument.Native{Schema: nativeSchema, MaxBuckets: instrument.DefaultNativeMaxBuckets,
		ZeroThreshold: instrument.DefaultNativeZeroThreshold}) {
		b.Fatal("DeclareNative refused")
	}
	hopts := []metric.Float64HistogramOption{metric.WithDescription("RPC latency.")}
	if buckets != nil {
		hopts = append(hopts, metric.WithExplicitBucketBoundaries(buckets...))
	}
	inst, err := meter.Float64Histogram("rpc_seconds", hopts...)
	if err != nil {
		b.Fatal(err)
	}
	if !instrument.OnFastPath(inst) {
		b.Fatal("the native histogram is not on the fast path")
	}
	h, err := instrument.NewRecorder(g, "rpc_seconds", metric.Float64Histogram(inst), func(k [1]string) attribute.Set {
		return attribute.NewSet(attribute.String("component", k[0]))
	})
	if err != nil {
		b.Fatal(err)
	}
	return h
}

// recordNativeSeries records 32 values into each of series native-only series c0, c1, …: into
// a client_golang histogram registered on reg, or into h.
func recordNativeSeries(reg *prometheus.Registry, h *instrument.Recorder[float64, [1]string], series int) {
	var observe func(component string) func(float64)
	if reg != nil {
		vec := clientGolangNative(nil)
		reg.MustRegister(vec)
		observe = func(c string) func(float64) { return vec.WithLabelValues(c).Observe }
	} else {
		ctx := context.Background()
		observe = func(c string) func(float64) {
			bnd := h.Bind([1]string{c})
			return func(v float64) { bnd.Record(ctx, v) }
		}
	}
	for i := range series {
		o := observe("c" + strconv.Itoa(i))
		for j := range 32 {
			o(latencies[(i*31+j*97)&4095])
		}
	}
}
