package telemetry

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
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

// TestDeleteMatchesClientGolang runs the same creates, records and deletes on the pipeline's
// generated instruments and on client_golang's vectors, and compares what /metrics serves for
// the families telediag aggregates itself (histograms on the fast path, summaries), and what
// it documents for the ones the SDK aggregates (counters, up-down counters).
func TestDeleteMatchesClientGolang(t *testing.T) {
	ctx := context.Background()
	f := withCatalogue(t, newTestTelemetry(t, WithoutRuntimeMetrics(), WithoutEnvironmentExporter()))
	i := f.Instruments

	reg := prometheus.NewPedanticRegistry()
	hist := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "request_seconds", Help: "Request latency, by component.",
		Buckets: prometheus.ExponentialBuckets(0.001, 2, 16),
	}, []string{"component"})
	sum := prometheus.NewSummaryVec(prometheus.SummaryOpts{
		Name: "payload_bytes", Help: "Request payload sizes, by operation.",
	}, []string{"op"})
	ctr := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "requests_total", Help: "Requests served, by component."}, []string{"component"})
	reg.MustRegister(hist, sum, ctr)

	// Creates and records.
	for _, c := range []string{"a", "b", "c"} {
		for v := range 5 {
			i.RequestSeconds.Record(ctx, 0.01*float64(v+1), c)
			hist.WithLabelValues(c).Observe(0.01 * float64(v+1))
			i.RequestsTotal.Add(ctx, 1, c)
			ctr.WithLabelValues(c).Add(1)
		}
	}
	// A summary's quantiles are left out of the comparison (they are NaN in client_golang for a
	// vector without objectives, and the catalogue's has objectives), count and sum are not.
	i.PayloadBytes.Record(ctx, 10, "get")
	i.PayloadBytes.Record(ctx, 20, "put")
	sum.WithLabelValues("get").Observe(10)
	sum.WithLabelValues("put").Observe(20)

	// A handle bound before the delete: it keeps working, unexported.
	heldH, heldC := i.RequestSeconds.Bind("c"), hist.WithLabelValues("c")

	if !i.RequestSeconds.Delete("b") || !hist.DeleteLabelValues("b") {
		t.Fatal("Delete(b) found no series")
	}
	if i.RequestSeconds.Delete("nope") || hist.DeleteLabelValues("nope") {
		t.Fatal("Delete(nope) found a series")
	}
	if n, want := i.RequestSeconds.DeletePartialMatch(map[string]string{"component": "c"}), hist.DeletePartialMatch(prometheus.Labels{"component": "c"}); n != 1 || want != 1 {
		t.Fatalf("DeletePartialMatch(c) = %d, client_golang %d; want 1", n, want)
	}
	heldH.Record(ctx, 0.5)
	heldC.Observe(0.5)
	// Re-created after its delete: a new series, from zero.
	i.RequestSeconds.Record(ctx, 0.002, "b")
	hist.WithLabelValues("b").Observe(0.002)
	i.PayloadBytes.Delete("put")
	sum.DeleteLabelValues("put")

	// Counters: the SDK keeps the deleted series at its total.
	i.RequestsTotal.Delete("b")
	ctr.DeleteLabelValues("b")
	i.RequestsTotal.Add(ctx, 2, "b")
	ctr.WithLabelValues("b").Add(2)

	got, text := scrape(t, f.Handler())
	want, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	wantBy := map[string]*dto.MetricFamily{}
	for _, mf := range want {
		wantBy[mf.GetName()] = mf
	}
	for _, name := range []string{"request_seconds", "payload_bytes"} {
		g, w := seriesOf(got[name]), seriesOf(wantBy[name])
		if name == "payload_bytes" {
			g, w = stripQuantiles(g), stripQuantiles(w)
		}
		if !slices.Equal(g, w) {
			t.Errorf("%s: telediag serves\n%s\nclient_golang\n%s\n/metrics:\n%s", name, strings.Join(g, "\n"), strings.Join(w, "\n"), text)
		}
	}
	// The documented difference: client_golang restarts b at 2, the SDK continues its 5.
	gotC := seriesOf(got["requests_total"])
	wantC := []string{`component="a", 5`, `component="b", 7`, `component="c", 5`}
	if !slices.Equal(gotC, wantC) {
		t.Errorf("requests_total: got %q, want %q (the SDK keeps a deleted counter's total)", gotC, wantC)
	}

	i.RequestSeconds.Reset()
	hist.Reset()
	got, _ = scrape(t, f.Handler())
	if s := seriesOf(got["request_seconds"]); len(s) != 0 {
		t.Errorf("request_seconds after Reset: %q", s)
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

// TestDeleteFreesMemory creates 100,000 histogram series on the fast path and deletes them
// all: the heap must come back within 10 % of where it started.
func TestDeleteFreesMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("creates 100,000 series")
	}
	ctx := context.Background()
	f := withCatalogue(t, newTestTelemetry(t, WithoutRuntimeMetrics(), WithoutEnvironmentExporter(), WithCardinalityLimit(0)))
	i := f.Instruments
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	// A first scrape, so that the pipeline's own one-off allocations are in the baseline.
	scrape(t, f.Handler())
	labels := make([]string, 100_000)
	for j := range labels {
		labels[j] = fmt.Sprintf("component-%d", j)
	}
	before := heap()
	for _, l := range labels {
		i.RequestSeconds.Record(ctx, 0.01, l)
		i.PayloadBytes.Record(ctx, 1, "get")
	}
	during := heap()
	for _, l := range labels {
		i.RequestSeconds.Delete(l)
	}
	scrape(t, f.Handler())
	after := heap()
	t.Logf("heap: %d before, %d with 100,000 series, %d after deleting them", before, during, after)
	if during < before+10<<20 {
		t.Fatalf("100,000 series took %d bytes: the test measures nothing", during-before)
	}
	if float64(after) > float64(before)*1.10 {
		t.Errorf("heap after deleting every series is %d, more than 10 %% above the %d before", after, before)
	}
	runtime.KeepAlive(labels)
}

// TestDeleteConcurrent records, deletes and scrapes at once, for the race detector.
func TestDeleteConcurrent(t *testing.T) {
	ctx := context.Background()
	f := withCatalogue(t, newTestTelemetry(t, WithoutRuntimeMetrics(), WithoutEnvironmentExporter(), WithCardinalityLimit(8)))
	i := f.Instruments
	var wg sync.WaitGroup
	stop := make(chan struct{})
	comps := []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j"}
	for w := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
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
				i.InFlight.Add(ctx, 1, "get")
				i.PayloadBytes.Record(ctx, 3, "put")
			}
		}()
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for n := 0; ; n++ {
			select {
			case <-stop:
				return
			default:
			}
			c := comps[n%len(comps)]
			i.RequestSeconds.Delete(c)
			i.RequestsTotal.Delete(c)
			i.InFlight.DeletePartialMatch(map[string]string{"op": "get"})
			if n%7 == 0 {
				i.RequestSeconds.Reset()
				i.PayloadBytes.Reset()
				i.RequestsTotal.Reset()
			}
		}
	}()
	for range 20 {
		scrape(t, f.Handler())
	}
	close(stop)
	wg.Wait()
}
