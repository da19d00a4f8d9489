package bench

import (
	"context"
	"strconv"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

	"github.com/telediag/telediag/telemetry"
	"github.com/telediag/telediag/telemetry/instrument"
)

// BenchmarkScrapeRenamed serves /metrics with Teleport's catalogue and 10,000 series of one
// counter, declared with an old name (renamed=1: served twice, as renamed_from does) or without
// (renamed=0), on the exporter's path and on the direct one: what serving an old name adds to a
// scrape. Since the old name's family shares the new one's series (exporter path) or is rendered
// from the same rows (direct path), the difference should be the second family's text alone.
func BenchmarkScrapeRenamed(b *testing.B) {
	const extra = 10_000
	for _, renamed := range []bool{false, true} {
		name := "renamed=0"
		if renamed {
			name = "renamed=1"
		}
		b.Run(name, func(b *testing.B) {
			for _, impl := range []string{"otel", "otel-direct"} {
				b.Run("impl="+impl, func(b *testing.B) {
					opts := []telemetry.Option{telemetry.WithoutRuntimeMetrics(), telemetry.WithCardinalityLimit(0)}
					if impl == "otel-direct" {
						opts = append(opts, telemetry.WithDirectScrape())
					}
					tel := benchTelemetry(b, opts...)
					recordEveryInstrument(context.Background(), tel.Instruments)
					renamedCounter(b, tel.MeterProvider(), renamed, extra)
					h := tel.Handler()
					scrapeLoop(b, h, "text/plain;version=0.0.4")
				})
			}
		})
	}
}

// renamedCounter creates extra_requests_total the way generated code does, with the old name
// extra_requests when renamed, and records series of it.
func renamedCounter(b *testing.B, mp metric.MeterProvider, renamed bool, series int) {
	b.Helper()
	meter := mp.Meter("bench/renamed")
	g := instrument.NewGroup(meter)
	l := instrument.Lifecycle{Name: "extra_requests_total", Enabled: true}
	if renamed {
		l.RenamedFrom = []string{"extra_requests"}
	}
	if !g.Serves(l) {
		b.Fatal("extra_requests_total not served")
	}
	inst, err := meter.Int64Counter("extra_requests_total", metric.WithDescription("Extra series."))
	if err != nil {
		b.Fatal(err)
	}
	c, err := instrument.NewCounter(g, "extra_requests_total", inst, func(k [1]string) attribute.Set {
		return attribute.NewSet(attribute.String("component", k[0]))
	})
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	for i := range series {
		c.Add(ctx, 1, [1]string{"c" + strconv.Itoa(i)})
	}
}
