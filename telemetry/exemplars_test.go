package telemetry

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"

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

// TestExemplarsMatchClientGolang: in OpenMetrics, a catalogue counter's and histogram's
// exemplars are written as client_golang writes those of AddWithExemplar and
// ObserveWithExemplar given the span's IDs: the same lines, line for line, once the exemplars'
// timestamps (each side's clock) are set aside.
func TestExemplarsMatchClientGolang(t *testing.T) {
	reg := prometheus.NewRegistry()
	cgCounter := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "requests_total", Help: "Requests."}, []string{"code"})
	cgHist := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "request_seconds", Help: "Latency.", Buckets: []float64{0.1, 1}}, []string{"code"})
	reg.MustRegister(cgCounter, cgHist)

	tel := newTestTelemetry(t, WithoutEnvironmentExporter(), WithoutRuntimeMetrics(), WithExemplarFilter(exemplar.TraceBasedFilter))
	m := tel.MeterProvider().Meter("test")
	counter, _ := m.Int64Counter("requests_total", metric.WithDescription("Requests."))
	hist, _ := m.Float64Histogram("request_seconds", metric.WithDescription("Latency."), metric.WithExplicitBucketBoundaries(0.1, 1))
	if !instrument.OnFastPath(counter) || !instrument.OnFastPath(hist) {
		t.Fatal("the instruments are not on the fast path")
	}
	for i, v := range []float64{0.05, 0.5, 5, 0.7} {
		sc := trace.NewSpanContext(trace.SpanContextConfig{TraceID: trace.TraceID{0xab, byte(i)}, SpanID: trace.SpanID{0xcd, byte(i)}, TraceFlags: trace.FlagsSampled})
		ctx := trace.ContextWithSpanContext(context.Background(), sc)
		ids := prometheus.Labels{"trace_id": sc.TraceID().String(), "span_id": sc.SpanID().String()}
		code := []string{"200", "500"}[i%2]
		cgCounter.WithLabelValues(code).(prometheus.ExemplarAdder).AddWithExemplar(2, ids)
		cgHist.WithLabelValues(code).(prometheus.ExemplarObserver).ObserveWithExemplar(v, ids)
		a := metric.WithAttributes(attribute.String("code", code))
		counter.Add(ctx, 2, a)
		hist.Record(ctx, v, a)
	}
	_, cg := scrapeAs(t, promhttp.HandlerFor(reg, promhttp.HandlerOpts{EnableOpenMetrics: true}), prometheus2Accept, false)
	_, ours := scrapeAs(t, tel.Handler(), prometheus2Accept, false)
	lines := func(body []byte) []string {
		var out []string
		for l := range strings.SplitSeq(string(body), "\n") {
			if !strings.HasPrefix(l, "requests_") && !strings.HasPrefix(l, "request_seconds") {
				continue
			}
			if i := strings.Index(l, " # {"); i >= 0 {
				// Keep the exemplar's labels, in order (client_golang writes them in its map's
				// order), and its value; its timestamp is each side's clock.
				labels, rest, _ := strings.Cut(l[i+4:], "} ")
				pairs := strings.Split(labels, ",")
				slices.Sort(pairs)
				l = l[:i] + " # {" + strings.Join(pairs, ",") + "} " + strings.Fields(rest)[0]
			}
			out = append(out, l)
		}
		return out
	}
	want, got := lines(cg), lines(ours)
	// A counter's per series, a histogram's per bucket used (the second 1.0 one replaced).
	if n := strings.Count(strings.Join(want, "\n"), " # {"); n != 5 {
		t.Fatalf("client_golang wrote %d exemplars, want 5:\n%s", n, cg)
	}
	if !slices.Equal(got, want) {
		t.Errorf("OpenMetrics lines differ:\ntelediag:\n%s\nclient_golang:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
