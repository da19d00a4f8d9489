package telemetry

import (
	"context"
	"strings"
	"testing"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/trace"

	"github.com/telediag/telediag/telemetry/instrument"
)

// exemplarCount records one value into a histogram inside a sampled span and counts the
// exemplars a reader then collects for it.
func exemplarCount(t *testing.T, opts ...Option) int {
	t.Helper()
	r := sdkmetric.NewManualReader()
	t0, err := New(context.Background(), append(opts, WithReader(r), WithoutEnvironmentExporter(), WithoutRuntimeMetrics())...)
	if err != nil {
		t.Fatal(err)
	}
	defer t0.Shutdown(context.Background())
	tel := withCatalogue(t, t0)
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID:    trace.TraceID{1},
		SpanID:     trace.SpanID{2},
		TraceFlags: trace.FlagsSampled,
	}))
	tel.Instruments.RequestSeconds.Record(ctx, 0.01, "backend")
	var rm metricdata.ResourceMetrics
	if err := r.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == "request_seconds" {
				n := 0
				for _, p := range m.Data.(metricdata.Histogram[float64]).DataPoints {
					n += len(p.Exemplars)
				}
				return n
			}
		}
	}
	t.Fatal("request_seconds not collected")
	return 0
}

func TestExemplarFilter(t *testing.T) {
	for _, tc := range []struct {
		name string
		env  string
		opt  exemplar.Filter
		want int
	}{
		{name: "default is off", want: 0},
		{name: "option on", opt: exemplar.TraceBasedFilter, want: 1},
		{name: "environment on", env: "always_on", want: 1},
		{name: "environment wins over the option", env: "always_off", opt: exemplar.AlwaysOnFilter, want: 0},
		{name: "environment trace_based", env: " Trace_Based ", want: 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(envExemplarFilter, tc.env)
			var opts []Option
			if tc.opt != nil {
				opts = append(opts, WithExemplarFilter(tc.opt))
			}
			if got := exemplarCount(t, opts...); got != tc.want {
				t.Fatalf("%d exemplars, want %d", got, tc.want)
			}
		})
	}
}

func TestExemplarFilterInvalidEnvironment(t *testing.T) {
	t.Setenv(envExemplarFilter, "sometimes")
	_, err := New(context.Background(), WithoutEnvironmentExporter())
	if err == nil || !strings.Contains(err.Error(), envExemplarFilter) || !strings.Contains(err.Error(), `"sometimes"`) {
		t.Fatalf("err = %v, want one naming %s and the value", err, envExemplarFilter)
	}
}

// TestCounterExemplarsServed: with the trace_based filter, a catalogue counter stays on the
// fast path and its exemplar (the span's trace and span IDs) is served in OpenMetrics and
// protobuf; the text format has no place for it.
func TestCounterExemplarsServed(t *testing.T) {
	tel := withCatalogue(t, newTestTelemetry(t, WithoutEnvironmentExporter(), WithoutRuntimeMetrics(), WithExemplarFilter(exemplar.TraceBasedFilter)))
	if !instrument.OnFastPath(tel.Instruments.RequestsTotal) {
		t.Fatal("requests_total left the fast path with exemplars on")
	}
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: trace.TraceID{0xab, 1}, SpanID: trace.SpanID{0xcd, 2}, TraceFlags: trace.FlagsSampled,
	}))
	tel.Instruments.RequestsTotal.Add(ctx, 3, "auth")
	_, om := scrapeAs(t, tel.Handler(), prometheus2Accept, false)
	want := `requests_total{component="auth"} 3.0 # {span_id="cd02000000000000",trace_id="ab010000000000000000000000000000"} 3.0 `
	if !strings.Contains(string(om), want) {
		t.Errorf("OpenMetrics lacks %q:\n%s", want, om)
	}
	ct, pb := scrapeAs(t, tel.Handler(), prometheus2NativeAccept, false)
	mf := decodeAs(t, ct, pb)["requests_total"]
	if e := mf.GetMetric()[0].GetCounter().GetExemplar(); e.GetValue() != 3 || len(e.GetLabel()) != 2 {
		t.Errorf("protobuf: exemplar %v, want value 3 with trace_id and span_id", e)
	}
}
