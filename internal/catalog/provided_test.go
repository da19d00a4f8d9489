package catalog

import (
	"context"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	runtimemetrics "go.opentelemetry.io/contrib/instrumentation/runtime"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func TestRuntime(t *testing.T) {
	for name, provider := range map[string]string{
		"go_goroutines": ProvidedByGoCollector, "process_open_fds": ProvidedByProcessCollector,
		"promhttp_metric_handler_requests_total": ProvidedByPromHTTP, "golang_things": "", "target_info": "",
		"process_state": "", // Teleport's, not the process collector's
		// promhttp serves it only with HandlerOpts.Registry, which telemetry does not set: a
		// service that serves it serves it as its own.
		"promhttp_metric_handler_errors_total":       "",
		"promhttp_metric_handler_requests_in_flight": ProvidedByPromHTTP,
	} {
		if got := RuntimeProvider(name); got != provider {
			t.Errorf("%s: provider %q, want %q", name, got, provider)
		}
	}
}

// TestRuntimeFamilyPrefixes: RuntimeProvider looks a name up only when it starts like a runtime
// family, so every family must.
func TestRuntimeFamilyPrefixes(t *testing.T) {
	for name, provider := range RuntimeFamilies() {
		if !strings.HasPrefix(name, "go_") && !strings.HasPrefix(name, "process_") && !strings.HasPrefix(name, "promhttp_") {
			t.Errorf("%s (%s) starts with none of go_, process_, promhttp_", name, provider)
		}
		if got := RuntimeProvider(name); got != provider {
			t.Errorf("%s: RuntimeProvider says %q, RuntimeFamilies %q", name, got, provider)
		}
	}
}

// TestRuntimeFamilyNames holds RuntimeProvider's lists to the collectors telemetry registers:
// every family client_golang's Go collector (with its defaults) and process collector serve
// here is known as theirs, every Go collector name in the list is one it serves, and every
// family of OTel's runtime instrumentation, named as the Prometheus exporter names it, is
// known as otel_runtime.
func TestRuntimeFamilyNames(t *testing.T) {
	for provider, c := range map[string]prometheus.Collector{
		ProvidedByGoCollector:      collectors.NewGoCollector(),
		ProvidedByProcessCollector: collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
	} {
		reg := prometheus.NewRegistry()
		reg.MustRegister(c)
		fams, err := reg.Gather()
		if err != nil {
			t.Logf("the %s reports: %v", provider, err) // some /proc files may be unreadable
		}
		if len(fams) < 5 {
			t.Fatalf("the %s served %d families on this machine", provider, len(fams))
		}
		served := map[string]bool{}
		for _, f := range fams {
			served[f.GetName()] = true
			if got := RuntimeProvider(f.GetName()); got != provider {
				t.Errorf("%s, served by the %s, is known as %q", f.GetName(), provider, got)
			}
		}
		if provider == ProvidedByGoCollector {
			for _, name := range []string{"go_goroutines", "go_memstats_heap_objects", "go_sched_gomaxprocs_threads"} {
				if !served[name] {
					t.Errorf("the Go collector no longer serves %s", name)
				}
			}
		}
	}
	for _, name := range []string{"go_memstats_lookups_total", "go_memstats_gc_cpu_fraction", "go_sched_latencies_seconds", "process_state"} {
		if p := RuntimeProvider(name); p != "" {
			t.Errorf("%s, which telemetry does not serve by itself, is known as %q", name, p)
		}
	}

	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = mp.Shutdown(context.Background()) }()
	if err := runtimemetrics.Start(runtimemetrics.WithMeterProvider(mp)); err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			n++
			name := strings.ReplaceAll(m.Name, ".", "_")
			if got := RuntimeProvider(name); got != ProvidedByOTelRuntime {
				t.Errorf("%s (OTel's %s) is known as %q", name, m.Name, got)
			}
		}
	}
	if n < 5 {
		t.Fatalf("OTel's runtime instrumentation reported %d metrics", n)
	}
}
