package bench

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel/attribute"

	"github.com/telediag/telediag/telemetry/instrument"
)

// BenchmarkCounters: issue 26's counter shapes, each telediag counter beside client_golang's in
// the same run (benchstat -col /impl), so that every ratio compares like with like:
//
//   - shape=nolabels: a label-less counter, the generated one (its promoted Add, which inlines
//     down to the atomic add) against a prometheus.Counter's Inc.
//   - shape=labels2-percall: two label values given per call, Add(ctx, 1, [2]string{…}) against
//     WithLabelValues(a, b).Inc().
//   - shape=labels2-kept: two labels bound once (instrument.Int64CounterBound, the handle
//     generated code holds) against a kept child's Inc.
//
// Each shape runs serially (mode=serial) and under RunParallel with every goroutine on the one
// series (mode=parallel), as PromLabs' comparison of the two clients runs them; run it with
// -cpu 1,2 (bash test/bench.sh OUT counters). The telediag counters are on telemetry.New's
// MeterProvider (the fast path, cumulative), as a service's are.
func BenchmarkCounters(b *testing.B) {
	for _, shape := range []string{"nolabels", "labels2-percall", "labels2-kept"} {
		for _, mode := range []string{"serial", "parallel"} {
			b.Run("shape="+shape+"/mode="+mode, func(b *testing.B) {
				for _, impl := range []string{"otel", "client_golang"} {
					b.Run("impl="+impl, func(b *testing.B) {
						op := counterShape(b, impl, shape)
						b.ReportAllocs()
						if mode == "serial" {
							for b.Loop() {
								op()
							}
							return
						}
						b.ResetTimer() // the pipeline built above is not the measurement
						b.RunParallel(func(pb *testing.PB) {
							for pb.Next() {
								op()
							}
						})
					})
				}
			})
		}
	}
}

// counterShape returns one operation of shape for impl on a fresh counter.
func counterShape(b *testing.B, impl, shape string) func() {
	ctx := context.Background()
	if impl == "client_golang" {
		switch shape {
		case "nolabels":
			c := prometheus.NewCounter(prometheus.CounterOpts{Name: "requests_total", Help: "h"})
			return c.Inc
		case "labels2-percall":
			vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "requests_total", Help: "h"}, []string{"component", "op"})
			return func() { vec.WithLabelValues("backend", "read").Inc() }
		default:
			vec := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "requests_total", Help: "h"}, []string{"component", "op"})
			return vec.WithLabelValues("backend", "read").Inc
		}
	}
	tel := benchTelemetry(b)
	if shape == "nolabels" {
		// A generated label-less counter, exactly as a service calls it.
		c := tel.Instruments.AuditFailedDiskMonitoring
		if !instrument.OnFastPath(c.Inst()) {
			b.Fatal("audit_failed_disk_monitoring is not on the fast path")
		}
		return func() { c.Add(ctx, 1) }
	}
	// No catalogue counter has two labels: built as generated code builds one, and bound into
	// the handle generated code holds.
	meter := tel.MeterProvider().Meter("bench")
	inst, err := meter.Int64Counter("requests_total")
	if err != nil {
		b.Fatal(err)
	}
	c, err := instrument.NewCounter(instrument.NewGroup(meter), "requests_total", inst, func(k [2]string) attribute.Set {
		return attribute.NewSet(attribute.String("component", k[0]), attribute.String("op", k[1]))
	})
	if err != nil {
		b.Fatal(err)
	}
	if shape == "labels2-percall" {
		return func() { c.Add(ctx, 1, [2]string{"backend", "read"}) }
	}
	bnd := instrument.Int64CounterBound(c.Bind([2]string{"backend", "read"}))
	return func() { bnd.Add(ctx, 1) }
}
