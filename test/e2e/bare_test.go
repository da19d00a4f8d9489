//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/testutil"
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
	// Teleport's catalogue asks for the two memstats families client_golang dropped; the
	// reference binary serves them (a service on its own catalogue does not, see
	// TestOwnCatalogueOutsideTheRepository).
	for _, name := range []string{"go_memstats_lookups_total", "go_memstats_gc_cpu_fraction"} {
		if fams[name] == nil || len(fams[name].GetMetric()) != 1 {
			t.Errorf("the binary does not serve %s", name)
		}
	}
	// Nothing to wait for: the bare binary is ready, and process_state says so.
	if ps := fams["process_state"]; ps == nil || ps.GetMetric()[0].GetGauge().GetValue() != 0 {
		t.Errorf("process_state on a bare binary with no checks: %v, want 0 (ok)", ps)
	}
}

// TestBareBinaryIsReady: the binary with neither --check nor --demo answers /readyz 200 within
// 5 s of starting, so that a Kubernetes readiness probe passes, and stays ready; /status and
// process_state agree. The same binary with a --check that cannot succeed is not ready.
func TestBareBinaryIsReady(t *testing.T) {
	start := time.Now()
	d := startTelediagArgs(t)
	waitFor(t, "/readyz 200 on the bare binary", 5*time.Second-time.Since(start), func() error {
		_, err := get200(d.url("/readyz"))
		return err
	}, d.proc)
	t.Logf("/readyz 200 %v after the binary started", time.Since(start).Round(time.Millisecond))
	for range 3 {
		body, err := get200(d.url("/readyz"))
		var rd struct {
			Status string `json:"status"`
			PID    int    `json:"pid"`
		}
		if err != nil || json.Unmarshal(body, &rd) != nil || rd.Status != "ok" || rd.PID <= 0 {
			t.Fatalf("/readyz: %s (%v), want 200 {\"status\":\"ok\",\"pid\":…}", body, err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	fams, err := scrape(d.url("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	if ps := family(fams, "process_state"); ps == nil || ps.GetMetric()[0].GetGauge().GetValue() != 0 {
		t.Errorf("process_state while /readyz answers 200: %v, want 0", ps)
	}
	if f := family(fams, "teleport_component_state"); f != nil && len(f.GetMetric()) > 0 {
		t.Errorf("teleport_component_state on a bare binary: %v, want no series", f)
	}
	page, err := get200(d.url("/status"))
	if err != nil || !strings.Contains(string(page), `id="overall" data-state="ok" data-code="200"`) {
		t.Errorf("/status (%v) does not show ok 200", err)
	}

	closed := testutil.ClosedAddr(t) // nothing listens there
	c := startTelediagArgs(t, "--check", "db=tcp://"+closed, "--heartbeat-interval", "200ms")
	waitFor(t, "/readyz 503 with a failing --check", 10*time.Second, func() error {
		code, body, err := get(c.url("/readyz"))
		if err != nil {
			return err
		}
		if code != http.StatusServiceUnavailable {
			return fmt.Errorf("HTTP %d %s, want 503", code, body)
		}
		return nil
	}, c.proc)
}
