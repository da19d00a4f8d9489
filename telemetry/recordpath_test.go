package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/telediag/telediag/internal/testutil"
	"github.com/telediag/telediag/telemetry/instrument"
	"github.com/telediag/telediag/telemetry/internal/testcatalog"
)

// deltaSumExporter is a push exporter asking for delta temporality; it sums what it receives per
// metric and label set, as a backend that accumulates deltas would.
type deltaSumExporter struct {
	mu   sync.Mutex
	sums map[string]float64 // "name{labels}" → sum of deltas
}

func (e *deltaSumExporter) Temporality(sdkmetric.InstrumentKind) metricdata.Temporality {
	return metricdata.DeltaTemporality
}

func (e *deltaSumExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

func (e *deltaSumExporter) Export(_ context.Context, rm *metricdata.ResourceMetrics) error {
	e.mu.Lock()
	defer e.mu.Unlock()
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if d, ok := m.Data.(metricdata.Sum[int64]); ok {
				for _, p := range d.DataPoints {
					e.sums[m.Name+"{"+p.Attributes.Encoded(attribute.DefaultEncoder())+"}"] += float64(p.Value)
				}
			}
		}
	}
	return nil
}

func (e *deltaSumExporter) get(key string) float64 {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.sums[key]
}

func (*deltaSumExporter) ForceFlush(context.Context) error { return nil }
func (*deltaSumExporter) Shutdown(context.Context) error   { return nil }

// TestConcurrentAddsScrapesAndPushes: goroutines add through bound and unbound counters while
// /metrics is scraped (exporter and direct path) and a delta push runs every few milliseconds.
// At the end, /metrics and the sum of the pushed deltas both equal the number of adds.
// Run with -race.
func TestConcurrentAddsScrapesAndPushes(t *testing.T) {
	push := &deltaSumExporter{sums: map[string]float64{}}
	t0, err := New(context.Background(), WithoutEnvironmentExporter(), WithoutRuntimeMetrics(), WithDirectScrape(),
		WithLogger(slog.New(slog.DiscardHandler)),
		WithPushExporter(push, sdkmetric.WithInterval(5*time.Millisecond)))
	if err != nil {
		t.Fatal(err)
	}
	tel := withCatalogue(t, t0)
	ctx := context.Background()
	const goroutines, adds = 6, 3000
	stop := make(chan struct{})
	var scrapers sync.WaitGroup
	for _, accept := range []string{"text/plain;version=0.0.4", "application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited"} {
		scrapers.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
					scrapeBody(t, tel.Handler(), map[string][]string{"Accept": {accept}})
				}
			}
		})
	}
	var wg sync.WaitGroup
	for g := range goroutines {
		wg.Go(func() {
			bound := tel.Instruments.RequestsTotal.Bind("bound")
			for i := range adds {
				bound.Add(ctx, 1)
				tel.Instruments.RequestsTotal.Add(ctx, 1, fmt.Sprint("g", g%3))
				tel.Instruments.Failures.Add(ctx, 1)
				tel.Instruments.RequestSeconds.Record(ctx, float64(i%10)/1000, "bound")
			}
		})
	}
	wg.Wait()
	close(stop)
	scrapers.Wait()

	_, body := scrapeBody(t, tel.Handler(), nil)
	for _, line := range []string{
		fmt.Sprintf(`requests_total{component="bound"} %d`, goroutines*adds),
		fmt.Sprintf(`requests_total{component="g0"} %d`, 2*adds),
		fmt.Sprintf(`failures %d`, goroutines*adds),
		fmt.Sprintf(`request_seconds_count{component="bound"} %d`, goroutines*adds),
	} {
		if !strings.Contains(body, line+"\n") {
			t.Errorf("/metrics lacks %q", line)
		}
	}
	if err := tel.Shutdown(ctx); err != nil { // the final push
		t.Fatal(err)
	}
	for key, want := range map[string]float64{
		"requests_total{component=bound}": goroutines * adds,
		"requests_total{component=g2}":    2 * adds,
		"failures{}":                      goroutines * adds,
	} {
		if got := push.get(key); got != want {
			t.Errorf("pushed deltas of %s sum to %v, want %v", key, got, want)
		}
	}
}

// TestCardinalityLimitOnMetrics: past the limit, /metrics shows the SDK's overflow series and
// one warning is logged per instrument; below it nothing is folded.
func TestCardinalityLimitOnMetrics(t *testing.T) {
	for _, direct := range []bool{false, true} {
		t.Run(fmt.Sprint("direct=", direct), func(t *testing.T) {
			var logs testutil.SyncBuffer
			opts := []Option{WithoutEnvironmentExporter(), WithoutRuntimeMetrics(), WithCardinalityLimit(10),
				WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))}
			if direct {
				opts = append(opts, WithDirectScrape())
			}
			t0, err := New(context.Background(), opts...)
			if err != nil {
				t.Fatal(err)
			}
			defer t0.Shutdown(context.Background())
			tel := withCatalogue(t, t0)
			ctx := context.Background()
			for i := range 25 {
				tel.Instruments.RequestsTotal.Add(ctx, 1, fmt.Sprint("c", i))
				tel.Instruments.RequestSeconds.Record(ctx, 0.01, fmt.Sprint("c", i))
			}
			_, body := scrapeBody(t, tel.Handler(), nil)
			if !strings.Contains(body, "\n"+`requests_total{otel_metric_overflow="true"} 16`+"\n") ||
				!strings.Contains(body, `request_seconds_count{otel_metric_overflow="true"} 16`+"\n") ||
				strings.Count(body, "\nrequests_total{") != 10 {
				t.Fatalf("want 9 series and an overflow of 16 per instrument:\n%s", body)
			}
			out := logs.String()
			if strings.Count(out, "cardinality limit") != 2 || strings.Count(out, "\n") != 2 {
				t.Fatalf("want one warning per instrument:\n%s", out)
			}
		})
	}
}

