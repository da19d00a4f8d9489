package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/telediag/telediag/telemetry/instrument"
	"github.com/telediag/telediag/telemetry/internal/testcatalog"
)

// seriesOf flattens a family into one line per series, its labels (the OTel exporter's
// otel_scope_* labels left out) and values, sorted: what a query sees, whoever served it.
func seriesOf(mf *dto.MetricFamily) []string {
	if mf == nil {
		return nil
	}
	var out []string
	for _, m := range mf.GetMetric() {
		var b strings.Builder
		for _, l := range m.GetLabel() {
			if strings.HasPrefix(l.GetName(), "otel_scope_") {
				continue
			}
			fmt.Fprintf(&b, "%s=%q,", l.GetName(), l.GetValue())
		}
		switch {
		case m.Counter != nil:
			fmt.Fprintf(&b, " %g", m.GetCounter().GetValue())
		case m.Gauge != nil:
			fmt.Fprintf(&b, " %g", m.GetGauge().GetValue())
		case m.Histogram != nil:
			h := m.GetHistogram()
			fmt.Fprintf(&b, " count=%d sum=%g", h.GetSampleCount(), h.GetSampleSum())
			for _, bk := range h.GetBucket() {
				if math.IsInf(bk.GetUpperBound(), 1) {
					continue // the text format writes +Inf, client_golang's Gather leaves it to the count
				}
				fmt.Fprintf(&b, " le%g=%d", bk.GetUpperBound(), bk.GetCumulativeCount())
			}
		case m.Summary != nil:
			s := m.GetSummary()
			fmt.Fprintf(&b, " count=%d sum=%g", s.GetSampleCount(), s.GetSampleSum())
			for _, q := range s.GetQuantile() {
				fmt.Fprintf(&b, " q%g=%g", q.GetQuantile(), q.GetValue())
			}
		}
		out = append(out, b.String())
	}
	slices.Sort(out)
	return out
}

