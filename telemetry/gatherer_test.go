package telemetry

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/telediag/telediag/internal/testutil"
)

// paths are the two ways /metrics is served, each test running on both.
var paths = []struct {
	name string
	opts []Option
}{
	{"exporter", nil},
	{"direct", []Option{WithDirectScrape()}},
}

// runTimeTelemetry is a pipeline with the test catalogue and a registry the service fills
// while it runs, empty at New; logs go to the buffer returned.
func runTimeTelemetry(t *testing.T, extra ...Option) (*fixture, *prometheus.Registry, *testutil.SyncBuffer) {
	t.Helper()
	reg := prometheus.NewRegistry()
	logs := &testutil.SyncBuffer{}
	opts := append([]Option{WithoutEnvironmentExporter(), WithoutRuntimeMetrics(), WithGatherer(reg),
		WithLogger(slog.New(slog.NewTextHandler(logs, nil)))}, extra...)
	tel := withCatalogue(t, newTestTelemetry(t, opts...))
	recordEveryInstrument(context.Background(), tel.Instruments)
	return tel, reg, logs
}

// servedDirectly reports whether the direct path serves a text scrape of tel.
func servedDirectly(tel *fixture) bool {
	return tel.metrics.reader != nil && tel.metrics.serveDirect(httptest.NewRecorder(), httptest.NewRequest(http.MethodGet, "/metrics", nil))
}

// TestGathererServedBesideCatalogue: families registered in the gatherer after New, as
// traffic creates them, are served on /metrics beside the catalogue's and the collectors', on
// both paths, and the direct path renders them as the exporter's path does.
func TestGathererServedBesideCatalogue(t *testing.T) {
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			tel, reg, logs := runTimeTelemetry(t, p.opts...)
			if fams, _ := scrape(t, tel.Handler()); fams["upstream_orders_placed_total"] != nil {
				t.Fatal("served before it exists")
			}
			// Traffic: the service relays an upstream and makes its families.
			orders := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "upstream_orders_placed_total", Help: "Made at run time."}, []string{"upstream", "payment_method"})
			latency := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "upstream_latency_seconds", Help: "Made at run time.", Buckets: []float64{0.1, 1}})
			reg.MustRegister(orders, latency)
			orders.WithLabelValues("shop", "card").Add(3)
			orders.WithLabelValues("shop", `quote" and \ backslash`).Inc()
			latency.Observe(0.5)

			fams, body := scrape(t, tel.Handler())
			if got := fams["upstream_orders_placed_total"].GetMetric(); len(got) != 2 {
				t.Errorf("upstream_orders_placed_total: %v\n%s", got, body)
			}
			if got := fams["upstream_latency_seconds"].GetMetric(); len(got) != 1 || got[0].GetHistogram().GetSampleCount() != 1 {
				t.Errorf("upstream_latency_seconds: %v", got)
			}
			for _, name := range append(generatedNames(t), "go_goroutines", "promhttp_metric_handler_requests_total") {
				if fams[name] == nil {
					t.Errorf("%s not served beside the gatherer's", name)
				}
			}
			if direct := servedDirectly(tel); direct != (p.name == "direct") {
				t.Fatalf("served directly: %v", direct)
			}
			if p.name == "direct" {
				_, got := scrapeBody(t, tel.Handler(), nil)
				_, want := scrapeBody(t, promhttp.HandlerFor(prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
					return tel.families.besideServed(tel.servedReg)
				}), promhttp.HandlerOpts{}), nil)
				if g, w := otelFamilies(t, tel, got), otelFamilies(t, tel, want); g != w {
					t.Fatalf("direct path differs from the exporter's:\n%s", firstDifference(g, w))
				}
			}
			if logs.String() != "" {
				t.Errorf("logged: %s", logs)
			}
		})
	}
}

