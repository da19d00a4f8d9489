//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"math"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"
)

// The dashboard's Grafana variables, replaced as Grafana does with job telediag and every
// instance selected. 15s is $__rate_interval's value for a 1s scrape interval (4 scrapes,
// rounded up), and a range that holds samples a few seconds after the start.
var grafanaVars = strings.NewReplacer("$__rate_interval", "15s", "$job", "telediag", "$instance", ".+")

// teleportGuideFormula is the availability formula of Teleport's metrics guide ("Key Metrics for
// Self-Hosted Clusters", Backend operations), word for word: it does not parse.
const teleportGuideFormula = `1- (sum(rate(backend_write_requests_failed_total -sum(rate(teleport_backend_write_requests_failed_precondition_total)) / sum(rate(backend_write_requests_total))`

// teleportGuideFormulaFixed is what it means: ranges on the rates, brackets balanced.
const teleportGuideFormulaFixed = `1 - (sum(rate(backend_write_requests_failed_total[1m])) - sum(rate(teleport_backend_write_requests_failed_precondition_total[1m]))) / sum(rate(backend_write_requests_total[1m]))`

// TestDashboardAndRulesOnPrometheus: a real Prometheus scrapes `telediag --demo` and loads
// deploy/prometheus/telediag.rules.yaml. Every query of every panel of
// deploy/grafana/telediag.json returns data; so does Teleport's availability formula (as it is
// meant, since as printed Prometheus refuses it), and the demo's backend failures are real;
// every rule expression evaluates through the HTTP API, and Prometheus reports every rule
// evaluated and healthy.
func TestDashboardAndRulesOnPrometheus(t *testing.T) {
	requireE2E(t)
	promBin := binary(t, envPrometheus)
	root := repoRoot(t)
	rulesFile := filepath.Join(root, "deploy", "prometheus", "telediag.rules.yaml")
	// No GOMEMLIMIT: the demo sets a memory limit itself, so that go_memory_limit has data.
	td := startTelediag(t, nil)

	base, prom := startPrometheus(t, promBin, td, rulesFile)

	// Rates need two samples in their range.
	waitFor(t, "a rate over the demo's counters", 30*time.Second, func() error {
		_, err := promQuery(base, `rate(backend_write_requests_total{job="telediag"}[15s])`)
		return err
	}, prom, td.proc)

	t.Run("every panel returns data", func(t *testing.T) {
		panels := dashboardQueries(t, filepath.Join(root, "deploy", "grafana", "telediag.json"))
		if len(panels) < 100 {
			t.Fatalf("only %d panel queries", len(panels))
		}
		for _, q := range panels {
			expr := grafanaVars.Replace(q.expr)
			// A panel's data can lag its peers by a scrape or two; none may stay empty.
			if err := poll(20*time.Second, 500*time.Millisecond, func() error {
				_, err := promQuery(base, expr)
				return err
			}, prom, td.proc); err != nil {
				t.Errorf("%s: %v", q.where, err)
			}
		}
	})

	t.Run("Teleport's availability formula has data", func(t *testing.T) {
		err := promAPI(base, "/api/v1/query", url.Values{"query": {teleportGuideFormula}}, new(json.RawMessage))
		if err == nil || !strings.Contains(err.Error(), "parse error") {
			t.Errorf("the formula as Teleport's guide prints it: err = %v, want a parse error", err)
		}
		res, err := promQuery(base, teleportGuideFormulaFixed)
		if err != nil {
			t.Fatal(err)
		}
		v, err := res[0].float()
		if err != nil || math.IsNaN(v) || v < 0 || v > 1 {
			t.Errorf("availability = %v (%v), want a ratio in [0, 1]", v, err)
		}
		// The demo's failures are real: availability ratios have a numerator that moves.
		waitFor(t, "the demo to record backend failures", 30*time.Second, func() error {
			res, err := promQuery(base, `sum(backend_read_requests_failed_total{job="telediag"}) + sum(backend_write_requests_failed_total{job="telediag"})`)
			if err != nil {
				return err
			}
			if v, err := res[0].float(); err != nil || v <= 0 {
				return fmt.Errorf("%v backend failures so far (%v)", v, err)
			}
			return nil
		}, prom, td.proc)
	})

	t.Run("every rule evaluates", func(t *testing.T) {
		rules := ruleExprs(t, rulesFile)
		for _, r := range rules {
			var data json.RawMessage
			if err := promAPI(base, "/api/v1/query", url.Values{"query": {r.expr}}, &data); err != nil {
				t.Errorf("%s: %v", r.name, err)
			}
		}
		// The recording rule's output is what the availability alert reads: it must exist.
		waitFor(t, "the availability recording rule's series", 30*time.Second, func() error {
			_, err := promQuery(base, `job_instance_component:backend_write_availability:ratio_rate5m{job="telediag"}`)
			return err
		}, prom, td.proc)
		waitFor(t, "Prometheus to evaluate every rule, healthy", 30*time.Second, func() error {
			var data struct {
				Groups []struct {
					Rules []struct {
						Name           string `json:"name"`
						Health         string `json:"health"`
						LastError      string `json:"lastError"`
						LastEvaluation string `json:"lastEvaluation"`
					} `json:"rules"`
				} `json:"groups"`
			}
			if err := promAPI(base, "/api/v1/rules", nil, &data); err != nil {
				return err
			}
			var seen []string
			for _, g := range data.Groups {
				for _, r := range g.Rules {
					if r.Health != "ok" || r.LastError != "" || strings.HasPrefix(r.LastEvaluation, "0001-") {
						return fmt.Errorf("rule %s: health %q, lastError %q, last evaluated %s", r.Name, r.Health, r.LastError, r.LastEvaluation)
					}
					seen = append(seen, r.Name)
				}
			}
			for _, r := range rules {
				if !slices.Contains(seen, r.name) {
					return fmt.Errorf("Prometheus has not loaded rule %s (has %v)", r.name, seen)
				}
			}
			return nil
		}, prom, td.proc)
	})
}

