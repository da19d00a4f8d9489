//go:build e2e

package e2e

import (
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
)

// runtimePrefixes are the contrib runtime instrumentation's metrics
// (go.goroutine.count, go.memory.used), matched by prefix because the
// exporter may or may not add unit suffixes.
var runtimePrefixes = []string{"go_goroutine_count", "go_memory_used"}

// TestCollectorReceivesOTLP pushes telediag's metrics over OTLP (both
// protocols) to a real collector and checks, on the collector's Prometheus
// exporter, that every catalogued name arrived, plus process_state,
// go_goroutines (through the Prometheus bridge) and the runtime metrics.
func TestCollectorReceivesOTLP(t *testing.T) {
	requireE2E(t)
	otelcol := binary(t, envOtelcol)
	binary(t, envBin)
	catalog := readCatalog(t)

	want := []string{"process_state", "go_goroutines"}
	for _, e := range catalog {
		want = append(want, e.name)
	}
	want = dedupe(want)

	for _, protocol := range []string{"grpc", "http/protobuf"} {
		t.Run(strings.ReplaceAll(protocol, "/", "_"), func(t *testing.T) {
			ports := newCollectorPorts(t)
			col := startCollector(t, otelcol, writeCollectorConfig(t, ports), ports)
			td := startTelediag(t, otlpEnv(protocol, ports.otlpEndpoint(protocol)))

			var fams map[string]*dto.MetricFamily
			waitFor(t, "every catalogued metric at the collector", 60*time.Second, func() error {
				var err error
				if fams, err = scrape(ports.metricsURL()); err != nil {
					return err
				}
				if len(fams) == 0 {
					return fmt.Errorf("the collector has received no metrics at all: nothing arrived over %s at %s",
						protocol, ports.otlpEndpoint(protocol))
				}
				if missing := missingNames(fams, want); len(missing) > 0 {
					return fmt.Errorf("%d of %d names missing at the collector (%d families there): %s",
						len(missing), len(want)+len(runtimePrefixes), len(fams), strings.Join(missing, " "))
				}
				return nil
			}, col, td.proc)
			t.Logf("collector exposes %d families; all %d catalogued names, process_state, go_goroutines and runtime metrics present",
				len(fams), len(catalog))

			// Values are sane, not merely present.
			if f := family(fams, "go_goroutines"); sampleSum(f) <= 0 {
				t.Errorf("go_goroutines at the collector = %v, want > 0", sampleSum(f))
			}
			if f := familyWithPrefix(fams, "go_goroutine_count"); sampleSum(f) <= 0 {
				t.Errorf("%s at the collector = %v, want > 0", f.GetName(), sampleSum(f))
			}
			// Every documented family keeps its documented type across OTLP (counters as
			// monotonic sums, the summary as an OTLP summary through the bridge).
			for _, e := range catalog {
				if f := family(fams, e.name); f != nil && !strings.EqualFold(f.GetType().String(), e.typ) {
					t.Errorf("%s at the collector: type %s, documented %s", f.GetName(), f.GetType(), e.typ)
				}
			}
			// --demo's simulated components heartbeat at once, so the process is ok (0) and
			// the pushed process_state must say so.
			waitFor(t, "process_state 0 (ok) at the collector", 30*time.Second, func() error {
				fams, err := scrape(ports.metricsURL())
				if err != nil {
					return err
				}
				f := family(fams, "process_state")
				if f == nil || len(f.GetMetric()) != 1 {
					return fmt.Errorf("process_state: want one series, got %v", f)
				}
				if v := f.GetMetric()[0].GetGauge().GetValue(); v != 0 {
					return fmt.Errorf("process_state = %v, want 0", v)
				}
				return nil
			}, col, td.proc)
		})
	}
}

// missingNames lists the wanted names (and runtime prefixes) not in fams.
func missingNames(fams map[string]*dto.MetricFamily, want []string) []string {
	var missing []string
	for _, n := range want {
		if family(fams, n) == nil {
			missing = append(missing, n)
		}
	}
	for _, p := range runtimePrefixes {
		if familyWithPrefix(fams, p) == nil {
			missing = append(missing, p+"*")
		}
	}
	sort.Strings(missing)
	return missing
}

func dedupe(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range in {
		if !seen[s] {
			seen[s] = true
			out = append(out, s)
		}
	}
	return out
}

