package bench

import (
	"context"
	"testing"

	"go.opentelemetry.io/otel/metric/noop"

	"github.com/telediag/telediag/telemetry"
)

// disabledCases are the record calls of Teleport's generated catalogue, each written out as a
// service writes it: a direct method call on the generated type, with constant arguments, so
// that the loop measures the call and nothing else (no closure, unlike runModes, whose indirect
// call would be most of a no-op's cost).
var disabledCases = []struct {
	name string
	run  func(b *testing.B, m *pipeline)
}{
	{"kind=counter/labels=0", func(b *testing.B, m *pipeline) {
		ctx, c := context.Background(), m.Instruments.Rx
		for b.Loop() {
			c.Add(ctx, 1)
		}
	}},
	{"kind=counter/labels=1/form=unbound", func(b *testing.B, m *pipeline) {
		ctx, c := context.Background(), m.Instruments.BackendReadRequestsTotal
		for b.Loop() {
			c.Add(ctx, 1, "backend")
		}
	}},
	{"kind=counter/labels=1/form=bound", func(b *testing.B, m *pipeline) {
		ctx, c := context.Background(), m.Instruments.BackendReadRequestsTotal.Bind("backend")
		for b.Loop() {
			c.Add(ctx, 1)
		}
	}},
	{"kind=updowncounter/labels=0", func(b *testing.B, m *pipeline) {
		ctx, c := context.Background(), m.Instruments.AuthGenerateRequests
		for b.Loop() {
			c.Add(ctx, 1)
		}
	}},
	{"kind=histogram/labels=0", func(b *testing.B, m *pipeline) {
		ctx, h := context.Background(), m.Instruments.EtcdBackendReadSeconds
		for b.Loop() {
			h.Record(ctx, 0.003)
		}
	}},
	{"kind=histogram/labels=1/form=unbound", func(b *testing.B, m *pipeline) {
		ctx, h := context.Background(), m.Instruments.BackendReadSeconds
		for b.Loop() {
			h.Record(ctx, 0.003, "backend")
		}
	}},
	{"kind=histogram/labels=1/form=bound", func(b *testing.B, m *pipeline) {
		ctx, h := context.Background(), m.Instruments.BackendReadSeconds.Bind("backend")
		for b.Loop() {
			h.Record(ctx, 0.003)
		}
	}},
	{"kind=gauge/labels=0", func(b *testing.B, m *pipeline) {
		ctx, g := context.Background(), m.Instruments.AuditServerOpenFiles
		for b.Loop() {
			g.Record(ctx, 3)
		}
	}},
	{"kind=gauge/labels=2/form=unbound", func(b *testing.B, m *pipeline) {
		ctx, g := context.Background(), m.Instruments.TeleportRegisteredServers
		for b.Loop() {
			g.Record(ctx, 3, "v17.0.0", "true")
		}
	}},
	{"kind=gauge/labels=2/form=bound", func(b *testing.B, m *pipeline) {
		ctx, g := context.Background(), m.Instruments.TeleportRegisteredServers.Bind("v17.0.0", "true")
		for b.Loop() {
			g.Record(ctx, 3)
		}
	}},
}

// BenchmarkDisabledRecord: the record calls of a metric switched off (issue 24: "Its Record and
// Add cost ≤ 2 ns and allocate nothing"), beside the same calls on the metric served. The state
// element of the name is state=disabled (telemetry.WithDisable("*"): every metric of Teleport's
// catalogue is a no-op, never created in the SDK) or state=enabled (the reference pipeline);
// compare them with benchstat -col /state. Serial only: a no-op shares nothing between
// goroutines, so parallel runs would measure the same call.
func BenchmarkDisabledRecord(b *testing.B) {
	for _, c := range disabledCases {
		b.Run(c.name, func(b *testing.B) {
			for _, state := range []string{"disabled", "enabled"} {
				b.Run("state="+state, func(b *testing.B) {
					m := disabledFixture(b, state == "disabled")
					b.ReportAllocs()
					c.run(b, m)
				})
			}
		})
	}
}

// disabledFixture is the reference pipeline with Teleport's catalogue, every metric switched
// off when disabled. It checks that the switch took: a metric that is not served is a no-op
// instrument, never created in the SDK.
func disabledFixture(b *testing.B, disabled bool) *pipeline {
	b.Helper()
	opts := []telemetry.Option{telemetry.WithoutRuntimeMetrics()}
	if disabled {
		opts = append(opts, telemetry.WithDisable("*"))
	}
	m := benchTelemetry(b, opts...)
	if _, noOp := m.Instruments.BackendReadSeconds.Inst().(noop.Float64Histogram); noOp != disabled {
		b.Fatalf("disabled=%v, but backend_read_seconds is a no-op: %v", disabled, noOp)
	}
	return m
}
