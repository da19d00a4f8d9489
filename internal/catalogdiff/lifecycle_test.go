package catalogdiff

import (
	"slices"
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/catalog"
)

// rxEntry is base's rx, which the lifecycle cases edit.
const rxEntry = "  - name: rx\n    section: Network\n    kind: counter\n    value_type: int\n    unit: By\n    description: Bytes received.\n"

// lifecycleWant is one expected change: its severity, whether it fails the diff, the family,
// the field, a part of the message, and the series a breaking one touches.
type lifecycleWant struct {
	sev       Severity
	fails     bool
	metric    string
	field     string
	msg       string
	series    []string
	stability catalog.Stability
}

// TestLifecycleChanges: every lifecycle edit is classified as a query sees it, and a breaking
// change fails the diff on beta and stable families only, with the old side's level deciding.
func TestLifecycleChanges(t *testing.T) {
	withRx := func(extra string) string { return strings.Replace(base, rxEntry, rxEntry+extra, 1) }
	renamed := strings.Replace(base, rxEntry, strings.Replace(rxEntry, "name: rx\n", "name: rx_bytes_total\n", 1)+"    renamed_from: [rx]\n", 1)
	for _, tc := range []struct {
		name     string
		old, new string
		want     []lifecycleWant
	}{
		{"rename with renamed_from is compatible", base, renamed,
			[]lifecycleWant{{Compatible, false, "rx", "name", "renamed to rx_bytes_total, which keeps serving rx from the same series (renamed_from)", nil, catalog.StabilityStable}}},
		{"rename without renamed_from breaks", base, strings.Replace(base, "name: rx\n", "name: rx_bytes_total\n", 1),
			[]lifecycleWant{{Breaking, true, "rx", "name", "list rx under its renamed_from to keep serving the old name", []string{"rx"}, catalog.StabilityStable}}},
		{"dropping the old name breaks its queries", renamed, strings.Replace(renamed, "    renamed_from: [rx]\n", "", 1),
			[]lifecycleWant{{Breaking, true, "rx_bytes_total", "renamed_from", "old name rx no longer served: queries of rx find nothing; they must read rx_bytes_total", []string{"rx"}, catalog.StabilityStable}}},
		{"removing a renamed family breaks its old names too", renamed, strings.Replace(renamed, strings.Replace(rxEntry, "name: rx\n", "name: rx_bytes_total\n", 1)+"    renamed_from: [rx]\n", "", 1),
			[]lifecycleWant{{Breaking, true, "rx_bytes_total", "metric", "removed", []string{"rx_bytes_total", "rx"}, catalog.StabilityStable}}},
		{"an old name added back", base, withRx("    renamed_from: [rx_total]\n"),
			[]lifecycleWant{{Compatible, false, "rx", "renamed_from", "now also served under the old name rx_total", nil, catalog.StabilityStable}}},
		{"breaking change to an alpha family is allowed", withRx("    stability: alpha\n"), strings.Replace(base, rxEntry, "", 1),
			[]lifecycleWant{{Breaking, false, "rx", "metric", "removed", []string{"rx"}, catalog.StabilityAlpha}}},
		{"breaking change to a development family is allowed", withRx("    stability: development\n"), strings.Replace(withRx("    stability: development\n"), "Network\n    kind: counter", "Network\n    kind: gauge", 1),
			[]lifecycleWant{{Breaking, false, "rx", "kind", "exposed type changed from counter to gauge", []string{"rx"}, catalog.StabilityDevelopment}}},
		{"breaking change to a beta family fails", withRx("    stability: beta\n"), strings.Replace(base, rxEntry, "", 1),
			[]lifecycleWant{{Breaking, true, "rx", "metric", "removed", []string{"rx"}, catalog.StabilityBeta}}},
		{"breaking change to a family without stability fails: stable by default", base, strings.Replace(base, rxEntry, "", 1),
			[]lifecycleWant{{Breaking, true, "rx", "metric", "removed", []string{"rx"}, catalog.StabilityStable}}},
		{"promotion is compatible, and the old level decides the edit", withRx("    stability: alpha\n"), strings.Replace(withRx("    stability: stable\n"), "Network\n    kind: counter", "Network\n    kind: gauge", 1),
			[]lifecycleWant{
				{Breaking, false, "rx", "kind", "exposed type changed", []string{"rx"}, catalog.StabilityAlpha},
				{Compatible, false, "rx", "stability", "promoted from alpha to stable: a breaking change to it now fails the diff", nil, catalog.StabilityAlpha},
			}},
		{"demotion breaks at the old level", base, strings.Replace(withRx("    stability: alpha\n"), "Network\n    kind: counter", "Network\n    kind: gauge", 1),
			[]lifecycleWant{
				{Breaking, true, "rx", "kind", "exposed type changed", []string{"rx"}, catalog.StabilityStable},
				{Breaking, true, "rx", "stability", "demoted from stable to alpha", []string{"rx"}, catalog.StabilityStable},
			}},
		{"deprecating is compatible", base, withRx("    deprecated: {since: \"4.2\", replaced_by: backend_read_requests_total}\n"),
			[]lifecycleWant{{Compatible, false, "rx", "deprecated", `deprecated since 4.2: still served, with the HELP "(Deprecated since 4.2) Bytes received."; queries are unaffected, and Go code that still records it is flagged; move its queries to backend_read_requests_total`, nil, catalog.StabilityStable}}},
		{"deprecation reworded", withRx("    deprecated: {since: \"4.2\"}\n"), withRx("    deprecated: {since: \"4.3\", note: Use tx.}\n"),
			[]lifecycleWant{{Compatible, false, "rx", "deprecated", "deprecation changed", nil, catalog.StabilityStable}}},
		{"hiding breaks the queries that still use it", withRx("    deprecated: {since: \"4.2\"}\n"), withRx("    deprecated: {since: \"4.2\"}\n    hidden: true\n"),
			[]lifecycleWant{{Breaking, true, "rx", "hidden", "now hidden: /metrics and OTLP serve it only where the operator shows hidden metrics", []string{"rx"}, catalog.StabilityStable}}},
		{"unhiding is compatible", withRx("    deprecated: {since: \"4.2\"}\n    hidden: true\n"), withRx("    deprecated: {since: \"4.2\"}\n"),
			[]lifecycleWant{{Compatible, false, "rx", "hidden", "no longer hidden", nil, catalog.StabilityStable}}},
		{"disabling by default breaks", base, withRx("    enabled: false\n"),
			[]lifecycleWant{{Breaking, true, "rx", "enabled", "now disabled by default", []string{"rx"}, catalog.StabilityStable}}},
		{"enabling by default is compatible", withRx("    enabled: false\n"), base,
			[]lifecycleWant{{Compatible, false, "rx", "enabled", "now enabled by default", nil, catalog.StabilityStable}}},
		{"a budget is compatible", base, withRx("    max_series: 10\n"),
			[]lifecycleWant{{Compatible, false, "rx", "max_series", "series budget of 10 set", nil, catalog.StabilityStable}}},
		{"a lowered budget is compatible", withRx("    max_series: 10\n"), withRx("    max_series: 5\n"),
			[]lifecycleWant{{Compatible, false, "rx", "max_series", "series budget lowered from 10 to 5", nil, catalog.StabilityStable}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changes := Compare(parse(t, "old.yaml", tc.old), parse(t, "new.yaml", tc.new))
			var got []string
			for _, c := range changes {
				got = append(got, c.String())
			}
			if len(changes) != len(tc.want) {
				t.Fatalf("%d changes, want %d:\n%s", len(changes), len(tc.want), strings.Join(got, "\n"))
			}
			for i, w := range tc.want {
				c := changes[i]
				if c.Severity != w.sev || c.Fails() != w.fails || c.Metric != w.metric || c.Field != w.field || !strings.Contains(c.Message, w.msg) ||
					!slices.Equal(c.Series, w.series) || c.Stability != w.stability {
					t.Errorf("change %d:\n got %s (fails %v, series %v, stability %s)\nwant %s, fails %v, metric %s: %s: …%s…, series %v, stability %s",
						i, got[i], c.Fails(), c.Series, c.Stability, w.sev, w.fails, w.metric, w.field, w.msg, w.series, w.stability)
				}
				if prefix := "breaking (" + string(c.Stability) + ": allowed)"; (c.Severity == Breaking && !c.Fails()) != strings.Contains(got[i], prefix) {
					t.Errorf("change %d: an allowed breaking change says %q, others do not: %s", i, prefix, got[i])
				}
			}
		})
	}
}

