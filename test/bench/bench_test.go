package bench

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/telemetry"
	"github.com/telediag/telediag/telemetry/instrument"
	"github.com/telediag/telediag/telemetry/instrument/instrumenttest"
	"github.com/telediag/telediag/telemetry/teleport"
)

// The benchmarks measure each telediag path beside its client_golang equivalent in the same
// run (the last element of each name is impl=otel, impl=otel-direct or impl=client_golang), so
// every ratio compares like with like. docs/benchmarks.md has the figures and the command:
//
//	go test -run '^$' -bench . -benchmem -count 6 -cpu 1,2 ./test/bench/ > bench.txt
//	benchstat -col /impl bench.txt
//
// Process-wide state (sync.Pool contents, the GC's pacing) carries from one benchmark to the
// next in one binary; docs/benchmarks.md runs the scrape and heap benchmarks in processes of
// their own.

// pipeline is telediag's pipeline with Teleport's catalogue on it, as the reference binary
// runs it: the realistic fixture for what recording and scraping cost.
type pipeline struct {
	*telemetry.Telemetry
	Instruments *teleport.Metrics
}

func benchTelemetry(b *testing.B, opts ...telemetry.Option) *pipeline {
	b.Helper()
	tel, err := telemetry.New(context.Background(), append([]telemetry.Option{
		telemetry.WithoutEnvironmentExporter(), telemetry.WithLogger(slog.New(slog.DiscardHandler)),
	}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
	monitor, err := probes.New(probes.WithExpected("auth"))
	if err != nil {
		b.Fatal(err)
	}
	m, err := teleport.New(tel.MeterProvider(), monitor)
	if err != nil {
		b.Fatal(err)
	}
	return &pipeline{Telemetry: tel, Instruments: m}
}

// recordEveryInstrument records once into every synchronous instrument of the catalogue.
func recordEveryInstrument(ctx context.Context, m *teleport.Metrics) {
	instrumenttest.RecordAll(ctx, m.Instruments, 1, func(int) string { return "example" })
}

// labelValues are the label values of series i of a benchmark with n labels.
func labelValues(n, i int) []string {
	vs := []string{"backend", "get", "primary"}[:n]
	if i > 0 {
		vs = append([]string(nil), vs...)
		vs[0] += strconv.Itoa(i)
	}
	return vs
}

func attrs3(k [3]string) attribute.Set {
	return attribute.NewSet(attribute.String("component", k[0]), attribute.String("op", k[1]), attribute.String("tier", k[2]))
}

// counterPair is one counter in both implementations, with n labels.
type counterPair struct {
	otelBound   func(series int) func()
	otelAdd     func(series int) func()
	clientBound func(series int) func()
	clientAdd   func(series int) func()
}

func newCounterPair(b *testing.B, labels int) counterPair {
	ctx := context.Background()
	tel := benchTelemetry(b)
	keys := []string{"component", "op", "tier"}[:labels]
	vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "requests_total", Help: "h"}, keys)
	p := counterPair{
		clientBound: func(s int) func() { c := vec.WithLabelValues(labelValues(labels, s)...); return func() { c.Add(1) } },
		clientAdd: func(s int) func() {
			vs := labelValues(labels, s)
			if labels == 1 {
				v := vs[0]
				return func() { vec.WithLabelValues(v).Add(1) }
			}
			v0, v1, v2 := vs[0], vs[1], vs[2]
			return func() { vec.WithLabelValues(v0, v1, v2).Add(1) }
		},
	}
	if labels == 1 {
		// The generated instrument, exactly as a service uses it.
		c := tel.Instruments.BackendReadRequestsTotal
		p.otelBound = func(s int) func() { bnd := c.Bind(labelValues(1, s)[0]); return func() { bnd.Add(ctx, 1) } }
		p.otelAdd = func(s int) func() { v := labelValues(1, s)[0]; return func() { c.Add(ctx, 1, v) } }
		return p
	}
	// No catalogue counter has three labels: build one the way generated code does.
	meter := tel.MeterProvider().Meter("bench")
	inst, err := meter.Int64Counter("requests_total")
	if err != nil {
		b.Fatal(err)
	}
	c, err := instrument.NewCounter(instrument.NewGroup(meter), "requests_total", inst, attrs3)
	if err != nil {
		b.Fatal(err)
	}
	p.otelBound = func(s int) func() {
		// The handle generated code holds, whose Add inlines down to the atomic add.
		bnd := instrument.Int64CounterBound(c.Bind([3]string(labelValues(3, s))))
		return func() { bnd.Add(ctx, 1) }
	}
	p.otelAdd = func(s int) func() {
		vs := labelValues(3, s)
		v0, v1, v2 := vs[0], vs[1], vs[2]
		return func() { c.Add(ctx, 1, [3]string{v0, v1, v2}) }
	}
	return p
}

