package demo

import (
	"context"
	"net/http"
	"net/http/httptest"
	"runtime/debug"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/telemetry"
	"github.com/telediag/telediag/telemetry/teleport"
)

// TestRecordCoversTheCatalogue guards the demo's promise: after one round every declared
// family has a series, so a newcomer sees the whole catalogue. A metric added to
// instruments.yaml but not to the demo fails here.
func TestRecordCoversTheCatalogue(t *testing.T) {
	ctx := context.Background()
	cat, err := catalog.Load("../../instruments.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// go_memory_limit is observed only under a memory limit: set one, as GOMEMLIMIT would.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(8 << 30))
	tel, err := telemetry.New(ctx, telemetry.WithoutEnvironmentExporter())
	if err != nil {
		t.Fatal(err)
	}
	defer tel.Shutdown(ctx)
	monitor, err := probes.New()
	if err != nil {
		t.Fatal(err)
	}
	metrics, err := teleport.New(tel.Meter(teleport.ScopeName), monitor, teleport.WithInstrumentOptions(tel.InstrumentOptions()...))
	if err != nil {
		t.Fatal(err)
	}
	NewGenerator(metrics.Instruments, 1).Record(ctx)

	rec := httptest.NewRecorder()
	tel.Handler().ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	p := expfmt.NewTextParser(model.LegacyValidation)
	families, err := p.TextToMetricFamilies(strings.NewReader(rec.Body.String()))
	if err != nil {
		t.Fatal(err)
	}
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
	for _, c := range Components {
		if _, ok := m.Component(c); !ok {
			t.Errorf("component %s never heartbeated", c)
		}
	}
	cancel()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("Run did not stop after cancel")
	}
}
