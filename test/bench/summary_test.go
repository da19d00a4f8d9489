package bench

import (
	"context"
	"math/rand/v2"
	"strconv"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"

	"github.com/telediag/telediag/telemetry/instrument"
)

// summaryObjectives are client_golang's example objectives, the ones import writes for a
// summary serving quantiles 0.5, 0.9 and 0.99.
var summaryObjectives = map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.99: 0.001}

// summaryOps returns, for impl otel (telediag's pipeline: a generated summary, instrument.Summary
// on telemetry's MeterProvider) or client_golang, the operation on series s of a summary with
// the given number of labels, bound or with the labels given per call. Each observation is a
// random value, so that the quantile streams do the work real latencies give them.
func summaryOps(b *testing.B, impl, form string, labels int) func(series int) func() {
	ctx := context.Background()
	keys := []string{"component", "op", "tier"}[:labels]
	if impl == "client_golang" {
		if labels == 0 {
			s := prometheus.NewSummary(prometheus.SummaryOpts{Name: "rpc_seconds", Help: "h", Objectives: summaryObjectives})
			return func(int) func() { return func() { s.Observe(rand.Float64()) } }
		}
		vec := prometheus.NewSummaryVec(prometheus.SummaryOpts{Name: "rpc_seconds", Help: "h", Objectives: summaryObjectives}, keys)
		if form == "bound" {
			return func(s int) func() {
				o := vec.WithLabelValues(labelValues(labels, s)...)
				return func() { o.Observe(rand.Float64()) }
			}
		}
		return func(s int) func() {
			vs := labelValues(labels, s)
			if labels == 1 {
				v := vs[0]
				return func() { vec.WithLabelValues(v).Observe(rand.Float64()) }
			}
			v0, v1, v2 := vs[0], vs[1], vs[2]
			return func() { vec.WithLabelValues(v0, v1, v2).Observe(rand.Float64()) }
		}
	}
	// Built the way generated code builds a summary, on the pipeline's provider.
	g := instrument.NewGroup(benchTelemetry(b).MeterProvider().Meter("bench"))
	opts := instrument.SummaryOptions{Objectives: summaryObjectives}
	switch labels {
	case 0:
		s, err := instrument.NewSummary[float64](g, "rpc_seconds", "h", "s", opts, func(struct{}) attribute.Set { return *attribute.EmptySet() })
		if err != nil {
			b.Fatal(err)
		}
		bnd := s.Series(struct{}{}) // as a generated label-less summary records
		return func(int) func() { return func() { bnd.Record(ctx, rand.Float64()) } }
	case 1:
		s, err := instrument.NewSummary[float64](g, "rpc_seconds", "h", "s", opts, func(k [1]string) attribute.Set {
			return attribute.NewSet(attribute.String("component", k[0]))
		})
		if err != nil {
			b.Fatal(err)
		}
		if form == "bound" {
			return func(i int) func() {
				bnd := s.Bind([1]string{labelValues(1, i)[0]})
				return func() { bnd.Record(ctx, rand.Float64()) }
			}
		}
		return func(i int) func() {
			k := [1]string{labelValues(1, i)[0]}
			return func() { s.Record(ctx, rand.Float64(), k) }
		}
	}
	s, err := instrument.NewSummary[float64](g, "rpc_seconds", "h", "s", opts, attrs3)
	if err != nil {
		b.Fatal(err)
	}
	if form == "bound" {
		return func(i int) func() {
			bnd := s.Bind([3]string(labelValues(3, i)))
			return func() { bnd.Record(ctx, rand.Float64()) }
		}
	}
	return func(i int) func() {
		vs := labelValues(3, i)
		v0, v1, v2 := vs[0], vs[1], vs[2]
		return func() { s.Record(ctx, rand.Float64(), [3]string{v0, v1, v2}) }
	}
}

// BenchmarkSummaryRecord: a summary with client_golang's example objectives and 0, 1 or 3
// labels, bound and with the labels given per call (one form without labels), serial, in
// parallel on one series and in parallel on a series per goroutine (not without labels):
// telediag's Record beside client_golang's Observe. Each series is a client_golang summary, so
// the difference is the lookup of the series alone; the buffer flushes into the quantile
// streams (every 500 observations, on a goroutine of their own, as client_golang does) are in
// both.
func BenchmarkSummaryRecord(b *testing.B) {
	for _, labels := range []int{0, 1, 3} {
		forms := []string{"bound", "unbound"}
		if labels == 0 {
			forms = forms[:1]
		}
		for _, form := range forms {
			b.Run("labels="+strconv.Itoa(labels)+"/form="+form, func(b *testing.B) {
				for _, impl := range []string{"otel", "client_golang"} {
					b.Run("impl="+impl, func(b *testing.B) {
						mk := summaryOps(b, impl, form, labels)
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