// temperature is a gauge with a label, created on tel's provider as generated code creates one
// (the test catalogue's gauges have no labels, so nothing to delete).
func temperature(t testing.TB, tel *Telemetry) *instrument.Recorder[float64, [1]string] {
	t.Helper()
	m := tel.MeterProvider().Meter("github.com/telediag/telediag/telemetry/internal/testcatalog")
	inst, err := m.Float64Gauge("temperature", metric.WithDescription("Temperature, by component."))
	if err != nil || !instrument.OnFastPath(inst) {
		t.Fatalf("temperature: %v, or not on the fast path", err)
	}
	r, err := instrument.NewRecorder(instrument.NewGroup(m), "temperature", metric.Float64Gauge(inst), func(k [1]string) attribute.Set {
		return attribute.NewSet(attribute.String("component", k[0]))
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// connections is an up-down counter labelled by component, created as generated code creates
// one (the catalogue's in_flight has an enum label of two values).
func connections(t testing.TB, tel *Telemetry) *instrument.Counter[int64, [1]string] {
	t.Helper()
	m := tel.MeterProvider().Meter("github.com/telediag/telediag/telemetry/internal/testcatalog")
	inst, err := m.Int64UpDownCounter("connections", metric.WithDescription("Open connections, by component."))
	if err != nil || !instrument.OnFastPath(inst) {
		t.Fatalf("connections: %v, or not on the fast path", err)
	}
	c, err := instrument.NewCounter(instrument.NewGroup(m), "connections", metric.Int64UpDownCounter(inst), func(k [1]string) attribute.Set {
		return attribute.NewSet(attribute.String("component", k[0]))
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// TestDeleteMatchesClientGolang runs the same creates, records and deletes on the pipeline's
// instruments (generated ones, and a labelled gauge and up-down counter built as generated code
// builds them) and on client_golang's vectors, and requires /metrics to serve the same
// families: a counter, an up-down counter, a gauge, a histogram and a summary whose deleted
// series are gone, and re-created from zero.
func TestDeleteMatchesClientGolang(t *testing.T) {
	ctx := context.Background()
	f := withCatalogue(t, newTestTelemetry(t, WithoutRuntimeMetrics(), WithoutEnvironmentExporter()))
	i := f.Instruments
	temp, conns := temperature(t, f.Telemetry), connections(t, f.Telemetry)
	for name, inst := range map[string]any{"requests_total": i.RequestsTotal, "in_flight": i.InFlight, "request_seconds": i.RequestSeconds} {
		if !instrument.OnFastPath(inst) {
			t.Fatalf("%s is not on the fast path: the test would compare the SDK's path", name)
		}
	}

	reg := prometheus.NewPedanticRegistry()
	hist := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "request_seconds", Help: "Request latency, by component.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
	}, []string{"component"})
	sum := prometheus.NewSummaryVec(prometheus.SummaryOpts{
		Name: "payload_bytes", Help: "Request payload sizes, by operation.",
	}, []string{"op"})
	ctr := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "requests_total", Help: "Requests served, by component."}, []string{"component"})
	inFlight := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "in_flight", Help: "Requests in flight, by operation."}, []string{"op"})
	conn := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "connections", Help: "Open connections, by component."}, []string{"component"})
	gauge := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "temperature", Help: "Temperature, by component."}, []string{"component"})
	reg.MustRegister(hist, sum, ctr, inFlight, conn, gauge)

	// Creates and records.
	for _, c := range []string{"a", "b", "c"} {
		for v := range 5 {
			i.RequestSeconds.Record(ctx, 0.01*float64(v+1), c)
			hist.WithLabelValues(c).Observe(0.01 * float64(v+1))
			i.RequestsTotal.Add(ctx, 1, c)
			ctr.WithLabelValues(c).Add(1)
			conns.Add(ctx, int64(v)-1, [1]string{c})
			conn.WithLabelValues(c).Add(float64(v) - 1)
			temp.Record(ctx, float64(v)+0.5, [1]string{c})
			gauge.WithLabelValues(c).Set(float64(v) + 0.5)
		}
	}
	i.InFlight.Add(ctx, 3, testcatalog.OpGet)
	inFlight.WithLabelValues("get").Add(3)
	i.InFlight.Bind(testcatalog.OpPut).Add(ctx, -2)
	inFlight.WithLabelValues("put").Add(-2)
	// A summary's quantiles are left out of the comparison (they are NaN in client_golang for a
	// vector without objectives, and the catalogue's has objectives), count and sum are not.
	i.PayloadBytes.Record(ctx, 10, "get")
	i.PayloadBytes.Record(ctx, 20, "put")
	sum.WithLabelValues("get").Observe(10)
	sum.WithLabelValues("put").Observe(20)
	// A first scrape, so that the deleted series were served once.
	scrape(t, f.Handler())

	// Handles bound before the delete: they keep working, unexported.
	heldH, heldHC := i.RequestSeconds.Bind("c"), hist.WithLabelValues("c")
	heldC, heldCC := i.RequestsTotal.Bind("c"), ctr.WithLabelValues("c")
	heldG, heldGC := temp.Bind([1]string{"c"}), gauge.WithLabelValues("c")

	for _, ok := range []bool{
		i.RequestSeconds.Delete("b"), hist.DeleteLabelValues("b"),
		i.RequestsTotal.Delete("b"), ctr.DeleteLabelValues("b"),
		conns.Delete([1]string{"b"}), conn.DeleteLabelValues("b"),
		temp.Delete([1]string{"b"}), gauge.DeleteLabelValues("b"),
		i.InFlight.Delete(testcatalog.OpPut), inFlight.DeleteLabelValues("put"),
	} {
		if !ok {
			t.Fatal("a Delete found no series")
		}
	}
	if i.RequestSeconds.Delete("nope") || hist.DeleteLabelValues("nope") || i.RequestsTotal.Delete("nope") || temp.Delete([1]string{"nope"}) {
		t.Fatal("Delete(nope) found a series")
	}
	c := map[string]string{"component": "c"}
	for _, n := range []int{
		i.RequestSeconds.DeletePartialMatch(c), hist.DeletePartialMatch(c),
		i.RequestsTotal.DeletePartialMatch(c), ctr.DeletePartialMatch(c),
		conns.DeletePartialMatch(c), conn.DeletePartialMatch(c),
		temp.DeletePartialMatch(c), gauge.DeletePartialMatch(c),
	} {
		if n != 1 {
			t.Fatalf("DeletePartialMatch(component=c) = %d, want 1", n)
		}
	}
	heldH.Record(ctx, 0.5)
	heldHC.Observe(0.5)
	heldC.Add(ctx, 7)
	heldCC.Add(7)
	heldG.Record(ctx, 99)
	heldGC.Set(99)
	// Re-created after their delete: new series, from zero.
	i.RequestSeconds.Record(ctx, 0.002, "b")
	hist.WithLabelValues("b").Observe(0.002)
	i.RequestsTotal.Add(ctx, 2, "b")
	ctr.WithLabelValues("b").Add(2)
	conns.Add(ctx, -1, [1]string{"b"})
	conn.WithLabelValues("b").Add(-1)
	temp.Record(ctx, -3, [1]string{"b"})
	gauge.WithLabelValues("b").Set(-3)
	i.InFlight.Bind(testcatalog.OpPut) // created at 0 by Bind, as WithLabelValues creates it
	inFlight.WithLabelValues("put")
	i.PayloadBytes.Delete("put")
	sum.DeleteLabelValues("put")

	families := []string{"request_seconds", "payload_bytes", "requests_total", "in_flight", "connections", "temperature"}
	compare := func(when string) {
		t.Helper()
		got, text := scrape(t, f.Handler())
		want, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		wantBy := map[string]*dto.MetricFamily{}
		for _, mf := range want {
			wantBy[mf.GetName()] = mf
		}
		for _, name := range families {
			g, w := seriesOf(got[name]), seriesOf(wantBy[name])
			if name == "payload_bytes" {
				g, w = stripQuantiles(g), stripQuantiles(w)
			}
			if !slices.Equal(g, w) || got[name].GetType() != wantBy[name].GetType() {
				t.Errorf("%s, %s: telediag serves %v\n%s\nclient_golang %v\n%s\n/metrics:\n%s", when, name, got[name].GetType(), strings.Join(g, "\n"),
					wantBy[name].GetType(), strings.Join(w, "\n"), text)
			}
		}
	}
	compare("after the deletes")

	i.RequestSeconds.Reset()
	hist.Reset()
	i.RequestsTotal.Reset()
	ctr.Reset()
	conns.Reset()
	conn.Reset()
	temp.Reset()
	gauge.Reset()
	i.InFlight.Reset()
	inFlight.Reset()
	compare("after Reset")
	// A series after Reset starts from zero too.
	i.RequestsTotal.Add(ctx, 1, "a")
	ctr.WithLabelValues("a").Add(1)
	temp.Record(ctx, 1, [1]string{"a"})
	gauge.WithLabelValues("a").Set(1)
	compare("after Reset and a new series")
}

