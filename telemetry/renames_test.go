package telemetry

import (
	"context"
	"log/slog"
	"maps"
	"net/http"
	"net/http/httptest"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"google.golang.org/protobuf/proto"

	"github.com/telediag/telediag/telemetry/instrument"
)

// renamedFamilies are the families recordRenamed creates, by new name, with their old names.
var renamedFamilies = map[string][]string{
	"jobs_total":    {"old_jobs_total"},
	"job_seconds":   {"job_latency_seconds", "job_time_seconds"},
	"job_bytes":     {"job_size_bytes"},
	"queue_percent": {"queue_fill_percent"},
}

// recordRenamed creates on tel's provider, as generated code does (asking the Group once per
// metric, which declares the old names), a counter, a histogram, a summary and a gauge, each
// with renamed_from, and records into each.
func recordRenamed(t testing.TB, tel *Telemetry) {
	t.Helper()
	ctx := context.Background()
	m := tel.MeterProvider().Meter("example.com/renamed")
	g := instrument.NewGroup(m)
	for _, name := range []string{"jobs_total", "job_seconds", "job_bytes", "queue_percent"} {
		if !g.Serves(instrument.Lifecycle{Name: name, Enabled: true, RenamedFrom: renamedFamilies[name]}) {
			t.Fatalf("%s not served", name)
		}
	}
	ci, err := m.Int64Counter("jobs_total", metric.WithDescription("Jobs run."), metric.WithUnit("{job}"))
	if err != nil {
		t.Fatal(err)
	}
	attrs := func(k [1]string) attribute.Set { return attribute.NewSet(attribute.String("queue", k[0])) }
	c, err := instrument.NewCounter(g, "jobs_total", metric.Int64Counter(ci), attrs)
	if err != nil {
		t.Fatal(err)
	}
	hi, err := m.Float64Histogram("job_seconds", metric.WithDescription("Job latency."), metric.WithUnit("s"), metric.WithExplicitBucketBoundaries(0.1, 1))
	if err != nil {
		t.Fatal(err)
	}
	h, err := instrument.NewRecorder(g, "job_seconds", metric.Float64Histogram(hi), attrs)
	if err != nil {
		t.Fatal(err)
	}
	s, err := instrument.NewSummary[float64](g, "job_bytes", "Job sizes.", "By",
		instrument.SummaryOptions{Objectives: map[float64]float64{0.5: 0.05, 0.9: 0.01}, MaxAge: time.Hour, AgeBuckets: 2}, attrs)
	if err != nil {
		t.Fatal(err)
	}
	gauge, err := m.Float64Gauge("queue_percent", metric.WithDescription("How full the queue is."), metric.WithUnit("%"))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"a", "b\"quoted\""} {
		c.Add(ctx, 3, [1]string{q})
		h.Record(ctx, 0.5, [1]string{q})
		h.Record(ctx, 2, [1]string{q})
		s.Record(ctx, 100, [1]string{q})
		s.Record(ctx, 300, [1]string{q})
	}
	gauge.Record(ctx, 42.5)
}

// TestRenamedServedFromSameCell: a served metric that declares renamed_from is served under
// each old name too, from the same cell, with the HELP live-check expects, on the exporter's
// path and on the direct one.
func TestRenamedServedFromSameCell(t *testing.T) {
	for _, direct := range []bool{false, true} {
		opts := []Option{WithoutRuntimeMetrics(), WithoutEnvironmentExporter()}
		if direct {
			opts = append(opts, WithDirectScrape())
		}
		tel := newTestTelemetry(t, opts...)
		recordRenamed(t, tel)

		got, text := scrape(t, tel.Handler())
		for newName, olds := range renamedFamilies {
			if got[newName] == nil {
				t.Fatalf("direct=%v: %s not served:\n%s", direct, newName, text)
			}
			for _, old := range olds {
				mf := got[old]
				if mf == nil {
					t.Fatalf("direct=%v: %s not served:\n%s", direct, old, text)
				}
				if want := instrument.RenamedHelp(newName, got[newName].GetHelp()); mf.GetHelp() != want {
					t.Errorf("%s HELP %q, want %q", old, mf.GetHelp(), want)
				}
				if mf.GetType() != got[newName].GetType() || !slices.Equal(seriesOf(mf), seriesOf(got[newName])) {
					t.Errorf("%s serves %q, %s serves %q", old, seriesOf(mf), newName, seriesOf(got[newName]))
				}
			}
		}
	}
}

