package catalogdiff

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func writeFiles(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for name, content := range files {
		path := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFindQueriesInRulesAndDashboards(t *testing.T) {
	dir := writeFiles(t, map[string]string{
		"prometheus/rules.yaml": `groups:
  - name: backend
    rules:
      - record: job:backend_read_seconds:p99
        expr: histogram_quantile(0.99, sum by (le) (rate(backend_read_seconds_bucket[5m])))
      - alert: ReadsFailing
        # rx in a comment is no query; as a label value below it is over-reported, as documented
        expr: |
          rate(backend_read_requests_total{component="rx"}[5m])
            > 0
        labels: {severity: warning}
---
groups:
  - name: other
    rules:
      - alert: Unrelated
        expr: up == 0
`,
		"grafana/d.json": `{
  "templating": {"list": [{"name": "job", "query": "label_values(process_state, job)"}]},
  "panels": [
    {"type": "row", "title": "rx", "panels": [
      {"title": "rx", "targets": [
        {"refId": "A", "expr": "sum(rate(rx{job=~\"$job\"}[$__rate_interval]))"}
      ]}
    ]},
    {"title": "latency", "targets": [{"refId": "A", "expr": "histogram_quantile(0.5, rate(backend_read_seconds_bucket[5m]))"}]}
  ]
}
`,
		"grafana/broken.json":  `{"panels": [`,
		".git/objects/x.yaml":  "expr: rx",
		"notes.txt":            "expr: rx",
		"instruments.yml":      "metrics:\n  - name: rx\n",
		"grafana/empty.json":   "",
		"prometheus/tests.yml": "tests:\n  - promql_expr_test:\n      - expr: rx_bytes + backend_read_seconds_sum\n",
	})
	uses, skipped, err := FindQueries(dir, []string{"rx", "backend_read_seconds_bucket", "backend_read_seconds_sum", "process_state"})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, u := range uses {
		rel, _ := filepath.Rel(dir, u.File)
		got = append(got, strings.Replace(u.String(), u.File, filepath.ToSlash(rel), 1))
	}
	want := []string{
		"grafana/d.json:2: query names process_state",
		"grafana/d.json:6: expr names rx",
		"grafana/d.json:9: expr names backend_read_seconds_bucket",
		"prometheus/rules.yaml:5: expr names backend_read_seconds_bucket",
		"prometheus/rules.yaml:8: expr names rx",
		"prometheus/tests.yml:3: expr names backend_read_seconds_sum",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("queries:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if len(skipped) != 1 || !strings.HasSuffix(skipped[0].File, "broken.json") {
		t.Errorf("skipped: %v, want broken.json only", skipped)
	}
}

func TestFindQueriesNamesAMissingDirectory(t *testing.T) {
	_, _, err := FindQueries(filepath.Join(t.TempDir(), "nope"), []string{"rx"})
	if err == nil || !strings.Contains(err.Error(), "-queries") || !strings.Contains(err.Error(), "nope") {
		t.Fatalf("err = %v", err)
	}
}