// runModes runs op serially, in parallel on one shared series, and in parallel with each
// goroutine on a series of its own, or only the modes named. mk(series) returns the operation
// on that series.
func runModes(b *testing.B, mk func(series int) func(), only ...string) {
	run := func(mode string, f func(b *testing.B)) {
		if len(only) == 0 || slices.Contains(only, mode) {
			b.Run(mode, f)
		}
	}
	run("serial", func(b *testing.B) {
		op := mk(0)
		b.ReportAllocs()
		for b.Loop() {
			op()
		}
	})
	run("parallel-shared", func(b *testing.B) {
		op := mk(0)
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			for pb.Next() {
				op()
			}
		})
	})
	run("parallel-own", func(b *testing.B) {
		var next atomic.Int64
		b.ReportAllocs()
		b.RunParallel(func(pb *testing.PB) {
			op := mk(int(next.Add(1)))
			for pb.Next() {
				op()
			}
		})
	})
}

// BenchmarkCounterAdd: a bound Add (labels fixed once) and an unbound one (labels given per
// call), with one and three labels, serial and parallel.
func BenchmarkCounterAdd(b *testing.B) {
	for _, labels := range []int{1, 3} {
		for _, form := range []string{"bound", "unbound"} {
			b.Run("labels="+strconv.Itoa(labels)+"/form="+form, func(b *testing.B) {
				for _, impl := range []string{"otel", "client_golang"} {
					b.Run("impl="+impl, func(b *testing.B) {
						p := newCounterPair(b, labels)
						mk := map[string]func(int) func(){
							"otel/bound": p.otelBound, "otel/unbound": p.otelAdd,
							"client_golang/bound": p.clientBound, "client_golang/unbound": p.clientAdd,
						}[impl+"/"+form]
						runModes(b, mk)
					})
				}
			})
		}
	}
}

// histogramBuckets are Teleport's 16 exponential buckets, the layout of every catalogue latency.
var histogramBuckets = prometheus.ExponentialBuckets(0.001, 2, 16)