// TestRenameOfAHistogramBreaksItsOldBuckets: the series of an old name follow the family's
// kind, and a bucket change touches the _bucket series of every name it serves.
func TestRenameOfAHistogramBreaksItsOldBuckets(t *testing.T) {
	old := strings.Replace(base, "    buckets: [0.001, 0.01, 0.1, 1]\n", "    buckets: [0.001, 0.01, 0.1, 1]\n    renamed_from: [backend_read_latency]\n", 1)
	changes := Compare(parse(t, "old.yaml", old), parse(t, "new.yaml", strings.Replace(old, "[0.001, 0.01, 0.1, 1]", "[0.001, 0.1, 1]", 1)))
	if len(changes) != 1 || !slices.Equal(changes[0].Series, []string{"backend_read_seconds_bucket", "backend_read_latency_bucket"}) {
		t.Fatalf("changes: %+v", changes)
	}
	dropped := Compare(parse(t, "old.yaml", old), parse(t, "new.yaml", base))
	if len(dropped) != 1 || !slices.Equal(dropped[0].Series, []string{"backend_read_latency_bucket", "backend_read_latency_sum", "backend_read_latency_count"}) {
		t.Fatalf("dropped: %+v", dropped)
	}
	if CountFailing(dropped) != 1 || CountBreaking(dropped) != 1 {
		t.Errorf("failing %d, breaking %d", CountFailing(dropped), CountBreaking(dropped))
	}
}
