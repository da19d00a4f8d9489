package promqlcheck

import (
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/catalog"
)

// testCatalog has one family of each type the checker tells apart.
const testCatalog = `
labels:
  component:
    description: The backend component.
metrics:
  - name: backend_write_requests_total
    kind: counter
    value_type: int
    unit: "{request}"
    description: Writes.
    labels: [component]
  - name: backend_write_seconds
    kind: histogram
    value_type: double
    unit: s
    description: Write latency.
    labels: [component]
    buckets: [0.001, 0.01, 0.1]
  - name: process_state
    kind: gauge
    observable: true
    value_type: int
    unit: "1"
    description: State.
  - name: server_interactive_sessions_total
    kind: updowncounter
    value_type: int
    unit: "{session}"
    description: Sessions.
  - name: go_gc_duration_seconds
    provided_by: go_collector
    kind: summary
    unit: s
    description: GC durations.
`

func newChecker(t *testing.T, recorded ...string) *Checker {
	t.Helper()
	cat, err := catalog.Parse("test.yaml", []byte(testCatalog))
	if err != nil {
		t.Fatal(err)
	}
	return New(cat, recorded...)
}

func TestAcceptsEachTypeReadAsItMustBe(t *testing.T) {
	c := newChecker(t, "job:availability:ratio")
	for _, expr := range []string{
		`sum by (component) (rate(backend_write_requests_total{component="backend"}[5m]))`,
		`increase(backend_write_requests_total[1h]) > 0`,
		`irate({__name__="backend_write_requests_total"}[1m])`,
		`histogram_quantile(0.99, sum by (le, component) (rate(backend_write_seconds_bucket{job="x"}[5m])))`,
		`rate(backend_write_seconds_sum[5m]) / rate(backend_write_seconds_count[5m])`,
		`process_state{job="telediag", instance=~".+"} == 2`,
		`max_over_time(process_state[10m])`,
		`(server_interactive_sessions_total)`,
		`go_gc_duration_seconds{quantile="0.5"}`,
		`rate(go_gc_duration_seconds_count[5m])`,
		`job:availability:ratio < 0.99`,
		`1 - (sum(rate(backend_write_requests_total[5m])) or vector(0))`,
	} {
		uses, problems := c.Check(expr)
		if len(problems) > 0 {
			t.Errorf("%s: %v", expr, problems)
		}
		if len(uses) == 0 {
			t.Errorf("%s: no metric found", expr)
		}
	}
}

func TestRejectsMisreadAndUndeclaredMetrics(t *testing.T) {
	c := newChecker(t)
	for _, tc := range []struct{ expr, want string }{
		{`backend_write_requests_total > 0`, "counter backend_write_requests_total must be read through rate()"},
		{`sum(backend_write_requests_total)`, "must be read through rate()"},
		{`delta(backend_write_requests_total[5m])`, "must be read through rate()"},
		{`rate(process_state[5m])`, "gauge process_state is not a counter"},
		{`increase(server_interactive_sessions_total[5m])`, "gauge server_interactive_sessions_total is not a counter"},
		{`rate(go_gc_duration_seconds[5m])`, "summary go_gc_duration_seconds is not a counter"},
		{`backend_write_seconds`, "histogram backend_write_seconds has no series of that name"},
		{`rate(backend_write_seconds_bucket[5m])`, "must be read as histogram_quantile"},
		{`histogram_quantile(0.9, backend_write_seconds_bucket)`, "must be read as histogram_quantile"},
		{`backend_write_seconds_count`, "count of histogram backend_write_seconds is a counter"},
		{`process_state_bucket`, "gauge process_state has no _bucket series"},
		{`backend_read_requests_total`, "not declared in instruments.yaml"},
		{`rate(backend_write_requests_failed_total[5m])`, "not declared"},
		{`rate(backend_write_requests_total{componnet="backend"}[5m])`, `matches on label "componnet"`},
		{`process_state{component="auth"}`, `matches on label "component"`},
		{`{__name__=~"backend_.*"}`, "names no metric with ="},
		{`sum(rate(backend_write_requests_total)`, "does not parse"},
		// Teleport's metrics guide, word for word: unbalanced brackets, rate() without a range.
		{`1- (sum(rate(backend_write_requests_failed_total -sum(rate(teleport_backend_write_requests_failed_precondition_total)) / sum(rate(backend_write_requests_total))`, "does not parse"},
	} {
		_, problems := c.Check(tc.expr)
		if !strings.Contains(strings.Join(problems, "\n"), tc.want) {
			t.Errorf("%s: problems %q, want one containing %q", tc.expr, problems, tc.want)
		}
	}
}