// histogramOps returns, for one implementation, the operation on series s of a histogram with
// the given number of labels, bound or with the labels given per call. impl is otel (telediag's
// pipeline: the fast path), otel-sdk (the same generated instruments on a plain SDK
// MeterProvider with one reader: the SDK's own path, as telediag recorded histograms before
// issue 17) or client_golang.
func histogramOps(b *testing.B, impl, form string, labels int) func(series int) func() {
	ctx := context.Background()
	if impl == "client_golang" {
		if labels == 0 {
			h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "etcd_backend_read_seconds", Help: "h", Buckets: histogramBuckets})
			return func(int) func() { return func() { h.Observe(0.003) } }
		}
		vec := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "requests_seconds", Help: "h", Buckets: histogramBuckets},
			[]string{"component", "op", "tier"}[:labels])
		if form == "bound" {
			return func(s int) func() {
				o := vec.WithLabelValues(labelValues(labels, s)...)
				return func() { o.Observe(0.003) }
			}
		}
		return func(s int) func() {
			vs := labelValues(labels, s)
			if labels == 1 {
				v := vs[0]
				return func() { vec.WithLabelValues(v).Observe(0.003) }
			}
			v0, v1, v2 := vs[0], vs[1], vs[2]
			return func() { vec.WithLabelValues(v0, v1, v2).Observe(0.003) }
		}
	}
	var mp metric.MeterProvider
	var m *teleport.Metrics
	if impl == "otel" {
		tel := benchTelemetry(b)
		if !instrument.OnFastPath(tel.Instruments.BackendReadSeconds) {
			b.Fatal("telediag's histogram is not on the fast path")
		}
		mp, m = tel.MeterProvider(), tel.Instruments
	} else {
		sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(sdkmetric.NewManualReader()),
			sdkmetric.WithExemplarFilter(exemplar.AlwaysOffFilter), sdkmetric.WithCardinalityLimit(telemetry.DefaultCardinalityLimit))
		b.Cleanup(func() { _ = sdk.Shutdown(context.Background()) })
		monitor, err := probes.New(probes.WithExpected("auth"))
		if err != nil {
			b.Fatal(err)
		}
		if m, err = teleport.New(sdk, monitor); err != nil {
			b.Fatal(err)
		}
		mp = sdk
	}
	switch labels {
	case 0:
		h := m.EtcdBackendReadSeconds // the generated label-less histogram
		return func(int) func() { return func() { h.Record(ctx, 0.003) } }
	case 1:
		h := m.BackendReadSeconds // the generated instrument, as a service uses it
		if form == "bound" {
			return func(s int) func() { bnd := h.Bind(labelValues(1, s)[0]); return func() { bnd.Record(ctx, 0.003) } }
		}
		return func(s int) func() { v := labelValues(1, s)[0]; return func() { h.Record(ctx, 0.003, v) } }
	}
	// No catalogue histogram has three labels: build one the way generated code does.
	meter := mp.Meter("bench")
	inst, err := meter.Float64Histogram("requests_seconds", metric.WithExplicitBucketBoundaries(histogramBuckets...))
	if err != nil {
		b.Fatal(err)
	}
	h, err := instrument.NewRecorder(instrument.NewGroup(meter), "requests_seconds", metric.Float64Histogram(inst), attrs3)
	if err != nil {
		b.Fatal(err)
	}
	if form == "bound" {
		return func(s int) func() {
			bnd := h.Bind([3]string(labelValues(3, s)))
			return func() { bnd.Record(ctx, 0.003) }
		}
	}
	return func(s int) func() {
		vs := labelValues(3, s)
		v0, v1, v2 := vs[0], vs[1], vs[2]
		return func() { h.Record(ctx, 0.003, [3]string{v0, v1, v2}) }
	}
}

// BenchmarkHistogramRecord: a histogram with Teleport's 16 buckets and 0, 1 or 3 labels, bound
// and with the labels given per call (one form without labels), serial, in parallel on one
// series and in parallel on a series per goroutine (not without labels), in three
// implementations (see histogramOps). The fast path has no drain and no background
// aggregator: a Record does all its work on the caller's goroutine, in the timed region, and
// a collection reads the cells as client_golang's Write does (Scrape and Export measure it).
func BenchmarkHistogramRecord(b *testing.B) {
	for _, labels := range []int{0, 1, 3} {
		forms := []string{"bound", "unbound"}
		if labels == 0 {
			forms = forms[:1]
		}
		for _, form := range forms {
			b.Run("labels="+strconv.Itoa(labels)+"/form="+form, func(b *testing.B) {
				for _, impl := range []string{"otel", "otel-sdk", "client_golang"} {
					b.Run("impl="+impl, func(b *testing.B) {
						mk := histogramOps(b, impl, form, labels)
						if labels == 0 {
							runModes(b, mk, "serial", "parallel-shared")
							return
						}
						runModes(b, mk)
					})
				}
			})
		}
	}
}

