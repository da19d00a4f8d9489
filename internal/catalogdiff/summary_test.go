package catalogdiff

import (
	"slices"
	"strings"
	"testing"
)

const summaryOld = `labels:
  method: {description: RPC method.}
metrics:
  - name: rpc_seconds
    kind: summary
    value_type: double
    unit: s
    description: RPC latency.
    labels: [method]
    objectives: {0.5: 0.05, 0.9: 0.01, 0.99: 0.001}
`

// TestSummaryChanges: what each edit of a summary does to queries, table-driven: the type
// replaced by a histogram and back touches only the quantile-carrying series; a quantile
// removed breaks its selectors, one added, a retuned error or another window do not.
func TestSummaryChanges(t *testing.T) {
	for _, tc := range []struct {
		name     string
		old, new string
		want     []string // "SEVERITY FIELD: message prefix"
		series   []string // of the first change
	}{
		{"to a histogram", summaryOld, strings.Replace(strings.Replace(summaryOld, "kind: summary", "kind: histogram", 1), "objectives: {0.5: 0.05, 0.9: 0.01, 0.99: 0.001}", "buckets: [0.1, 1]", 1),
			[]string{"breaking kind: exposed type changed from summary to histogram: the quantile series rpc_seconds{quantile=…} disappear"}, []string{"rpc_seconds"}},
		{"to a native histogram", summaryOld, strings.Replace(strings.Replace(summaryOld, "kind: summary", "kind: histogram", 1), "objectives: {0.5: 0.05, 0.9: 0.01, 0.99: 0.001}", "native: {schema: 3}", 1),
			[]string{"breaking kind: exposed type changed from summary to histogram: the quantile series rpc_seconds{quantile=…} disappear, so queries that select quantile on rpc_seconds find nothing and must compute histogram_quantile() over the native series rpc_seconds instead; rpc_seconds_sum and rpc_seconds_count read as before only on a Prometheus that does not scrape native histograms"},
			[]string{"rpc_seconds", "rpc_seconds_sum", "rpc_seconds_count"}},
		{"from a histogram", strings.Replace(strings.Replace(summaryOld, "kind: summary", "kind: histogram", 1), "objectives: {0.5: 0.05, 0.9: 0.01, 0.99: 0.001}", "buckets: [0.1, 1]", 1), summaryOld,
			[]string{"breaking kind: exposed type changed from histogram to summary: rpc_seconds_bucket disappears"}, []string{"rpc_seconds_bucket"}},
		{"to a gauge", summaryOld, strings.Replace(strings.Replace(summaryOld, "kind: summary", "kind: gauge", 1), "    objectives: {0.5: 0.05, 0.9: 0.01, 0.99: 0.001}\n", "", 1),
			[]string{"breaking kind: exposed type changed from summary to gauge: its quantile series"}, []string{"rpc_seconds", "rpc_seconds_sum", "rpc_seconds_count"}},
		{"quantile removed, one added", summaryOld, strings.Replace(summaryOld, "0.99: 0.001", "0.999: 0.0001", 1),
			[]string{`breaking objectives: quantile 0.99 removed: selectors on rpc_seconds{quantile="0.99"} find nothing`,
				"compatible objectives: quantile 0.999 added"}, []string{"rpc_seconds"}},
		{"error retuned", summaryOld, strings.Replace(summaryOld, "0.9: 0.01", "0.9: 0.005", 1),
			[]string{"compatible objectives: allowed error changed (0.9: ±0.005 instead of ±0.01)"}, nil},
		{"window", summaryOld, summaryOld + "    max_age: 1m\n",
			[]string{"compatible max_age: quantile window changed from 10m0s in 5 age buckets to 1m0s in 5"}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changes := Compare(parse(t, "old.yaml", tc.old), parse(t, "new.yaml", tc.new))
			var got []string
			for _, c := range changes {
				got = append(got, string(c.Severity)+" "+c.Field+": "+c.Message)
			}
			if len(got) != len(tc.want) {
				t.Fatalf("changes:\n%s\nwant %d", strings.Join(got, "\n"), len(tc.want))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(got[i], w) {
					t.Errorf("change %d:\n  %s\nwant a prefix\n  %s", i, got[i], w)
				}
			}
			if !slices.Equal(changes[0].Series, tc.series) {
				t.Errorf("series %v, want %v", changes[0].Series, tc.series)
			}
		})
	}
}
