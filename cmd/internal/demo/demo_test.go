package demo

import (
	"context"
	"log/slog"
	"math"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/telemetry"
	"github.com/telediag/telediag/telemetry/teleport"
)

// demoPipeline is the reference binary's pipeline with the catalogue on it and a monitor
// without components, as `telediag --demo` builds it.
func demoPipeline(t *testing.T) (*telemetry.Telemetry, *teleport.Metrics, *probes.Monitor) {
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
	return tel, metrics, monitor
}

// scrapeFamilies reads /metrics from tel's handler.
func scrapeFamilies(t *testing.T, tel *telemetry.Telemetry) map[string]*dto.MetricFamily {
	t.Helper()
	rec := httptest.NewRecorder()
	tel.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	p := expfmt.NewTextParser(model.LegacyValidation)
	families, err := p.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
	return families
}

// TestRecordCoversTheCatalogue guards the demo's promise: after one round every declared
// family has a series, so a newcomer sees the whole catalogue. A metric added to
// instruments.yaml but not to the demo fails here.
func TestRecordCoversTheCatalogue(t *testing.T) {
	ctx := context.Background()
	cat, err := catalog.Load("../../../instruments.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// go_memory_limit is observed only under a memory limit: set one, as GOMEMLIMIT would.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(8 << 30))
	tel, metrics, monitor := demoPipeline(t)
	NewGenerator(metrics.Instruments, 1).round(ctx, monitor)

	families := scrapeFamilies(t, tel)
	for _, m := range cat.Metrics {
		if mf, ok := families[m.Name]; !ok || len(mf.GetMetric()) == 0 {
			t.Errorf("after one demo round, %s has no series", m.Name)
		}
	}
	for _, s := range families["backend_read_seconds"].GetMetric() {
		if s.GetHistogram().GetSampleCount() == 0 {
			t.Error("backend_read_seconds recorded no sample")
		}
	}
}

// TestBackendFailuresAreRareButRecorded: the demo fails about failureRate of each kind of
// backend request, for each component, so availability ratios have a numerator; failures are
// counted within the totals, and precondition failures within the failed writes, as Teleport's
// reporter counts them.
func TestBackendFailuresAreRareButRecorded(t *testing.T) {
	ctx := context.Background()
	tel, metrics, monitor := demoPipeline(t)
	g := NewGenerator(metrics.Instruments, 42)
	for range 2000 {
		g.round(ctx, monitor)
	}
	families := scrapeFamilies(t, tel)
	byComponent := func(name string) map[string]float64 {
		t.Helper()
		out := map[string]float64{}
		for _, s := range families[name].GetMetric() {
			for _, l := range s.GetLabel() {
				if l.GetName() == "component" {
					out[l.GetValue()] = s.GetCounter().GetValue()
				}
			}
		}
		if len(out) != 2 {
			t.Fatalf("%s: series for components %v, want backend and cache", name, out)
		}
		return out
	}
	for _, kind := range []string{"backend_read_requests", "backend_write_requests", "backend_batch_read_requests", "backend_batch_write_requests"} {
		total, failed := byComponent(kind+"_total"), byComponent(kind+"_failed_total")
		for c, n := range total {
			ratio := failed[c] / n
			if failed[c] == 0 || ratio < failureRate/2 || ratio > failureRate*2 {
				t.Errorf("%s{component=%q}: %v failed of %v (%.4f), want about %v", kind, c, failed[c], n, ratio, failureRate)
			}
		}
	}
	failed, precondition := byComponent("backend_write_requests_failed_total"), byComponent("teleport_backend_write_requests_failed_precondition_total")
	for c, n := range failed {
		if precondition[c] == 0 || precondition[c] >= n {
			t.Errorf("component %q: %v precondition failures of %v failed writes, want some but fewer", c, precondition[c], n)
		}
	}
}

func TestUpDownCountersStayNonNegative(t *testing.T) {
	g := NewGenerator(nil, 7)
	var level int64
	for range 10_000 {
		g.walk(&level, 3, 10)
		if level < 0 || level > 10 {
			t.Fatalf("level %d out of [0, 10]", level)
		}
	}
}

func TestRunHeartbeatsComponentsAndStops(t *testing.T) {
	i, err := teleport.NewInstruments(nil)
	if err != nil {
		t.Fatal(err)
	}
	m, err := probes.New()
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); Run(ctx, NewGenerator(i, 1), m, 10*time.Millisecond) }()
	deadline := time.Now().Add(5 * time.Second)
	for m.State() != probes.StateOK && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	if m.State() != probes.StateOK {
		t.Errorf("state %v after demo heartbeats, want ok", m.State())
	}
	if limit := debug.SetMemoryLimit(-1); limit != demoMemoryLimit {
		t.Errorf("memory limit %d while the demo runs without GOMEMLIMIT, want %d", limit, demoMemoryLimit)
	}
	heartbeated := map[string]bool{}
	for _, c := range m.Components() {
		heartbeated[c.Name] = true
	}
	for _, c := range Components() {
		if !heartbeated[c] {
			t.Errorf("component %s never heartbeated", c)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
	if limit := debug.SetMemoryLimit(-1); limit != math.MaxInt64 {
		t.Errorf("memory limit %d after the demo, want none again", limit)
	}
}

// TestRunKeepsAGivenMemoryLimit: with GOMEMLIMIT set, the demo leaves it alone.
func TestRunKeepsAGivenMemoryLimit(t *testing.T) {
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(1 << 40))
	m, err := probes.New(probes.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	i, err := teleport.NewInstruments(nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); Run(ctx, NewGenerator(i, 1), m, 10*time.Millisecond) }()
	for deadline := time.Now().Add(5 * time.Second); m.State() != probes.StateOK && time.Now().Before(deadline); {
		time.Sleep(5 * time.Millisecond)
	}
	if limit := debug.SetMemoryLimit(-1); limit != 1<<40 {
		t.Errorf("memory limit %d while the demo runs, want the given %d", limit, 1<<40)
	}
	cancel()
	<-done
	if limit := debug.SetMemoryLimit(-1); limit != 1<<40 {
		t.Errorf("memory limit %d after the demo, want the given %d", limit, 1<<40)
	}
}