// TestRenamedNotServedWhenDisabled: an old name follows its metric's switches.
func TestRenamedNotServedWhenDisabled(t *testing.T) {
	tel := newTestTelemetry(t, WithoutRuntimeMetrics(), WithoutEnvironmentExporter(), WithDisable("jobs_*"))
	g := instrument.NewGroup(tel.MeterProvider().Meter("example.com/renamed"))
	if g.Serves(instrument.Lifecycle{Name: "jobs_total", Enabled: true, RenamedFrom: []string{"old_jobs_total"}}) {
		t.Fatal("a disabled metric is served")
	}
	if tel.renames.any() {
		t.Error("a metric that is not served declared its old names")
	}
}

// pushedMetrics returns the metrics of the last export by name, from every scope but the
// Prometheus bridge's.
func pushedMetrics(t *testing.T, exp *captureExporter) map[string]metricdata.Metrics {
	t.Helper()
	out := map[string]metricdata.Metrics{}
	for _, sm := range exp.last().ScopeMetrics {
		for _, m := range sm.Metrics {
			if _, dup := out[m.Name]; dup {
				t.Errorf("%s pushed twice", m.Name)
			}
			out[m.Name] = m
		}
	}
	return out
}

// TestRenamedOverOTLP: by default the push exporter receives a renamed metric under its new name
// only; with WithOldNamesOverOTLP or TELEDIAG_OTLP_OLD_NAMES=true, under each old name too, with
// the new name's unit and data points and the description marked as the old name's HELP. Every
// kind is covered: a counter, a histogram on the fast path, a summary and a gauge.
func TestRenamedOverOTLP(t *testing.T) {
	for _, tc := range []struct {
		name     string
		opts     []Option
		env      string
		oldNames bool
	}{
		{"default", nil, "", false},
		{"option", []Option{WithOldNamesOverOTLP()}, "", true},
		{"environment", nil, "true", true},
		{"environment false", nil, "false", false},
		{"option wins over false", []Option{WithOldNamesOverOTLP()}, "0", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearOTelEnv(t)
			t.Setenv(envOTLPOldNames, tc.env)
			exp := &captureExporter{temporality: metricdata.CumulativeTemporality}
			tel := newTestTelemetry(t, append([]Option{WithoutRuntimeMetrics(), WithLogger(slog.New(slog.DiscardHandler)),
				WithPushExporter(exp, sdkmetric.WithInterval(time.Hour))}, tc.opts...)...)
			recordRenamed(t, tel)
			if err := tel.provider.ForceFlush(context.Background()); err != nil {
				t.Fatal(err)
			}
			pushed := pushedMetrics(t, exp)
			for newName, olds := range renamedFamilies {
				m, ok := pushed[newName]
				if !ok {
					t.Fatalf("%s not pushed; pushed %v", newName, slices.Sorted(maps.Keys(pushed)))
				}
				for _, old := range olds {
					o, ok := pushed[old]
					if ok != tc.oldNames {
						t.Errorf("%s pushed: %v, want %v", old, ok, tc.oldNames)
						continue
					}
					if !ok {
						continue
					}
					if want := instrument.RenamedHelp(newName, m.Description); o.Description != want {
						t.Errorf("%s: description %q, want %q", old, o.Description, want)
					}
					if o.Unit != m.Unit || !reflect.DeepEqual(o.Data, m.Data) {
						t.Errorf("%s: unit %q and data %+v, %s has %q and %+v", old, o.Unit, o.Data, newName, m.Unit, m.Data)
					}
				}
			}
		})
	}
	t.Run("a bad value", func(t *testing.T) {
		t.Setenv(envOTLPOldNames, "both")
		_, err := New(context.Background(), WithoutEnvironmentExporter(), WithoutRuntimeMetrics())
		if err == nil || !strings.Contains(err.Error(), `TELEDIAG_OTLP_OLD_NAMES="both": want true or false`) {
			t.Fatalf("New: %v", err)
		}
	})
}