// clientGolangCatalogue registers on reg a client_golang collector for every generated metric
// of instruments.yaml (same names, labels and buckets) and records into each what
// recordEveryInstrument records into the OTel instruments, so that both sides of a scrape
// benchmark serve the whole catalogue.
func clientGolangCatalogue(tb testing.TB, reg prometheus.Registerer) {
	tb.Helper()
	c, err := catalog.Load("../../instruments.yaml")
	if err != nil {
		tb.Fatal(err)
	}
	// process_state, teleport_build_info and the go_memstats families are observed by
	// teleport.New's callbacks; here they are set once, like the rest, except the memstats
	// families, which memStatsCollector reads at each scrape as teleport.New does.
	for _, m := range c.Metrics {
		if !m.Generated() || strings.HasPrefix(m.Name, "go_memstats_") {
			continue
		}
		keys := m.LabelKeys()
		values := make([]string, len(m.Labels))
		for i, l := range m.Labels {
			values[i] = "example"
			if len(l.Enum) > 0 {
				values[i] = l.Enum[0]
			}
		}
		sample := 1.0
		if m.ValueType == catalog.ValueDouble {
			sample = 0.25
		}
		var coll prometheus.Collector
		switch {
		case m.Kind == catalog.KindCounter && !m.Observable:
			v := prometheus.NewCounterVec(prometheus.CounterOpts{Name: m.Name, Help: m.Description}, keys)
			v.WithLabelValues(values...).Add(sample)
			coll = v
		case m.Kind == catalog.KindHistogram:
			v := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: m.Name, Help: m.Description, Buckets: m.Buckets}, keys)
			v.WithLabelValues(values...).Observe(m.Buckets[len(m.Buckets)/2])
			coll = v
		default:
			v := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: m.Name, Help: m.Description}, keys)
			v.WithLabelValues(values...).Set(sample)
			coll = v
		}
		if err := reg.Register(coll); err != nil {
			tb.Fatalf("%s: %v", m.Name, err)
		}
	}
}

// scrapeFixture is the /metrics handler of one implementation serving the whole catalogue plus
// extra series of backend_read_requests_total, with the Go, process, memstats and promhttp
// families.
func scrapeFixture(b *testing.B, impl string, extra int) http.Handler {
	if impl == "client_golang" {
		reg := prometheus.NewRegistry()
		reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}), newMemStatsCollector())
		clientGolangCatalogue(b, reg)
		vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "extra_requests_total", Help: "Extra series."}, []string{"component"})
		reg.MustRegister(vec)
		for i := range extra {
			vec.WithLabelValues("c" + strconv.Itoa(i)).Add(1)
		}
		return promhttp.InstrumentMetricHandler(reg, promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}))
	}
	var opts []telemetry.Option
	if impl == "otel-direct" {
		opts = append(opts, telemetry.WithDirectScrape())
	}
	return otelFixture(b, extra, opts...).Handler()
}

// otelFixture is a pipeline with the whole catalogue recorded once plus extra series of a
// counter extra_requests_total.
func otelFixture(b *testing.B, extra int, opts ...telemetry.Option) *pipeline {
	ctx := context.Background()
	// No limit: the 100k fixture is past DefaultCardinalityLimit on purpose.
	tel := benchTelemetry(b, append(opts, telemetry.WithoutRuntimeMetrics(), telemetry.WithCardinalityLimit(0))...)
	recordEveryInstrument(ctx, tel.Instruments)
	meter := tel.MeterProvider().Meter("bench")
	inst, err := meter.Int64Counter("extra_requests_total", metric.WithDescription("Extra series."))
	if err != nil {
		b.Fatal(err)
	}
	c, err := instrument.NewCounter(instrument.NewGroup(meter), "extra_requests_total", inst, func(k [1]string) attribute.Set {
		return attribute.NewSet(attribute.String("component", k[0]))
	})
	if err != nil {
		b.Fatal(err)
	}
	for i := range extra {
		c.Add(ctx, 1, [1]string{"c" + strconv.Itoa(i)})
	}
	return tel
}

// scrapeLoop times GET /metrics on h with the Accept header accept, through the whole handler
// stack, and reports the body's size.
func scrapeLoop(b *testing.B, h http.Handler, accept string) {
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", accept)
	var body int
	b.ReportAllocs()
	for b.Loop() {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("HTTP %d", rec.Code)
		}
		body = rec.Body.Len()
	}
	b.ReportMetric(float64(body), "body-bytes")
}