// startPrometheus runs Prometheus scraping td every second and evaluating ruleFiles every
// second, and waits until the scrape target is up. It returns the API's base URL.
func startPrometheus(t *testing.T, bin string, td telediag, ruleFiles ...string) (string, *proc) {
	t.Helper()
	return startPrometheusFor(t, bin, scrapeTarget{job: "telediag", addr: td.diag, path: "/metrics", proc: td.proc}, ruleFiles...)
}

// scrapeTarget is a process Prometheus scrapes: its job name, host:port and metrics path.
type scrapeTarget struct {
	job, addr, path string
	proc            *proc
	// flags are Prometheus's own beyond the config, storage and address ones (feature flags).
	flags []string
}

// startPrometheusFor is startPrometheus for any target.
func startPrometheusFor(t *testing.T, bin string, target scrapeTarget, ruleFiles ...string) (string, *proc) {
	t.Helper()
	dir := t.TempDir()
	var rf strings.Builder
	for _, f := range ruleFiles {
		fmt.Fprintf(&rf, "  - %q\n", f)
	}
	cfg := fmt.Sprintf(`global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
rule_files:
%sscrape_configs:
  - job_name: %q
    metrics_path: %q
    static_configs:
      - targets: [%q]
`, rf.String(), target.job, target.path, target.addr)
	cfgPath := filepath.Join(dir, "prometheus.yml")
	writeFile(t, cfgPath, cfg)
	webAddr := hostPort(freePort(t))
	base := "http://" + webAddr
	prom := startProc(t, "prometheus", bin, append([]string{
		"--config.file=" + cfgPath,
		"--storage.tsdb.path=" + filepath.Join(dir, "data"),
		"--web.listen-address=" + webAddr,
	}, target.flags...), nil)
	waitFor(t, "prometheus /-/ready", 30*time.Second, func() error {
		code, _, err := get(base + "/-/ready")
		if err != nil {
			return err
		}
		if code != http.StatusOK {
			return fmt.Errorf("/-/ready: HTTP %d", code)
		}
		return nil
	}, prom, target.proc)
	waitFor(t, "target "+target.job+" up", 30*time.Second, func() error {
		res, err := promQuery(base, fmt.Sprintf("up{job=%q}", target.job))
		if err != nil {
			return err
		}
		if v, err := res[0].float(); err != nil || v != 1 {
			return fmt.Errorf("up = %v (%v)", v, err)
		}
		return nil
	}, prom, target.proc)
	return base, prom
}

type panelQuery struct{ where, expr string }

// dashboardQueries reads every query of a Grafana dashboard, in open rows and collapsed ones.
func dashboardQueries(t *testing.T, path string) []panelQuery {
	t.Helper()
	type panel struct {
		Type    string `json:"type"`
		Title   string `json:"title"`
		Targets []struct {
			RefID string `json:"refId"`
			Expr  string `json:"expr"`
		} `json:"targets"`
		Panels []json.RawMessage `json:"panels"`
	}
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d struct {
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []panelQuery
	var walk func(row string, raw []json.RawMessage)
	walk = func(row string, raw []json.RawMessage) {
		for _, r := range raw {
			var p panel
			if err := json.Unmarshal(r, &p); err != nil {
				t.Fatalf("%s: %v", path, err)
			}
			if p.Type == "row" {
				row = p.Title
				walk(row, p.Panels)
				continue
			}
			for _, tg := range p.Targets {
				out = append(out, panelQuery{fmt.Sprintf("row %q, panel %q, query %s", row, p.Title, tg.RefID), tg.Expr})
			}
		}
	}
	walk("", d.Panels)
	return out
}

type ruleExpr struct{ name, expr string }

// ruleExprs reads the name and expression of every rule of a Prometheus rules file.
func ruleExprs(t *testing.T, path string) []ruleExpr {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var f struct {
		Groups []struct {
			Rules []struct {
				Alert  string `yaml:"alert"`
				Record string `yaml:"record"`
				Expr   string `yaml:"expr"`
			} `yaml:"rules"`
		} `yaml:"groups"`
	}
	if err := yaml.Unmarshal(b, &f); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	var out []ruleExpr
	for _, g := range f.Groups {
		for _, r := range g.Rules {
			out = append(out, ruleExpr{r.Alert + r.Record, r.Expr})
		}
	}
	if len(out) == 0 {
		t.Fatalf("%s: no rules", path)
	}
	return out
}