// TestRenamesOTLPLeavesReaderSlices: adding the old names writes no slice the reader reuses,
// and an old name some metric already has is left out.
func TestRenamesOTLPLeavesReaderSlices(t *testing.T) {
	r := &renames{}
	r.declare(instrument.Lifecycle{Name: "b", RenamedFrom: []string{"old_b", "c"}})
	sum := metricdata.Sum[int64]{DataPoints: []metricdata.DataPoint[int64]{{Value: 7}}, IsMonotonic: true}
	backing := make([]metricdata.Metrics, 2, 8) // room to append in place, which otlp must not use
	backing[0] = metricdata.Metrics{Name: "a"}
	backing[1] = metricdata.Metrics{Name: "b", Description: "B.", Unit: "s", Data: sum}
	sms := []metricdata.ScopeMetrics{{Metrics: backing[:1]}, {Metrics: backing[1:2]}, {Metrics: []metricdata.Metrics{{Name: "c"}}}}
	orig := slices.Clone(sms)
	out := r.otlp(sms)
	if !reflect.DeepEqual(sms, orig) || backing[:cap(backing)][2].Name != "" {
		t.Fatal("otlp wrote to the reader's slices")
	}
	var names []string
	for _, sm := range out {
		for _, m := range sm.Metrics {
			names = append(names, m.Name)
		}
	}
	if want := []string{"a", "b", "old_b", "c"}; !slices.Equal(names, want) {
		t.Fatalf("pushed %v, want %v (c is another metric's name)", names, want)
	}
	if o := out[1].Metrics[1]; o.Description != "(Deprecated: renamed to b) B." || o.Unit != "s" || !reflect.DeepEqual(o.Data, metricdata.Aggregation(sum)) {
		t.Errorf("old_b: %+v", o)
	}
	if got := (&renames{}).otlp(sms); &got[0] != &sms[0] {
		t.Error("without renames, otlp copied the slices")
	}
}

// applyByClone is how /metrics added the old names before they became shallow copies: a deep
// copy of the family per old name, per scrape. The bytes it serves are the reference.
func applyByClone(r *renames, g prometheus.Gatherer) prometheus.Gatherer {
	return prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		mfs, err := g.Gather()
		old := r.names()
		have := map[string]bool{}
		for _, mf := range mfs {
			have[mf.GetName()] = true
		}
		n := len(mfs)
		for _, mf := range mfs[:n] {
			for _, o := range old[mf.GetName()] {
				if have[o] {
					continue
				}
				c := proto.Clone(mf).(*dto.MetricFamily)
				c.Name = proto.String(o)
				c.Help = proto.String(instrument.RenamedHelp(mf.GetName(), mf.GetHelp()))
				mfs = append(mfs, c)
				have[o] = true
			}
		}
		slices.SortFunc(mfs, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
		return mfs, err
	})
}