// TestCatalogueTakesLimitFromMeterProvider: a catalogue created from tel.MeterProvider() alone
// knows the pipeline's cardinality limit and logger, whichever path its histograms take (the
// fast path, with exemplars off or on; the SDK's with an exemplar filter of the caller's own,
// or with a reader the pipeline did not build).
// With a limit of 5, the fifth label set of a counter and of a histogram is the first served as
// otel_metric_overflow="true", and it, not an earlier or a later one, logs the instrument's one
// warning: the catalogue's caches stop where the SDK starts folding.
func TestCatalogueTakesLimitFromMeterProvider(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
		fast bool // the histogram records on the fast path
	}{
		{"fast histograms", nil, true},
		{"exemplars on", []Option{WithExemplarFilter(exemplar.AlwaysOnFilter)}, true},
		{"an exemplar filter of its own", []Option{WithExemplarFilter(func(context.Context) bool { return true })}, false},
		{"a reader of its own", []Option{WithReader(sdkmetric.NewManualReader())}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var logs testutil.SyncBuffer
			tel := newTestTelemetry(t, append([]Option{WithoutEnvironmentExporter(), WithoutRuntimeMetrics(),
				WithCardinalityLimit(5), WithLogger(slog.New(slog.NewTextHandler(&logs, nil)))}, tc.opts...)...)
			i, err := testcatalog.NewInstruments(tel.MeterProvider())
			if err != nil {
				t.Fatal(err)
			}
			if got := instrument.OnFastPath(i.RequestSeconds); got != tc.fast {
				t.Fatalf("histogram on the fast path: %v, want %v", got, tc.fast)
			}
			ctx := context.Background()
			record := func(n int) {
				component := fmt.Sprint("c", n)
				i.RequestsTotal.Add(ctx, 1, component)
				i.RequestSeconds.Record(ctx, 0.01, component)
			}
			for n := 1; n <= 4; n++ {
				record(n)
			}
			if _, body := scrapeBody(t, tel.Handler(), nil); strings.Contains(body, "otel_metric_overflow") {
				t.Fatalf("four label sets overflowed a limit of 5:\n%s", body)
			}
			if out := logs.String(); out != "" {
				t.Fatalf("warned within the limit:\n%s", out)
			}

			record(5)
			_, body := scrapeBody(t, tel.Handler(), nil)
			for _, line := range []string{
				`requests_total{otel_metric_overflow="true"} 1`,
				`request_seconds_count{otel_metric_overflow="true"} 1`,
				`requests_total{component="c4"} 1`,
				`request_seconds_count{component="c4"} 1`,
			} {
				if !strings.Contains(body, "\n"+line+"\n") {
					t.Errorf("/metrics lacks %s", line)
				}
			}
			if strings.Contains(body, `component="c5"`) {
				t.Errorf("the fifth label set has a series of its own:\n%s", body)
			}
			out := logs.String()
			for _, name := range []string{"requests_total", "request_seconds"} {
				if strings.Count(out, "instrument="+name+" limit=5") != 1 {
					t.Errorf("want one warning for %s at limit 5:\n%s", name, out)
				}
			}
			if strings.Count(out, "\n") != 2 {
				t.Errorf("want two warnings:\n%s", out)
			}
			if err := i.Release(); err != nil {
				t.Fatal(err)
			}
		})
	}
}

// TestViewAppliesToBatchedCounters: a View renaming a generated counter and keeping none of its
// labels changes what /metrics shows, as it would for any instrument.
func TestViewAppliesToBatchedCounters(t *testing.T) {
	view := sdkmetric.NewView(sdkmetric.Instrument{Name: "requests_total"},
		sdkmetric.Stream{Name: "reads_total", AttributeFilter: attribute.NewDenyKeysFilter("component")})
	tel := newDirectTelemetry(t, WithView(view))
	ctx := context.Background()
	tel.Instruments.RequestsTotal.Add(ctx, 2, "a")
	tel.Instruments.RequestsTotal.Bind("b").Add(ctx, 3)
	_, body := scrapeBody(t, tel.Handler(), nil)
	if strings.Contains(body, "\nrequests_total") || !strings.Contains(body, "\nreads_total 5\n") {
		t.Fatalf("the View did not apply:\n%s", body)
	}
}
