//go:build e2e

package e2e

import (
	"bytes"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"
)

// TestMalformedEndpointRefused: a malformed OTLP endpoint is one line naming the variable and a
// non-zero exit at start, instead of exports quietly going to the exporter's default.
func TestMalformedEndpointRefused(t *testing.T) {
	requireE2E(t)
	for _, env := range []string{"OTEL_EXPORTER_OTLP_ENDPOINT=ftp://127.0.0.1:4318", "OTEL_EXPORTER_OTLP_ENDPOINT=not a url",
		"OTEL_EXPORTER_OTLP_METRICS_ENDPOINT=127.0.0.1:4317"} {
		r := runBinary(t, 10*time.Second, []string{env}, "--diag-addr", hostPort(freePort(t)))
		name, _, _ := strings.Cut(env, "=")
		if r.code != 1 || strings.Count(r.stderr, "\n") != 1 || !strings.Contains(r.stderr, name+"=") || r.took > 5*time.Second {
			t.Errorf("%s: exit %d after %v, stderr %q; want 1 and one line naming %s", env, r.code, r.took, r.stderr, name)
		}
	}
}

// TestMalformedResourceAttributesDiscarded pushes to a real collector with a malformed
// OTEL_RESOURCE_ATTRIBUTES: telediag starts, warns once, and none of the variable's attributes
// reach the collector (as labels, with resource_to_telemetry_conversion); with the same attributes well formed (the control), they
// do.
func TestMalformedResourceAttributesDiscarded(t *testing.T) {
	requireE2E(t)
	otelcol := binary(t, envOtelcol)
	for _, tc := range []struct {
		name, attrs string
		kept        bool
	}{
		{"well formed", "team=core,tier=diag", true},
		{"malformed", "team=core,tier", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ports := newCollectorPorts(t)
			// Resource attributes become labels of every series at the collector's exporter.
			cfg := writeCollectorConfig(t, ports)
			b, err := os.ReadFile(cfg)
			if err != nil {
				t.Fatal(err)
			}
			const at = "    metric_expiration: 10m\n"
			if !bytes.Contains(b, []byte(at)) {
				t.Fatalf("collector config changed shape; %q not found", at)
			}
			b = bytes.Replace(b, []byte(at), []byte(at+"    resource_to_telemetry_conversion:\n      enabled: true\n"), 1)
			writeFile(t, cfg, string(b))
			col := startCollector(t, otelcol, cfg, ports)
			td := startTelediag(t, append(otlpEnv("grpc", ports.otlpEndpoint("grpc")), "OTEL_RESOURCE_ATTRIBUTES="+tc.attrs))
			var labels map[string]string
			waitFor(t, "process_state of telediag-e2e at the collector", 45*time.Second, func() error {
				fams, err := scrape(ports.metricsURL())
				if err != nil {
					return err
				}
				f := family(fams, "process_state")
				if f == nil {
					return fmt.Errorf("no process_state yet (%d families)", len(fams))
				}
				for _, m := range f.GetMetric() {
					l := map[string]string{}
					for _, lp := range m.GetLabel() {
						l[lp.GetName()] = lp.GetValue()
					}
					if l["job"] == "telediag-e2e" || l["service_name"] == "telediag-e2e" {
						labels = l
						return nil
					}
				}
				return fmt.Errorf("no process_state series of telediag-e2e: %v", f)
			}, col, td.proc)
			if got := labels["team"] == "core"; got != tc.kept {
				t.Errorf("OTEL_RESOURCE_ATTRIBUTES=%s: team label %q at the collector, want kept=%v (labels %v)", tc.attrs, labels["team"], tc.kept, labels)
			}
			warnings := strings.Count(td.readLog(t), "level=WARN")
			if want := map[bool]int{true: 0, false: 1}[tc.kept]; warnings != want {
				t.Errorf("%d warnings, want %d:\n%s", warnings, want, td.readLog(t))
			}
		})
	}
}