func TestResolvesSeriesToTheirFamily(t *testing.T) {
	c := newChecker(t)
	uses, problems := c.Check(`histogram_quantile(0.5, rate(backend_write_seconds_bucket[5m])) and on() rate(go_gc_duration_seconds_sum[5m]) > 0`)
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	got := map[string]string{}
	for _, u := range uses {
		got[u.Series] = u.Family.Name
	}
	want := map[string]string{"backend_write_seconds_bucket": "backend_write_seconds", "go_gc_duration_seconds_sum": "go_gc_duration_seconds"}
	for s, f := range want {
		if got[s] != f {
			t.Errorf("%s resolved to %q, want %q (all: %v)", s, got[s], f, got)
		}
	}
}

// TestOldNamesOfARenamedFamily: a rule still on an old name of a renamed family is checked as
// the family, and an old name dropped from renamed_from is undeclared.
func TestOldNamesOfARenamedFamily(t *testing.T) {
	cat, err := catalog.Parse("test.yaml", []byte(strings.Replace(testCatalog, "    buckets: [0.001, 0.01, 0.1]\n",
		"    buckets: [0.001, 0.01, 0.1]\n    renamed_from: [backend_write_latency_seconds]\n", 1)))
	if err != nil {
		t.Fatal(err)
	}
	c := New(cat)
	if uses, problems := c.Check(`histogram_quantile(0.9, sum by (le, component) (rate(backend_write_latency_seconds_bucket[5m])))`); len(problems) > 0 || len(uses) != 1 || uses[0].Family.Kind != catalog.KindHistogram {
		t.Errorf("old name: uses %v, problems %v", uses, problems)
	}
	if _, problems := c.Check(`backend_write_latency_seconds_count > 0`); !strings.Contains(strings.Join(problems, "\n"), "is a counter") {
		t.Errorf("an old name is read as its family's type: %v", problems)
	}
	if _, problems := newChecker(t).Check(`rate(backend_write_latency_seconds_count[5m])`); !strings.Contains(strings.Join(problems, "\n"), "not declared") {
		t.Errorf("without renamed_from: %v", problems)
	}
}

// TestNativeHistogramSeries: a histogram with native buckets is selected by its own name, the
// native series, under rate() and a histogram function, as the generated dashboard reads it;
// raw, under rate() alone or without rate() it is refused, and a classic-only histogram's name
// still selects nothing.
func TestNativeHistogramSeries(t *testing.T) {
	cat, err := catalog.Parse("native.yaml", []byte(testCatalog+`  - name: rpc_seconds
    kind: histogram
    value_type: double
    unit: s
    description: RPC latency.
    labels: [component]
    native: {bucket_factor: 1.1}
`))
	if err != nil {
		t.Fatal(err)
	}
	c := New(cat)
	for _, expr := range []string{
		`histogram_quantile(0.9, sum by (instance, component) (rate(rpc_seconds{job=~".+",component="a"}[5m])))`,
		`histogram_count(sum by (instance) (rate(rpc_seconds[5m])))`,
		`histogram_sum(rate(rpc_seconds[5m])) / histogram_count(rate(rpc_seconds[5m]))`,
		`histogram_fraction(0, 0.1, rate(rpc_seconds[5m]))`,
	} {
		if uses, problems := c.Check(expr); len(problems) > 0 || len(uses) == 0 || uses[0].Family == nil || uses[0].Family.Name != "rpc_seconds" {
			t.Errorf("%s: uses %v, problems %v", expr, uses, problems)
		}
	}
	for expr, want := range map[string]string{
		`rpc_seconds`:                  "native histogram rpc_seconds must be read as histogram_quantile",
		`sum(rate(rpc_seconds[5m]))`:   "native histogram rpc_seconds must be read",
		`histogram_count(rpc_seconds)`: "native histogram rpc_seconds must be read",
		`histogram_quantile(0.9, rate(backend_write_seconds[5m]))`: "histogram backend_write_seconds has no series of that name",
		`rate(rpc_seconds{le="1"}[5m])`:                            `matches on label "le"`,
	} {
		_, problems := c.Check(expr)
		if !strings.Contains(strings.Join(problems, "\n"), want) {
			t.Errorf("%s: problems %q, want one with %q", expr, problems, want)
		}
	}
}