// TestDeleteRandomMatchesClientGolang runs random sequences of adds, records, binds (with
// handles kept across deletes), deletes, partial deletes and resets on a counter, an up-down
// counter, a gauge and a histogram of the pipeline and on client_golang's vectors, and compares
// /metrics with client_golang's after every few steps. Values are multiples of 1/64, so that
// sums do not depend on how each side adds them.
func TestDeleteRandomMatchesClientGolang(t *testing.T) {
	for seed := range uint64(6) {
		t.Run(fmt.Sprint("seed=", seed), func(t *testing.T) {
			ctx := context.Background()
			f := withCatalogue(t, newTestTelemetry(t, WithoutRuntimeMetrics(), WithoutEnvironmentExporter(), WithLogger(slog.New(slog.DiscardHandler))))
			i := f.Instruments
			temp, conns := temperature(t, f.Telemetry), connections(t, f.Telemetry)
			reg := prometheus.NewPedanticRegistry()
			hist := prometheus.NewHistogramVec(prometheus.HistogramOpts{
				Name: "request_seconds", Help: "Request latency, by component.",
				Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
			}, []string{"component"})
			ctr := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "requests_total", Help: "Requests served, by component."}, []string{"component"})
			conn := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "connections", Help: "Open connections, by component."}, []string{"component"})
			gauge := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "temperature", Help: "Temperature, by component."}, []string{"component"})
			reg.MustRegister(hist, ctr, conn, gauge)

			type held struct {
				ctr   testcatalog.RequestsTotalBound
				conn  instrument.CounterBound[int64]
				ctrC  prometheus.Counter
				connC prometheus.Gauge
			}
			handles := map[string]*held{}
			comps := []string{"a", "b", "c", "d", "e"}
			rng := rand.New(rand.NewPCG(seed, 24))
			compare := func(step int) {
				t.Helper()
				got, text := scrape(t, f.Handler())
				want, err := reg.Gather()
				if err != nil {
					t.Fatal(err)
				}
				wantBy := map[string]*dto.MetricFamily{}
				for _, mf := range want {
					wantBy[mf.GetName()] = mf
				}
				for _, name := range []string{"request_seconds", "requests_total", "connections", "temperature"} {
					if g, w := seriesOf(got[name]), seriesOf(wantBy[name]); !slices.Equal(g, w) {
						t.Fatalf("step %d, %s: telediag serves\n%s\nclient_golang\n%s\n/metrics:\n%s", step, name,
							strings.Join(g, "\n"), strings.Join(w, "\n"), text)
					}
				}
			}
			for step := range 400 {
				c := comps[rng.IntN(len(comps))]
				v := float64(rng.IntN(64*20)) / 64
				n := int64(rng.IntN(9)) - 4
				switch op := rng.IntN(20); {
				case op < 4:
					i.RequestsTotal.Add(ctx, int64(v), c)
					ctr.WithLabelValues(c).Add(float64(int64(v)))
					conns.Add(ctx, n, [1]string{c})
					conn.WithLabelValues(c).Add(float64(n))
				case op < 7:
					i.RequestSeconds.Record(ctx, v/100, c)
					hist.WithLabelValues(c).Observe(v / 100)
					temp.Record(ctx, v-5, [1]string{c})
					gauge.WithLabelValues(c).Set(v - 5)
				case op < 9:
					// A fresh bound handle of a histogram or gauge, used at once: telediag's Bind
					// does not create their series (as the SDK's), client_golang's does.
					i.RequestSeconds.Bind(c).Record(ctx, v/100)
					hist.WithLabelValues(c).Observe(v / 100)
					temp.Bind([1]string{c}).Record(ctx, v)
					gauge.WithLabelValues(c).Set(v)
				case op < 11:
					// A counter's bound handle, kept and used later, across deletes.
					handles[c] = &held{ctr: i.RequestsTotal.Bind(c), conn: conns.Bind([1]string{c}),
						ctrC: ctr.WithLabelValues(c), connC: conn.WithLabelValues(c)}
				case op < 14:
					if h := handles[c]; h != nil {
						h.ctr.Add(ctx, 2)
						h.ctrC.Add(2)
						h.conn.Add(ctx, n)
						h.connC.Add(float64(n))
					}
				case op < 17:
					pairs := [][2]bool{
						{i.RequestsTotal.Delete(c), ctr.DeleteLabelValues(c)},
						{conns.Delete([1]string{c}), conn.DeleteLabelValues(c)},
						{temp.Delete([1]string{c}), gauge.DeleteLabelValues(c)},
						{i.RequestSeconds.Delete(c), hist.DeleteLabelValues(c)},
					}
					for _, p := range pairs {
						if p[0] != p[1] {
							t.Fatalf("step %d: Delete(%s) = %v, client_golang %v", step, c, p[0], p[1])
						}
					}
				case op < 19:
					l := map[string]string{"component": c}
					pairs := [][2]int{
						{i.RequestsTotal.DeletePartialMatch(l), ctr.DeletePartialMatch(l)},
						{conns.DeletePartialMatch(l), conn.DeletePartialMatch(l)},
						{temp.DeletePartialMatch(l), gauge.DeletePartialMatch(l)},
						{i.RequestSeconds.DeletePartialMatch(l), hist.DeletePartialMatch(l)},
					}
					for _, p := range pairs {
						if p[0] != p[1] {
							t.Fatalf("step %d: DeletePartialMatch(%s) = %d, client_golang %d", step, c, p[0], p[1])
						}
					}
				default:
					switch rng.IntN(4) {
					case 0:
						i.RequestsTotal.Reset()
						ctr.Reset()
					case 1:
						conns.Reset()
						conn.Reset()
					case 2:
						temp.Reset()
						gauge.Reset()
					default:
						i.RequestSeconds.Reset()
						hist.Reset()
					}
				}
				if rng.IntN(10) == 0 {
					compare(step)
				}
			}
			compare(400)
		})
	}
}