// TestRenamedSameBytesOnBothPaths: with renames, the direct path still serves the scrape, and
// the new and old names' families are, byte for byte, what the exporter path serves and what it
// served when the old names were deep copies.
func TestRenamedSameBytesOnBothPaths(t *testing.T) {
	tel := newTestTelemetry(t, WithDirectScrape(), WithoutRuntimeMetrics(), WithoutEnvironmentExporter(), WithLogger(slog.New(slog.DiscardHandler)))
	recordRenamed(t, tel)
	fix := &fixture{Telemetry: tel}

	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4;q=1,*/*;q=0.1")
	if !tel.metrics.serveDirect(rec, req) {
		t.Fatal("the direct path stepped aside for a catalogue with renames")
	}
	direct := otelFamilies(t, fix, rec.Body.String())
	_, body := scrapeBody(t, tel.metrics.exporter, nil)
	exporter := otelFamilies(t, fix, body)
	opts := promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError}
	_, body = scrapeBody(t, promhttp.HandlerFor(applyByClone(tel.renames, tel.scrapeGatherer()), opts), nil)
	before := otelFamilies(t, fix, body)

	for name, olds := range renamedFamilies {
		for _, n := range append([]string{name}, olds...) {
			if !strings.Contains(direct, "\n# TYPE "+n+" ") {
				t.Errorf("%s not served on the direct path:\n%s", n, direct)
			}
		}
	}
	if direct != exporter {
		t.Errorf("direct path and exporter path differ:\n%s", firstDifference(direct, exporter))
	}
	if exporter != before {
		t.Errorf("the exporter path serves other bytes than deep copies did:\n%s", firstDifference(exporter, before))
	}
	// And through the handler, which chooses the direct path.
	if _, body := scrapeBody(t, tel.Handler(), nil); otelFamilies(t, fix, body) != before {
		t.Errorf("the handler serves other bytes than deep copies did:\n%s", firstDifference(otelFamilies(t, fix, body), before))
	}
}

// TestRenamedOldNameTaken: an old name that another family already has stays that family's, on
// both paths, and the direct path still serves the scrape.
func TestRenamedOldNameTaken(t *testing.T) {
	tel := newTestTelemetry(t, WithDirectScrape(), WithoutRuntimeMetrics(), WithoutEnvironmentExporter(), WithLogger(slog.New(slog.DiscardHandler)))
	m := tel.MeterProvider().Meter("example.com/taken")
	g := instrument.NewGroup(m)
	g.Serves(instrument.Lifecycle{Name: "a_total", Enabled: true, RenamedFrom: []string{"b_total", "c_total"}})
	for _, name := range []string{"a_total", "b_total"} {
		c, err := m.Int64Counter(name, metric.WithDescription("Counts "+name+"."))
		if err != nil {
			t.Fatal(err)
		}
		c.Add(context.Background(), int64(len(name)))
	}
	fix := &fixture{Telemetry: tel}
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	if !tel.metrics.serveDirect(rec, req) {
		t.Fatal("the direct path did not serve the scrape")
	}
	direct := otelFamilies(t, fix, rec.Body.String())
	_, body := scrapeBody(t, tel.metrics.exporter, nil)
	if exporter := otelFamilies(t, fix, body); direct != exporter {
		t.Errorf("direct path and exporter path differ:\n%s", firstDifference(direct, exporter))
	}
	for _, want := range []string{"# HELP b_total Counts b_total.\n", "# HELP c_total (Deprecated: renamed to a_total) Counts a_total.\n"} {
		if !strings.Contains(direct, want) {
			t.Errorf("no %q in:\n%s", want, direct)
		}
	}
}

// discardResponse is an http.ResponseWriter that keeps nothing, so that measuring a scrape's
// allocations does not count a growing body buffer.
type discardResponse struct{ h http.Header }

func (d *discardResponse) Header() http.Header         { return d.h }
func (d *discardResponse) Write(p []byte) (int, error) { return len(p), nil }
func (d *discardResponse) WriteHeader(int)             {}

// TestRenamesCostNothingPerSeries: serving a renamed counter's old name allocates nothing per
// series on either path (the exporter path's old-name family shares the series; the direct path
// renders the same rows twice), only a few allocations per scrape.
func TestRenamesCostNothingPerSeries(t *testing.T) {
	scrapeAllocs := func(direct, renamed bool, series int) float64 {
		opts := []Option{WithoutRuntimeMetrics(), WithoutEnvironmentExporter(), WithLogger(slog.New(slog.DiscardHandler))}
		if direct {
			opts = append(opts, WithDirectScrape())
		}
		tel := newTestTelemetry(t, opts...)
		m := tel.MeterProvider().Meter("example.com/renamed")
		g := instrument.NewGroup(m)
		var olds []string
		if renamed {
			olds = []string{"old_jobs_total"}
		}
		g.Serves(instrument.Lifecycle{Name: "jobs_total", Enabled: true, RenamedFrom: olds})
		ci, err := m.Int64Counter("jobs_total", metric.WithDescription("Jobs run."))
		if err != nil {
			t.Fatal(err)
		}
		c, err := instrument.NewCounter(g, "jobs_total", metric.Int64Counter(ci), func(k [1]string) attribute.Set {
			return attribute.NewSet(attribute.String("queue", k[0]))
		})
		if err != nil {
			t.Fatal(err)
		}
		for i := range series {
			c.Add(context.Background(), 1, [1]string{strconv.Itoa(i)})
		}
		req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
		w := &discardResponse{h: http.Header{}}
		tel.metrics.ServeHTTP(w, req) // warms the pools
		if direct && !tel.metrics.serveDirect(&discardResponse{h: http.Header{}}, req) {
			t.Fatal("the direct path stepped aside")
		}
		return testing.AllocsPerRun(10, func() { tel.metrics.ServeHTTP(w, req) })
	}
	const series = 1000
	for _, direct := range []bool{false, true} {
		plain, many := scrapeAllocs(direct, false, series), scrapeAllocs(direct, true, series)
		t.Logf("direct=%v: %d series, %v allocations per scrape without the rename, %v with it", direct, series, plain, many)
		// A deep copy of the family, as the exporter path made before, costs several
		// allocations per series: thousands here. AllocsPerRun counts every goroutine's, so the
		// bound leaves room for what other tests' readers allocate meanwhile (tens, under -race).
		if many-plain > series/10 {
			t.Errorf("direct=%v: the old name costs allocations per series: %v per scrape with it, %v without", direct, many, plain)
		}
	}
}
