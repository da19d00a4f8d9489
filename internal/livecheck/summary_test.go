package livecheck

import (
	"slices"
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/scrape"
)

const summaryCatalogue = `labels:
  method: {description: "RPC method."}
metrics:
  - name: rpc_seconds
    kind: summary
    value_type: double
    unit: s
    description: "RPC latency."
    labels: [method]
    objectives: {0.5: 0.05, 0.99: 0.001}
  - name: batch_items
    kind: summary
    value_type: int
    unit: "{item}"
    description: "Items per batch."
`

// TestSummaryQuantiles: live-check compares a generated summary's quantile set with its
// objectives, series by series, ignores the quantile label among the label names, and holds a
// label-less summary, which is served from its creation, to be there.
func TestSummaryQuantiles(t *testing.T) {
	cat, err := catalog.Parse("summary.yaml", []byte(summaryCatalogue))
	if err != nil {
		t.Fatal(err)
	}
	check := func(exposition string) []Finding {
		t.Helper()
		exp, err := scrape.Open("-", strings.NewReader(exposition))
		if err != nil {
			t.Fatal(err)
		}
		return Run(cat, exp.Families).Findings
	}
	conforming := `# HELP rpc_seconds RPC latency.
# TYPE rpc_seconds summary
rpc_seconds{method="get",quantile="0.5"} 0.01
rpc_seconds{method="get",quantile="0.99"} 0.1
rpc_seconds_sum{method="get"} 1
rpc_seconds_count{method="get"} 10
# HELP batch_items Items per batch.
# TYPE batch_items summary
batch_items_sum 0
batch_items_count 0
`
	if fs := check(conforming); len(fs) != 0 {
		t.Errorf("findings on a conforming service:\n%s", strings.Join(summary(fs), "\n"))
	}

	faulty := `# HELP rpc_seconds RPC latency.
# TYPE rpc_seconds summary
rpc_seconds{method="get",quantile="0.5"} 0.01
rpc_seconds{method="get",quantile="0.99"} 0.1
rpc_seconds_sum{method="get"} 1
rpc_seconds_count{method="get"} 10
rpc_seconds{method="put",quantile="0.5"} 0.01
rpc_seconds{method="put",quantile="0.9"} 0.05
rpc_seconds_sum{method="put"} 1
rpc_seconds_count{method="put"} 10
`
	fs := check(faulty)
	if got, want := summary(fs), []string{"batch_items missing error", "rpc_seconds quantiles error"}; !slices.Equal(got, want) {
		t.Fatalf("findings %v, want %v", got, want)
	}
	if q := fs[1]; q.Line != 4 || q.Message != "quantiles differ: declared [0.5, 0.99], served [0.5, 0.9]" {
		t.Errorf("finding %+v", q)
	}
	// A summary of count and sum only that serves quantiles is reported too.
	fs = check(strings.Replace(conforming, "batch_items_sum 0", "batch_items{quantile=\"0.5\"} 1\nbatch_items_sum 0", 1))
	if len(fs) != 1 || fs[0].Message != "quantiles differ: declared none (count and sum only), served [0.5]" {
		t.Errorf("findings %+v", fs)
	}
}