func stripQuantiles(lines []string) []string {
	out := make([]string, len(lines))
	for j, l := range lines {
		if k := strings.Index(l, " q"); k >= 0 {
			l = l[:k]
		}
		out[j] = l
	}
	return out
}

// TestDeleteFreesMemory creates 100,000 series of a histogram, a counter, an up-down counter
// and a gauge, all on the fast path, and deletes them all: the heap must come back within 10 %
// of where it started. Once with /metrics alone, once with a delta push reader beside it,
// whose per-reader state of the series must go too (at the next collection of any reader).
func TestDeleteFreesMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 100,000 series")
	}
	labels := make([]string, 100_000)
	for j := range labels {
		labels[j] = fmt.Sprintf("component-%d", j)
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	for _, pipeline := range []struct {
		name string
		opts []Option
	}{
		{"cumulative", nil},
		{"delta push beside", []Option{WithPushExporter(&captureExporter{temporality: metricdata.DeltaTemporality}, sdkmetric.WithInterval(time.Hour))}},
	} {
		t.Run(pipeline.name, func(t *testing.T) {
			ctx := context.Background()
			f := withCatalogue(t, newTestTelemetry(t, append([]Option{WithoutRuntimeMetrics(), WithoutEnvironmentExporter(), WithCardinalityLimit(0),
				WithLogger(slog.New(slog.DiscardHandler))}, pipeline.opts...)...))
			i := f.Instruments
			temp, conns := temperature(t, f.Telemetry), connections(t, f.Telemetry)
			kinds := []struct {
				name   string
				record func(l string)
				delete func(l string) bool
				// served scrapes the 100,000 series before the deletes, so that whatever a
				// collection keeps of them is counted (not the histogram's: 17 lines a series
				// make that scrape the slowest part of the test under -race).
				served bool
			}{
				{"histogram", func(l string) { i.RequestSeconds.Record(ctx, 0.01, l) }, i.RequestSeconds.Delete, false},
				{"counter", func(l string) { i.RequestsTotal.Add(ctx, 1, l) }, i.RequestsTotal.Delete, true},
				{"up-down counter", func(l string) { conns.Add(ctx, 1, [1]string{l}) }, func(l string) bool { return conns.Delete([1]string{l}) }, true},
				{"gauge", func(l string) { temp.Record(ctx, 1, [1]string{l}) }, func(l string) bool { return temp.Delete([1]string{l}) }, true},
			}
			for _, k := range kinds {
				t.Run(k.name, func(t *testing.T) {
					// A first scrape, so that the pipeline's own one-off allocations are in the
					// baseline.
					scrape(t, f.Handler())
					before := heap()
					for _, l := range labels {
						k.record(l)
					}
					if k.served {
						scrape(t, f.Handler())
					}
					during := heap()
					for _, l := range labels {
						if !k.delete(l) {
							t.Fatalf("Delete(%s) found nothing", l)
						}
					}
					scrape(t, f.Handler())
					after := heap()
					t.Logf("heap: %d before, %d with 100,000 series, %d after deleting them", before, during, after)
					if during < before+5<<20 {
						t.Fatalf("100,000 series took %d bytes: the test measures nothing", during-before)
					}
					if float64(after) > float64(before)*1.10 {
						t.Errorf("heap after deleting every series is %d, more than 10 %% above the %d before", after, before)
					}
				})
			}
		})
	}
	runtime.KeepAlive(labels)
}