// TestGathererCollisionsLeftOut: a gatherer family with the name of a catalogue family, of a
// histogram's _count series or of a runtime collector's family is left out, and logged once
// with its name, on both paths; everything else, the catalogue's families first, is served,
// with HTTP 200.
func TestGathererCollisionsLeftOut(t *testing.T) {
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			tel, reg, logs := runTimeTelemetry(t, p.opts...)
			clash := prometheus.NewGauge(prometheus.GaugeOpts{Name: "requests_total", Help: "Same name as the catalogue's counter."})
			suffix := prometheus.NewCounter(prometheus.CounterOpts{Name: "request_seconds_count", Help: "A sample name of the catalogue's histogram."})
			runtime := prometheus.NewGauge(prometheus.GaugeOpts{Name: "go_goroutines", Help: "Same name as the Go collector's."})
			fine := prometheus.NewCounter(prometheus.CounterOpts{Name: "upstream_up_total", Help: "No collision."})
			reg.MustRegister(clash, suffix, runtime, fine)
			clash.Set(-1)
			fine.Inc()

			for range 3 {
				fams, body := scrape(t, tel.Handler()) // a duplicate family would not parse
				if f := fams["requests_total"]; f.GetType() != dto.MetricType_COUNTER || len(f.GetMetric()) == 0 || f.GetMetric()[0].GetLabel() == nil {
					t.Fatalf("requests_total is not the catalogue's labelled counter: %v", f)
				}
				if fams["request_seconds_count"] != nil || strings.Contains(body, "\nrequest_seconds_count ") {
					t.Error("request_seconds_count served beside the histogram request_seconds")
				}
				if f := fams["go_goroutines"]; f.GetHelp() == "Same name as the Go collector's." {
					t.Error("go_goroutines is the gatherer's")
				}
				if fams["upstream_up_total"] == nil {
					t.Error("the family that collides with nothing is not served")
				}
			}
			if direct := servedDirectly(tel); direct != (p.name == "direct") {
				t.Errorf("served directly: %v", direct)
			}
			out := logs.String()
			for _, want := range []string{
				`family=requests_total`,
				`family=request_seconds_count collides_with=request_seconds`,
				`family=go_goroutines`,
			} {
				if n := strings.Count(out, want); n != 1 {
					t.Errorf("%q logged %d times after 3 scrapes, want once:\n%s", want, n, out)
				}
			}
			if !strings.Contains(out, "level=ERROR") {
				t.Errorf("not logged as an error:\n%s", out)
			}
		})
	}
}

// TestGathererErrorsServeTheRest: a gatherer that fails is logged as promhttp logs its
// collectors' errors, and what it returned is served with everything else.
func TestGathererErrorsServeTheRest(t *testing.T) {
	name, help := "upstream_up", "Partly gathered."
	partial := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		return []*dto.MetricFamily{{Name: &name, Help: &help, Type: dto.MetricType_GAUGE.Enum(),
			Metric: []*dto.Metric{{Gauge: &dto.Gauge{Value: new(float64)}}}}}, errors.New("upstream went away")
	})
	for _, p := range paths {
		t.Run(p.name, func(t *testing.T) {
			logs := &testutil.SyncBuffer{}
			tel := withCatalogue(t, newTestTelemetry(t, append([]Option{WithoutEnvironmentExporter(), WithGatherer(partial),
				WithLogger(slog.New(slog.NewTextHandler(logs, nil)))}, p.opts...)...))
			fams, _ := scrape(t, tel.Handler())
			if fams["upstream_up"] == nil || fams["go_goroutines"] == nil {
				t.Errorf("served %d families, without the gatherer's or the collectors'", len(fams))
			}
			if !strings.Contains(logs.String(), "WithGatherer: upstream went away") {
				t.Errorf("the gatherer's error is not logged:\n%s", logs)
			}
		})
	}
}

