//go:build e2e

package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestSwitchesAtCollector: families switched off by TELEDIAG_METRICS_DISABLE (and by
// --metrics-disable's variable twin) are neither on /metrics nor at the real Collector, while
// the rest arrive. The go_memstats families of Teleport's catalogue, observed by one callback
// that telemetry/teleport registers itself, are switched off too: the binary must still start.
func TestSwitchesAtCollector(t *testing.T) {
	otelcol := binary(t, envOtelcol)
	ports := newCollectorPorts(t)
	col := startCollector(t, otelcol, writeCollectorConfig(t, ports), ports)
	env := append(otlpEnv("grpc", ports.otlpEndpoint("grpc")), "TELEDIAG_METRICS_DISABLE=backend_*,go_memstats_lookups_total,go_memstats_gc_cpu_fraction")
	d := startTelediag(t, env)
	check := func(fams map[string][]string) error {
		var served bool
		for name := range fams {
			// client_golang's own go_memstats_* families are not the catalogue's to switch.
			if strings.HasPrefix(name, "backend_") || name == "go_memstats_lookups_total" || name == "go_memstats_gc_cpu_fraction" {
				return fmt.Errorf("%s served though disabled", name)
			}
			if name == "process_state" {
				served = true
			}
		}
		if !served {
			return fmt.Errorf("process_state not served yet")
		}
		return nil
	}
	names := func(url string) (map[string][]string, error) {
		fams, err := scrape(url)
		if err != nil {
			return nil, err
		}
		out := map[string][]string{}
		for name := range fams {
			out[name] = nil
		}
		return out, nil
	}
	waitFor(t, "telediag's /metrics without backend_*", 20*time.Second, func() error {
		fams, err := names(d.url("/metrics"))
		if err != nil {
			return err
		}
		return check(fams)
	}, d.proc)
	waitFor(t, "the collector without backend_*", 20*time.Second, func() error {
		fams, err := names(ports.metricsURL())
		if err != nil {
			return err
		}
		return check(fams)
	}, col, d.proc)
}
