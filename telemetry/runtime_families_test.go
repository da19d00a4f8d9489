package telemetry

import (
	"maps"
	"runtime"
	"runtime/debug"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/telediag/telediag/internal/catalog"
)

// servedRuntimeFamilies scrapes a bare pipeline built with opts, with a memory limit set so that
// go_memory_limit, which OTel's runtime instrumentation reports only under a limit, is there
// too. The deprecated OTel runtime metrics stay off whatever the environment says.
func servedRuntimeFamilies(t *testing.T, opts ...Option) []string {
	t.Helper()
	t.Setenv("OTEL_GO_X_DEPRECATED_RUNTIME_METRICS", "false")
	old := debug.SetMemoryLimit(1 << 40)
	defer debug.SetMemoryLimit(old)
	tel := newTestTelemetry(t, append([]Option{WithoutEnvironmentExporter()}, opts...)...)
	families, _ := scrape(t, tel.Handler())
	return slices.Sorted(maps.Keys(families))
}

// TestRuntimeFamiliesAreWhatNewServes holds catalog.RuntimeFamilies, which import leaves out
// and live-check does not call undeclared, to what telemetry.New's /metrics really serves,
// both ways: every family a bare pipeline serves is listed, with the provider that serves it,
// and every family listed is served.
func TestRuntimeFamiliesAreWhatNewServes(t *testing.T) {
	listed := catalog.RuntimeFamilies()
	served := servedRuntimeFamilies(t)
	for _, name := range served {
		if listed[name] == "" {
			t.Errorf("telemetry.New serves %s, which catalog.RuntimeFamilies does not list", name)
		}
	}
	for name, provider := range listed {
		if slices.Contains(served, name) {
			continue
		}
		if runtime.GOOS != "linux" && provider == catalog.ProvidedByProcessCollector {
			continue // the process collector serves less outside Linux
		}
		t.Errorf("catalog.RuntimeFamilies lists %s (%s), which telemetry.New does not serve", name, provider)
	}
}

// TestWithoutRuntimeMetricsServesWhatClientGolangServed: with WithoutRuntimeMetrics, a bare
// pipeline's /metrics serves exactly the families of a client_golang service's default
// promhttp.Handler() (the default registry's Go and process collectors, and the handler's own
// promhttp_* families), so a migrated service's /metrics can stay as it was; without it, it
// adds OTel's runtime families and nothing else.
func TestWithoutRuntimeMetricsServesWhatClientGolangServed(t *testing.T) {
	// What promhttp.Handler() serves, on a registry of its own rather than the global one:
	// prometheus.NewRegistry plus the two collectors the default registry starts with.
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	before, _ := scrape(t, promhttp.InstrumentMetricHandler(reg, promhttp.HandlerFor(reg, promhttp.HandlerOpts{})))
	want := slices.Sorted(maps.Keys(before))

	if got := servedRuntimeFamilies(t, WithoutRuntimeMetrics()); !slices.Equal(got, want) {
		t.Errorf("with WithoutRuntimeMetrics /metrics serves\n%v\nclient_golang's promhttp.Handler() serves\n%v", got, want)
	}

	var added []string
	for _, name := range servedRuntimeFamilies(t) {
		if slices.Contains(want, name) {
			continue
		}
		added = append(added, name)
		if p := catalog.RuntimeProvider(name); p != catalog.ProvidedByOTelRuntime {
			t.Errorf("a migrated /metrics adds %s (provided by %q), which is not OTel's runtime instrumentation's", name, p)
		}
	}
	if len(added) == 0 {
		t.Error("by default a migrated /metrics adds no OTel runtime family")
	}
	// docs/migrating.md lists them.
	t.Logf("a migrated /metrics adds %d families: %s", len(added), strings.Join(added, ", "))
}