// TestPrometheusScrapes has a real Prometheus scrape telediag's /metrics
// and queries the stored series back.
func TestPrometheusScrapes(t *testing.T) {
	requireE2E(t)
	promBin := binary(t, envPrometheus)
	td := startTelediag(t, nil)

	// Prometheus asks for OpenMetrics first, and with native histograms on for protobuf first:
	// either way every documented name answers. Which format it got shows in the metadata it
	// keeps for rx, a counter without _total: unknown in OpenMetrics (which would otherwise
	// rename it rx_total), counter in protobuf.
	for _, mode := range []struct {
		name   string
		flags  []string
		rxType string
	}{
		{"openmetrics", nil, "unknown"},
		{"protobuf", []string{"--enable-feature=native-histograms"}, "counter"},
	} {
		t.Run(mode.name, func(t *testing.T) {
			prometheusScrapes(t, promBin, td, mode.flags, mode.rxType)
		})
	}
}

// prometheusScrapes runs a Prometheus with flags scraping td and checks what it stores.
func prometheusScrapes(t *testing.T, promBin string, td telediag, flags []string, rxType string) {
	dir := t.TempDir()
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
scrape_configs:
  - job_name: telediag
    metrics_path: /metrics
    static_configs:
      - targets: [%q]
`, td.diag)
	cfgPath := dir + "/prometheus.yml"
	writeFile(t, cfgPath, cfg)
	webAddr := hostPort(freePort(t))
	base := "http://" + webAddr
	prom := startProc(t, "prometheus", promBin, append([]string{
		"--config.file=" + cfgPath,
		"--storage.tsdb.path=" + dir + "/data",
		"--web.listen-address=" + webAddr,
		"--log.level=info",
	}, flags...), nil)

	waitFor(t, "prometheus /-/ready", 30*time.Second, func() error {
		code, _, err := get(base + "/-/ready")
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("/-/ready: HTTP %d", code)
		}
		return nil
	}, prom, td.proc)

	waitFor(t, "target telediag up with no scrape error", 30*time.Second, func() error {
		var data struct {
			ActiveTargets []struct {
				Labels     map[string]string `json:"labels"`
				ScrapeURL  string            `json:"scrapeUrl"`
				Health     string            `json:"health"`
				LastError  string            `json:"lastError"`
				LastScrape string            `json:"lastScrape"`
			} `json:"activeTargets"`
		}
		if err := promAPI(base, "/api/v1/targets", url.Values{"state": {"active"}}, &data); err != nil {
			return err
		}
		for _, tg := range data.ActiveTargets {
			if tg.Labels["job"] != "telediag" {
				continue
			}
			if tg.Health != "up" || tg.LastError != "" {
				return fmt.Errorf("target %s: health %q, lastError %q", tg.ScrapeURL, tg.Health, tg.LastError)
			}
			return nil
		}
		return fmt.Errorf("no active target with job=telediag among %d", len(data.ActiveTargets))
	}, prom, td.proc)

	// process_state: one series per the documented semantics, value 0..3.
	waitFor(t, "process_state in prometheus", 30*time.Second, func() error {
		res, err := promQuery(base, `process_state{job="telediag"}`)
		if err != nil {
			return err
		}
		for _, s := range res {
			v, err := s.float()
			if err != nil {
				return err
			}
			if v != 0 { // --demo's components are healthy: ok
				return fmt.Errorf("process_state%v = %v, want 0 (ok)", s.Metric, v)
			}
		}
		return nil
	}, prom, td.proc)

	// A histogram bucket that --demo fills: the +Inf bucket counts every
	// observation, so it must become > 0.
	waitFor(t, `backend_read_seconds_bucket{le="+Inf"} > 0`, 30*time.Second, func() error {
		res, err := promQuery(base, `backend_read_seconds_bucket{job="telediag",le="+Inf"}`)
		if err != nil {
			return err
		}
		var total float64
		for _, s := range res {
			v, err := s.float()
			if err != nil {
				return err
			}
			if s.Metric["component"] == "" {
				return fmt.Errorf("backend_read_seconds_bucket%v has no component label", s.Metric)
			}
			total += v
		}
		if total <= 0 {
			return fmt.Errorf(`backend_read_seconds_bucket{le="+Inf"} sums to %v over %d series`, total, len(res))
		}
		return nil
	}, prom, td.proc)

	// Buckets are cumulative: the +Inf bucket equals _count.
	waitFor(t, "backend_read_seconds +Inf bucket == _count", 10*time.Second, func() error {
		res, err := promQuery(base,
			`sum(backend_read_seconds_bucket{job="telediag",le="+Inf"}) - sum(backend_read_seconds_count{job="telediag"})`)
		if err != nil {
			return err
		}
		if v, err := res[0].float(); err != nil || v != 0 {
			return fmt.Errorf("+Inf bucket - _count = %v (%v)", v, err)
		}
		return nil
	}, prom, td.proc)

	// The counters keep their documented names in either format, and the metadata says which
	// format was scraped.
	waitFor(t, "rx and backend_read_requests_total under their names", 30*time.Second, func() error {
		for _, q := range []string{`rx{job="telediag"}`, `backend_read_requests_total{job="telediag"}`} {
			if _, err := promQuery(base, q); err != nil {
				return err
			}
		}
		var meta []struct {
			Type string `json:"type"`
		}
		if err := promAPI(base, "/api/v1/targets/metadata", url.Values{"match_target": {`{job="telediag"}`}, "metric": {"rx"}}, &meta); err != nil {
			return err
		}
		if len(meta) != 1 || meta[0].Type != rxType {
			return fmt.Errorf("metadata of rx: %+v, want type %s", meta, rxType)
		}
		return nil
	}, prom, td.proc)

	for _, q := range []string{`go_goroutines{job="telediag"}`, `up{job="telediag"}`} {
		res, err := promQuery(base, q)
		if err != nil {
			t.Errorf("%s: %v", q, err)
			continue
		}
		if v, err := res[0].float(); err != nil || v <= 0 {
			t.Errorf("%s = %v (%v), want > 0", q, v, err)
		}
	}
}

// TestCollectorRestart stops the collector telediag pushes to, checks that
// telediag keeps serving meanwhile, restarts the collector on the same ports
// and waits for data to arrive again.
func TestCollectorRestart(t *testing.T) {
	requireE2E(t)
	otelcol := binary(t, envOtelcol)
	const protocol = "grpc"
	const counter = "rx" // a catalogued counter that --demo increments

	ports := newCollectorPorts(t)
	cfg := writeCollectorConfig(t, ports)
	col := startCollector(t, otelcol, cfg, ports)
	td := startTelediag(t, otlpEnv(protocol, ports.otlpEndpoint(protocol)))

	counterArrived := func() error {
		fams, err := scrape(ports.metricsURL())
		if err != nil {
			return err
		}
		if len(fams) == 0 {
			return fmt.Errorf("the collector has received no metrics at all over %s", protocol)
		}
		f := family(fams, counter)
		if f == nil {
			return fmt.Errorf("%s not (yet) at the collector (%d families)", counter, len(fams))
		}
		if v := sampleSum(f); v <= 0 {
			return fmt.Errorf("%s = %v at the collector, want > 0", f.GetName(), v)
		}
		return nil
	}
	waitFor(t, counter+" at the first collector", 45*time.Second, counterArrived, col, td.proc)

	col.stop(t, 15*time.Second)
	if !col.exited() {
		t.Fatalf("collector did not stop")
	}

	// While the collector is down telediag keeps serving: poll for ~2 s.
	for i := 0; i < 8; i++ {
		if td.exited() {
			t.Fatalf("%v", errExited{td.proc})
		}
		body, err := get200(td.url("/metrics"))
		if err != nil {
			t.Fatalf("collector down, poll %d: /metrics: %v", i, err)
		}
		if !strings.Contains(string(body), "process_state") {
			t.Fatalf("collector down, poll %d: /metrics has no process_state (%d bytes)", i, len(body))
		}
		code, _, err := get(td.url("/healthz"))
		if err != nil || code != http.StatusOK {
			t.Fatalf("collector down, poll %d: /healthz: HTTP %d, %v", i, code, err)
		}
		time.Sleep(250 * time.Millisecond)
	}

	col2 := startCollector(t, otelcol, cfg, ports)
	waitFor(t, counter+" at the restarted collector", 60*time.Second, counterArrived, col2, td.proc)
}