// TestGathererOverOTLP: the gatherer's families are pushed through the Prometheus bridge with
// the names a scraper sees, and the one that collides with a catalogue family is left out, as
// on /metrics: every name is exported once.
func TestGathererOverOTLP(t *testing.T) {
	clearOTelEnv(t)
	exp := &recordingExporter{}
	tel, reg, logs := runTimeTelemetry(t, WithPushExporter(exp, sdkmetric.WithInterval(time.Hour)))
	fine := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "upstream_orders_placed_total", Help: "Made at run time."}, []string{"upstream"})
	clash := prometheus.NewGauge(prometheus.GaugeOpts{Name: "rx", Help: "Same name as the catalogue's counter."})
	runtime := prometheus.NewGauge(prometheus.GaugeOpts{Name: "go_threads", Help: "Same name as the Go collector's."})
	reg.MustRegister(fine, clash, runtime)
	fine.WithLabelValues("shop").Add(2)
	if err := tel.provider.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	exp.mu.Lock()
	rm := exp.batches[len(exp.batches)-1]
	exp.mu.Unlock()
	scopes := map[string]string{}
	seen := map[string]int{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			seen[m.Name]++
			scopes[m.Name] = sm.Scope.Name
			if m.Name == "upstream_orders_placed_total" {
				if sum, ok := m.Data.(metricdata.Sum[float64]); !ok || !sum.IsMonotonic || len(sum.DataPoints) != 1 || sum.DataPoints[0].Value != 2 {
					t.Errorf("upstream_orders_placed_total pushed as %#v", m.Data)
				}
			}
		}
	}
	if scopes["upstream_orders_placed_total"] != bridgeScope {
		t.Errorf("upstream_orders_placed_total pushed under %q, want the bridge's scope", scopes["upstream_orders_placed_total"])
	}
	if scopes["rx"] == bridgeScope {
		t.Error("rx pushed from the gatherer instead of the catalogue")
	}
	for _, name := range []string{"upstream_orders_placed_total", "rx", "go_threads"} {
		if seen[name] != 1 {
			t.Errorf("%s exported %d times, want once", name, seen[name])
		}
	}
	for _, want := range []string{"family=rx", "family=go_threads"} {
		if strings.Count(logs.String(), want) != 1 {
			t.Errorf("%s not logged once:\n%s", want, logs)
		}
	}
}

// TestWithGathererNil: a nil gatherer fails New, naming the option, instead of the first
// scrape.
func TestWithGathererNil(t *testing.T) {
	for _, g := range []prometheus.Gatherer{nil, (*prometheus.Registry)(nil), prometheus.GathererFunc(nil)} {
		_, err := New(context.Background(), WithoutEnvironmentExporter(), WithGatherer(prometheus.NewRegistry()), WithGatherer(g))
		if err == nil || !strings.Contains(err.Error(), "telemetry: WithGatherer: gatherer 2 of 2 is nil") {
			t.Errorf("%#v: err = %v", g, err)
		}
	}
}

// TestGathererNamesOutsideLegacy: a family whose name a legacy scraper gets escaped is served
// through the exporter, which escapes it, and is left out when escaped it is a served name.
func TestGathererNamesOutsideLegacy(t *testing.T) {
	tel, reg, logs := runTimeTelemetry(t, WithDirectScrape())
	dots := prometheus.NewGauge(prometheus.GaugeOpts{Name: "upstream.up", Help: "A name with dots."})
	clash := prometheus.NewGauge(prometheus.GaugeOpts{Name: "in.flight", Help: "in_flight, escaped."})
	reg.MustRegister(dots, clash)
	if servedDirectly(tel) {
		t.Error("served directly")
	}
	fams, _ := scrape(t, tel.Handler())
	if fams["upstream_up"] == nil {
		t.Error("upstream.up not served as upstream_up")
	}
	if f := fams["in_flight"]; f.GetHelp() == "in_flight, escaped." {
		t.Error("in.flight served as the catalogue's in_flight")
	}
	if !strings.Contains(logs.String(), `family=in.flight collides_with=in_flight`) {
		t.Errorf("the collision is not logged:\n%s", logs)
	}
}