// TestDeleteConcurrent records, deletes and scrapes at once, every kind of instrument, for the
// race detector.
func TestDeleteConcurrent(t *testing.T) {
	ctx := context.Background()
	f := withCatalogue(t, newTestTelemetry(t, WithoutRuntimeMetrics(), WithoutEnvironmentExporter(), WithCardinalityLimit(8)))
	i := f.Instruments
	temp, conns := temperature(t, f.Telemetry), connections(t, f.Telemetry)
	var wg sync.WaitGroup
	stop := make(chan struct{})
	comps := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
	for w := range 4 {
		wg.Go(func() {
			for n := 0; ; n++ {
				select {
				case <-stop:
					return
				default:
				}
				c := comps[(n+w)%len(comps)]
				i.RequestSeconds.Record(ctx, 0.01, c)
				i.RequestSeconds.Bind(c).Record(ctx, 0.02)
				i.RequestsTotal.Add(ctx, 1, c)
				i.RequestsTotal.Bind(c).Add(ctx, 1)
				i.InFlight.Add(ctx, 1, "get")
				conns.Add(ctx, -1, [1]string{c})
				temp.Record(ctx, float64(n), [1]string{c})
				temp.Bind([1]string{c}).Record(ctx, 1)
				i.PayloadBytes.Record(ctx, 3, "put")
			}
		})
	}
	wg.Go(func() {
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			c := comps[n%len(comps)]
			i.RequestSeconds.Delete(c)
			i.RequestsTotal.Delete(c)
			conns.DeletePartialMatch(map[string]string{"component": c})
			temp.Delete([1]string{c})
			i.InFlight.DeletePartialMatch(map[string]string{"op": "get"})
			if n%7 == 0 {
				i.RequestSeconds.Reset()
				i.PayloadBytes.Reset()
				i.RequestsTotal.Reset()
				conns.Reset()
				temp.Reset()
			}
		}
	})
	for range 20 {
		scrape(t, f.Handler())
	}
	close(stop)
	wg.Wait()
}

