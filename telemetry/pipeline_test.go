package telemetry

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"go.opentelemetry.io/otel"
	"go.opentelemetry.io/otel/attribute"
)

func TestHandlerCountsScrapes(t *testing.T) {
	tel := newTestTelemetry(t)
	for range 3 {
		scrape(t, tel.Handler())
	}
	families, _ := scrape(t, tel.Handler())
	for _, s := range families["promhttp_metric_handler_requests_total"].GetMetric() {
		for _, lp := range s.GetLabel() {
			if lp.GetName() == "code" && lp.GetValue() == "200" && s.GetCounter().GetValue() != 3 {
				t.Errorf(`promhttp_metric_handler_requests_total{code="200"} = %v before the 4th scrape, want 3`, s.GetCounter().GetValue())
			}
		}
	}
}

// TestPipelineKnowsNoCatalogue: a pipeline alone serves only the runtime families every
// catalogue gets (go_*, process_*, promhttp_*): no catalogue's family, and neither of the
// go_memstats families that cost a stop-the-world runtime.ReadMemStats per scrape, which only
// Teleport's catalogue asks for.
func TestPipelineKnowsNoCatalogue(t *testing.T) {
	tel := newTestTelemetry(t, WithoutEnvironmentExporter())
	families, _ := scrape(t, tel.Handler())
	for name := range families {
		if !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") && !strings.HasPrefix(name, "promhttp_") {
			t.Errorf("the bare pipeline serves %s", name)
		}
	}
	for _, name := range []string{"go_memstats_lookups_total", "go_memstats_gc_cpu_fraction"} {
		if families[name] != nil {
			t.Errorf("the bare pipeline serves %s, which only Teleport's catalogue asks for", name)
		}
	}
	for _, name := range []string{"go_goroutines", "go_memstats_alloc_bytes", "process_cpu_seconds_total", "promhttp_metric_handler_requests_total"} {
		if families[name] == nil {
			t.Errorf("%s missing", name)
		}
	}
}

func TestResourceFromEnvironment(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test,service.name=from-attrs")
	t.Setenv("OTEL_SERVICE_NAME", "from-env")
	cfg := newConfig([]Option{WithServiceName("from-option")})
	res, err := newResource(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range res.Attributes() {
		got[string(kv.Key)] = kv.Value.Emit()
	}
	if got["service.name"] != "from-env" {
		t.Errorf("service.name = %q, want OTEL_SERVICE_NAME's from-env", got["service.name"])
	}
	if got["deployment.environment.name"] != "test" {
		t.Errorf("OTEL_RESOURCE_ATTRIBUTES not honoured: %v", got)
	}
}

// TestServiceName: ServiceName and Resource report the service.name the metrics carry, in the
// specification's order: OTEL_SERVICE_NAME, then service.name in OTEL_RESOURCE_ATTRIBUTES, then
// WithServiceName, then unknown_service:<executable>.
func TestServiceName(t *testing.T) {
	for _, tc := range []struct {
		name, envName, envAttrs string
		opts                    []Option
		want                    string
	}{
		{name: "option", opts: []Option{WithServiceName("orders")}, want: "orders"},
		{name: "attributes win over the option", envAttrs: "service.name=from-attrs", opts: []Option{WithServiceName("orders")}, want: "from-attrs"},
		{name: "OTEL_SERVICE_NAME wins", envName: "from-env", envAttrs: "service.name=from-attrs", opts: []Option{WithServiceName("orders")}, want: "from-env"},
		{name: "malformed attributes are discarded", envAttrs: "service.name", opts: []Option{WithServiceName("orders")}, want: "orders"},
		{name: "default", want: defaultServiceName()},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("OTEL_SERVICE_NAME", tc.envName)
			t.Setenv("OTEL_RESOURCE_ATTRIBUTES", tc.envAttrs)
			opts := append([]Option{WithoutEnvironmentExporter(), WithLogger(slog.New(slog.DiscardHandler))}, tc.opts...)
			tel := newTestTelemetry(t, opts...)
			if got := tel.ServiceName(); got != tc.want {
				t.Errorf("ServiceName() = %q, want %q", got, tc.want)
			}
			v, _ := tel.Resource().Set().Value("service.name")
			if v.AsString() != tc.want {
				t.Errorf("Resource() service.name = %q, want %q", v.AsString(), tc.want)
			}
		})
	}
	if !strings.HasPrefix(defaultServiceName(), "unknown_service:") {
		t.Errorf("default service.name %q is not the specification's unknown_service:<executable>", defaultServiceName())
	}
}

func TestCardinalityLimitValidated(t *testing.T) {
	if _, err := New(context.Background(), WithCardinalityLimit(-1)); err == nil {
		t.Fatal("negative cardinality limit accepted")
	}
}

func TestGlobalProviderOnlyWhenAsked(t *testing.T) {
	before := otel.GetMeterProvider()
	t.Cleanup(func() { otel.SetMeterProvider(before) })
	tel := newTestTelemetry(t)
	if otel.GetMeterProvider() == tel.MeterProvider() {
		t.Fatal("New set the global MeterProvider without WithGlobal")
	}
	global := newTestTelemetry(t, WithGlobal())
	if otel.GetMeterProvider() != global.MeterProvider() {
		t.Fatal("WithGlobal did not set the global MeterProvider")
	}
}

// TestExporterOptions: target_info and resource labels are off by default and on when asked;
// with either, the direct path steps aside so that the output stays the exporter's.
func TestExporterOptions(t *testing.T) {
	t.Setenv("OTEL_SERVICE_NAME", "svc")
	plain := withCatalogue(t, newTestTelemetry(t, WithoutEnvironmentExporter()))
	plain.Instruments.Rx.Add(context.Background(), 1)
	if _, body := scrape(t, plain.Handler()); strings.Contains(body, "target_info") || strings.Contains(body, "service_name") {
		t.Fatalf("target_info or resource labels by default:\n%s", body)
	}
	for _, direct := range []bool{false, true} {
		opts := []Option{WithoutEnvironmentExporter(), WithTargetInfo(), WithResourceAsConstantLabels(attribute.NewAllowKeysFilter("service.name"))}
		if direct {
			opts = append(opts, WithDirectScrape())
		}
		tel := withCatalogue(t, newTestTelemetry(t, opts...))
		tel.Instruments.Rx.Add(context.Background(), 1)
		_, body := scrape(t, tel.Handler())
		if !strings.Contains(body, "\ntarget_info{") || !strings.Contains(body, `rx{service_name="svc"} 1`) {
			t.Fatalf("direct=%v: want target_info and a service_name label:\n%s", direct, body)
		}
	}
}

// TestWithCollectors: a client_golang collector given to New is served on /metrics.
func TestWithCollectors(t *testing.T) {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: "library_events_total", Help: "Events of a library."})
	c.Add(7)
	tel := newTestTelemetry(t, WithoutEnvironmentExporter(), WithCollectors(c))
	if _, body := scrape(t, tel.Handler()); !strings.Contains(body, "\nlibrary_events_total 7\n") {
		t.Fatalf("collector not served:\n%s", body)
	}
	if _, err := New(context.Background(), WithCollectors(c, c)); err == nil || !strings.Contains(err.Error(), "WithCollectors") {
		t.Fatalf("a collector registered twice: err = %v", err)
	}
}
