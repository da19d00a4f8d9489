package main

import (
	"context"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/telediag/telediag/cmd/internal/demo"
	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/telemetry"
	"github.com/telediag/telediag/telemetry/teleport"
)

// demoMetrics serves telediag's /metrics after one round of the demo, as `telediag --demo`
// does, and returns its URL.
func demoMetrics(t *testing.T) string {
	t.Helper()
	ctx := context.Background()
	tel, err := telemetry.New(ctx, telemetry.WithoutEnvironmentExporter())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { tel.Shutdown(ctx) })
	monitor, err := probes.New(probes.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := teleport.New(tel.MeterProvider(), monitor)
	if err != nil {
		t.Fatal(err)
	}
	// One round of the demo: Run plays one before it looks at its context.
	done, cancel := context.WithCancel(ctx)
	cancel()
	demo.Run(done, demo.NewGenerator(metrics.Instruments, 1), monitor, time.Hour)
	srv := httptest.NewServer(tel.Handler())
	t.Cleanup(srv.Close)
	return srv.URL + "/metrics"
}

// TestRoundTrip: importing telediag's own /metrics gives back every metric instruments.yaml
// declares, with the same kind as Prometheus sees it (an up-down counter is a gauge there, so
// the import cannot tell it from one), the same label names and buckets, and for the generated
// ones the same description. Without -include-runtime the go_*, process collector and promhttp_*
// families are left out, including the two go_memstats_* families Teleport's catalogue
// generates itself (a scrape cannot tell who serves a family); with it, they come back as
// provided_by entries.
func TestRoundTrip(t *testing.T) {
	url := demoMetrics(t)
	want, err := catalog.Load("../../instruments.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, runtime := range []bool{false, true} {
		args := []string{url}
		if runtime {
			args = []string{"-include-runtime", url}
		}
		r := runImportCmd("", args...)
		if r.code != 0 {
			t.Fatalf("exit %d: %s", r.code, r.stderr)
		}
		got, err := catalog.Parse("imported.yaml", []byte(r.stdout))
		if err != nil {
			t.Fatalf("the import does not load: %v", err)
		}
		for _, w := range want.Metrics {
			g := got.Metric(w.Name)
			leftOut := catalog.RuntimeProvider(w.Name) != "" && !runtime
			switch {
			case g == nil && (leftOut || w.Name == "go_memory_limit"): // observed only under a memory limit
				continue
			case g == nil:
				t.Errorf("include-runtime=%v: %s was not imported", runtime, w.Name)
				continue
			case leftOut:
				t.Errorf("%s was imported without -include-runtime", w.Name)
			}
			gotKeys, wantKeys := slices.Sorted(slices.Values(g.LabelKeys())), slices.Sorted(slices.Values(w.LabelKeys()))
			if g.PrometheusType() != w.PrometheusType() || !slices.Equal(gotKeys, wantKeys) || !slices.Equal(g.Buckets, w.Buckets) {
				t.Errorf("%s: imported as %s %v %v, declared %s %v %v", w.Name, g.PrometheusType(), gotKeys, g.Buckets, w.PrometheusType(), wantKeys, w.Buckets)
			}
			if g.Generated() != (catalog.RuntimeProvider(w.Name) == "") {
				t.Errorf("%s: imported provided_by %q", w.Name, g.ProvidedBy)
			}
			if w.Generated() && g.Description != w.Help() { // the HELP: a deprecated family's is marked
				t.Errorf("%s: description %q, declared HELP %q", w.Name, g.Description, w.Help())
			}
		}
		if n := notRuntime(want); !runtime && len(got.Metrics) != n {
			t.Errorf("imported %d metrics, the catalogue has %d besides the runtime families", len(got.Metrics), n)
		}
	}
}

func notRuntime(c *catalog.Catalog) int {
	n := 0
	for _, m := range c.Metrics {
		if catalog.RuntimeProvider(m.Name) == "" {
			n++
		}
	}
	return n
}

// TestLiveCheckOnTheDemo: telediag conforms to its own catalogue.
func TestLiveCheckOnTheDemo(t *testing.T) {
	url := demoMetrics(t)
	r := runLiveCheckCmd("../../instruments.yaml", url)
	if r.code != 0 || !strings.HasSuffix(r.stdout, " 0 problem(s), 0 warning(s)\n") {
		t.Errorf("exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}