// TestDeleteOverOTLP: what the push reader exports for a deleted series, cumulative and delta
// (docs/library.md, "Deleting series"): no data point from the next export on, and a
// re-created series from zero.
func TestDeleteOverOTLP(t *testing.T) {
	for _, temporality := range []metricdata.Temporality{metricdata.CumulativeTemporality, metricdata.DeltaTemporality} {
		t.Run(temporality.String(), func(t *testing.T) {
			ctx := context.Background()
			push := &captureExporter{temporality: temporality}
			f := withCatalogue(t, newTestTelemetry(t, WithoutRuntimeMetrics(), WithoutEnvironmentExporter(),
				WithLogger(slog.New(slog.DiscardHandler)), WithPushExporter(push, sdkmetric.WithInterval(time.Hour))))
			i := f.Instruments
			temp := temperature(t, f.Telemetry)
			export := func() map[string]float64 {
				t.Helper()
				if err := f.provider.ForceFlush(ctx); err != nil {
					t.Fatal(err)
				}
				out := map[string]float64{}
				for _, sm := range push.last().ScopeMetrics {
					for _, m := range sm.Metrics {
						if m.Name != "requests_total" && m.Name != "temperature" {
							continue
						}
						switch d := m.Data.(type) {
						case metricdata.Sum[int64]:
							for _, p := range d.DataPoints {
								v, _ := p.Attributes.Value("component")
								out[m.Name+" "+v.AsString()] += float64(p.Value)
							}
						case metricdata.Gauge[float64]:
							for _, p := range d.DataPoints {
								v, _ := p.Attributes.Value("component")
								out[m.Name+" "+v.AsString()] = p.Value
							}
						}
					}
				}
				return out
			}
			for _, c := range []string{"a", "b"} {
				i.RequestsTotal.Add(ctx, 5, c)
				temp.Record(ctx, 5, [1]string{c})
			}
			if got := fmt.Sprint(export()); got != "map[requests_total a:5 requests_total b:5 temperature a:5 temperature b:5]" {
				t.Fatalf("first export: %s", got)
			}
			i.RequestsTotal.Delete("b")
			temp.Delete([1]string{"b"})
			i.RequestsTotal.Add(ctx, 1, "a")
			temp.Record(ctx, 6, [1]string{"a"})
			want := "map[requests_total a:6 temperature a:6]"
			if temporality == metricdata.DeltaTemporality {
				want = "map[requests_total a:1 temperature a:6]"
			}
			if got := fmt.Sprint(export()); got != want {
				t.Fatalf("after deleting b: %s, want %s", got, want)
			}
			i.RequestsTotal.Add(ctx, 2, "b")
			want = "map[requests_total a:6 requests_total b:2 temperature a:6]"
			if temporality == metricdata.DeltaTemporality {
				want = "map[requests_total b:2]"
			}
			if got := fmt.Sprint(export()); got != want {
				t.Fatalf("b re-created: %s, want %s", got, want)
			}
		})
	}
}
