//go:build e2e

package e2e

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/catalog"
)

// TestBareBinaryServesCatalogue: telediag without --demo serves only declared families, each
// with its declared type, and every label-less counter at 0 before anything is recorded, as
// Teleport (client_golang) does, so alerts on failure counters see a series from the start.
func TestBareBinaryServesCatalogue(t *testing.T) {
	d := startTelediagArgs(t)
	cat, err := catalog.Load(filepath.Join(repoRoot(t), "instruments.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	fams, err := scrape(d.url("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	declared := map[string]*catalog.Metric{}
	for _, m := range cat.Metrics {
		declared[m.Name] = m
	}
	for name, f := range fams {
		m := declared[name]
		if m == nil {
			t.Errorf("the bare binary serves %s, which instruments.yaml does not declare", name)
			continue
		}
		if got := strings.ToLower(f.GetType().String()); got != m.PrometheusType() {
			t.Errorf("%s served as %s, declared %s", name, got, m.PrometheusType())
		}
	}
	n := 0
	for _, m := range cat.Metrics {
		if !m.Generated() || m.Observable || len(m.Labels) > 0 || m.Kind != catalog.KindCounter {
			continue
		}
		n++
		f := fams[m.Name]
		if f == nil || len(f.GetMetric()) != 1 || f.GetMetric()[0].GetCounter().GetValue() != 0 {
			t.Errorf("label-less counter %s: want one series at 0 on the bare binary, got %v", m.Name, f)
		}
	}
	if n < 10 {
		t.Fatalf("only %d label-less counters checked", n)
	}
	if ps := fams["process_state"]; ps == nil || ps.GetMetric()[0].GetGauge().GetValue() != 3 {
		t.Errorf("process_state on a bare binary with no checks: %v, want 3 (starting)", ps)
	}
}
