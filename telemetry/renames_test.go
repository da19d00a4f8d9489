package telemetry

import (
	"context"
	"slices"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/telediag/telediag/telemetry/instrument"
)

// TestRenamedServedFromSameCell: a served metric that declares renamed_from is served under
// each old name too, from the same cell, with the HELP live-check expects; the direct path
// steps aside for it.
func TestRenamedServedFromSameCell(t *testing.T) {
	for _, direct := range []bool{false, true} {
		opts := []Option{WithoutRuntimeMetrics(), WithoutEnvironmentExporter()}
		if direct {
			opts = append(opts, WithDirectScrape())
		}
		tel := newTestTelemetry(t, opts...)
		ctx := context.Background()
		m := tel.MeterProvider().Meter("example.com/renamed")
		g := instrument.NewGroup(m)
		// As generated code asks, once per metric.
		if !g.Serves(instrument.Lifecycle{Name: "jobs_total", Enabled: true, RenamedFrom: []string{"old_jobs_total"}}) ||
			!g.Serves(instrument.Lifecycle{Name: "job_seconds", Enabled: true, RenamedFrom: []string{"job_latency_seconds", "job_time_seconds"}}) {
			t.Fatal("not served")
		}
		ci, err := m.Int64Counter("jobs_total", metric.WithDescription("Jobs run."))
		if err != nil {
			t.Fatal(err)
		}
		attrs := func(k [1]string) attribute.Set { return attribute.NewSet(attribute.String("queue", k[0])) }
		c, err := instrument.NewCounter(g, "jobs_total", metric.Int64Counter(ci), attrs)
		if err != nil {
			t.Fatal(err)
		}
		hi, err := m.Float64Histogram("job_seconds", metric.WithDescription("Job latency."), metric.WithExplicitBucketBoundaries(0.1, 1))
		if err != nil {
			t.Fatal(err)
		}
		h, err := instrument.NewRecorder(g, "job_seconds", metric.Float64Histogram(hi), attrs)
		if err != nil {
			t.Fatal(err)
		}
		c.Add(ctx, 3, [1]string{"a"})
		h.Record(ctx, 0.5, [1]string{"a"})

		got, text := scrape(t, tel.Handler())
		for newName, olds := range map[string][]string{"jobs_total": {"old_jobs_total"}, "job_seconds": {"job_latency_seconds", "job_time_seconds"}} {
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