// BenchmarkScrape serves one full /metrics page (text format, as Prometheus asks for it
// uncompressed) through each implementation's whole handler stack.
func BenchmarkScrape(b *testing.B) {
	for _, extra := range []int{1_000, 10_000, 100_000} {
		b.Run("series="+strconv.Itoa(extra/1000)+"k", func(b *testing.B) {
			for _, impl := range []string{"otel", "otel-direct", "client_golang"} {
				b.Run("impl="+impl, func(b *testing.B) {
					h := scrapeFixture(b, impl, extra)
					scrapeLoop(b, h, "text/plain;version=0.0.4")
				})
			}
		})
	}
}

// BenchmarkHeapPerSeries reports the heap one series keeps alive, measured over 100,000
// series of one instrument: a counter, and a histogram with Teleport's 16 buckets. Each series
// is created and recorded once, then the pipeline is collected once (as the first scrape
// would) before the heap is read.
func BenchmarkHeapPerSeries(b *testing.B) {
	const series = 100_000
	ctx := context.Background()
	for _, kind := range []string{"counter", "histogram"} {
		b.Run("kind="+kind, func(b *testing.B) {
			for _, impl := range []string{"otel", "client_golang"} {
				b.Run("impl="+impl, func(b *testing.B) {
					var perSeries float64
					for b.Loop() {
						before := heapInUse()
						var keep any
						if impl == "otel" {
							tel := benchTelemetry(b, telemetry.WithoutRuntimeMetrics(), telemetry.WithDirectScrape(), telemetry.WithCardinalityLimit(0))
							for i := range series {
								v := "c" + strconv.Itoa(i)
								if kind == "counter" {
									tel.Instruments.BackendReadRequestsTotal.Add(ctx, 1, v)
								} else {
									tel.Instruments.BackendReadSeconds.Record(ctx, 0.003, v)
								}
							}
							rec := httptest.NewRecorder()
							tel.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
							keep = tel
						} else {
							reg := prometheus.NewRegistry()
							var add func(string)
							if kind == "counter" {
								vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "backend_read_requests_total", Help: "h"}, []string{"component"})
								reg.MustRegister(vec)
								add = func(v string) { vec.WithLabelValues(v).Add(1) }
							} else {
								vec := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "backend_read_seconds", Help: "h", Buckets: prometheus.ExponentialBuckets(0.001, 2, 16)}, []string{"component"})
								reg.MustRegister(vec)
								add = func(v string) { vec.WithLabelValues(v).Observe(0.003) }
							}
							for i := range series {
								add("c" + strconv.Itoa(i))
							}
							if _, err := reg.Gather(); err != nil {
								b.Fatal(err)
							}
							keep = reg
						}
						perSeries = float64(heapInUse()-before) / series
						runtime.KeepAlive(keep)
					}
					b.ReportMetric(perSeries, "heap-B/series")
				})
			}
		})
	}
}

func heapInUse() int64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapAlloc)
}

// memStatsCollector is the client_golang side's go_memstats_lookups_total and
// go_memstats_gc_cpu_fraction: one runtime.ReadMemStats per scrape, as teleport.New's callback.
type memStatsCollector struct {
	lookups, gcCPUFraction *prometheus.Desc
}

func newMemStatsCollector() *memStatsCollector {
	return &memStatsCollector{
		lookups:       prometheus.NewDesc("go_memstats_lookups_total", "Total number of pointer lookups.", nil, nil),
		gcCPUFraction: prometheus.NewDesc("go_memstats_gc_cpu_fraction", "The fraction of this program's available CPU time used by the GC since the program started.", nil, nil),
	}
}

func (c *memStatsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lookups
	ch <- c.gcCPUFraction
}

func (c *memStatsCollector) Collect(ch chan<- prometheus.Metric) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	ch <- prometheus.MustNewConstMetric(c.lookups, prometheus.CounterValue, float64(ms.Lookups))
	ch <- prometheus.MustNewConstMetric(c.gcCPUFraction, prometheus.GaugeValue, ms.GCCPUFraction)
}
