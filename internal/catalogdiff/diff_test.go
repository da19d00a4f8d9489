package catalogdiff

import (
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/catalog"
)

// base has a family of every exposed type, a label with an enum, a label whose key differs from
// its ID, and a provided family.
const base = `labels:
  component:
    description: The backend component.
  resource_type:
    key: type
    description: Resource type.
    enum: [node, kube, app]
  reason:
    description: Why.
metrics:
  - name: backend_read_requests_total
    section: Backend
    kind: counter
    value_type: int
    unit: "{request}"
    description: Reads.
    labels: [component, reason]
  - name: backend_read_seconds
    section: Backend
    kind: histogram
    value_type: double
    unit: s
    description: Read latency.
    labels: [component]
    buckets: [0.001, 0.01, 0.1, 1]
  - name: connected_resources
    section: Resources
    kind: updowncounter
    value_type: int
    unit: "{resource}"
    description: Connected resources.
    labels: [resource_type]
  - name: rx
    section: Network
    kind: counter
    value_type: int
    unit: By
    description: Bytes received.
  - name: go_goroutines
    section: Go
    provided_by: go_collector
    kind: gauge
    unit: "{goroutine}"
    description: Goroutines.
`

func parse(t *testing.T, name, src string) *catalog.Catalog {
	t.Helper()
	c, err := catalog.Parse(name, []byte(src))
	if err != nil {
		t.Fatalf("%s does not load:\n%v\n%s", name, err, src)
	}
	return c
}

// edit applies old→new replacements to base, each of which must match.
func edit(t *testing.T, pairs ...string) string {
	t.Helper()
	s := base
	for i := 0; i+1 < len(pairs); i += 2 {
		if !strings.Contains(s, pairs[i]) {
			t.Fatalf("edit: %q is not in the base catalogue", pairs[i])
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	return s
}

type want struct {
	sev    Severity
	metric string
	field  string
	msg    string // a part of the message
}

func TestCompareClassifiesEveryKindOfChange(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edits []string
		want  []want
	}{
		{"metric removed", []string{"  - name: rx\n    section: Network\n    kind: counter\n    value_type: int\n    unit: By\n    description: Bytes received.\n", ""},
			[]want{{Breaking, "rx", "metric", "removed"}}},
		{"metric renamed", []string{"name: rx\n", "name: rx_bytes_total\n"},
			[]want{{Breaking, "rx", "name", "renamed to rx_bytes_total"}}},
		{"renamed and reworded is removed and added", []string{"name: rx\n", "name: rx_bytes_total\n", "Bytes received.", "Bytes in."},
			[]want{{Breaking, "rx", "metric", "removed"}, {Compatible, "rx_bytes_total", "metric", "added (counter)"}}},
		{"counter to gauge", []string{"name: rx\n    section: Network\n    kind: counter", "name: rx\n    section: Network\n    kind: gauge"},
			[]want{{Breaking, "rx", "kind", "exposed type changed from counter to gauge"}}},
		{"counter to updowncounter", []string{"name: rx\n    section: Network\n    kind: counter", "name: rx\n    section: Network\n    kind: updowncounter"},
			[]want{{Breaking, "rx", "kind", "from counter to gauge"}}},
		{"histogram to gauge", []string{"kind: histogram", "kind: gauge", "    buckets: [0.001, 0.01, 0.1, 1]\n", ""},
			[]want{{Breaking, "backend_read_seconds", "kind", "backend_read_seconds_bucket, backend_read_seconds_sum and backend_read_seconds_count disappear"}}},
		{"gauge to histogram", []string{"kind: updowncounter\n    value_type: int", "kind: histogram\n    value_type: int\n    buckets: [1, 2]"},
			[]want{{Breaking, "connected_resources", "kind", "connected_resources itself is no longer a series"}}},
		{"label removed", []string{"labels: [component, reason]", "labels: [component]", "  reason:\n    description: Why.\n", ""},
			[]want{{Breaking, "backend_read_requests_total", "labels.reason", "label reason removed"}}},
		{"exposed key changed", []string{"key: type", "key: kind"},
			[]want{{Breaking, "connected_resources", "labels.resource_type.key", "exposed key changed from type to kind"}}},
		{"buckets changed", []string{"buckets: [0.001, 0.01, 0.1, 1]", "buckets: [0.001, 0.01, 0.25, 1, 10]"},
			[]want{{Breaking, "backend_read_seconds", "buckets", "le 0.1 removed, le 0.25, 10 added"}}},
		{"enum value removed", []string{"enum: [node, kube, app]", "enum: [node, app]"},
			[]want{{Breaking, "connected_resources", "labels.resource_type.enum", `enum value "kube" removed: selectors on type="kube"`}}},
		{"open label becomes an enum", []string{"  reason:\n    description: Why.\n", "  reason:\n    description: Why.\n    enum: [timeout]\n"},
			[]want{{Breaking, "backend_read_requests_total", "labels.reason.enum", "now restricted to [timeout]"}}},

		{"metric added", []string{"metrics:\n", "metrics:\n  - name: tx\n    kind: counter\n    value_type: int\n    unit: By\n    description: Bytes sent.\n"},
			[]want{{Compatible, "tx", "metric", "added (counter)"}}},
		{"description reworded", []string{"Read latency.", "Latency of reads."},
			[]want{{Compatible, "backend_read_seconds", "description", "reworded"}}},
		{"section moved", []string{"section: Network", "section: SSH"},
			[]want{{Compatible, "rx", "section", `moved from section "Network" to "SSH"`}}},
		{"enum value added", []string{"enum: [node, kube, app]", "enum: [node, kube, app, db]"},
			[]want{{Compatible, "connected_resources", "labels.resource_type.enum", `enum value "db" added`}}},
		{"enum dropped", []string{"    enum: [node, kube, app]\n", ""},
			[]want{{Compatible, "connected_resources", "labels.resource_type.enum", "no longer an enum"}}},
		{"label added", []string{"labels: [component, reason]", "labels: [component, reason, resource_type]"},
			[]want{{Compatible, "backend_read_requests_total", "labels.resource_type", "label type added: new series appear"}}},
		{"label ID renamed, same key", []string{"  reason:\n", "  cause:\n    key: reason\n", "labels: [component, reason]", "labels: [component, cause]"},
			[]want{{Compatible, "backend_read_requests_total", "labels.reason", "renamed to cause in the catalogue"}}},
		{"labels reordered", []string{"labels: [component, reason]", "labels: [reason, component]"},
			[]want{{Compatible, "backend_read_requests_total", "labels", "reordered"}}},
		{"value type changed", []string{"name: rx\n    section: Network\n    kind: counter\n    value_type: int", "name: rx\n    section: Network\n    kind: counter\n    value_type: double"},
			[]want{{Compatible, "rx", "value_type", "as_double instead of as_int"}}},
		{"histogram value type changed", []string{"kind: histogram\n    value_type: double", "kind: histogram\n    value_type: int"},
			[]want{{Compatible, "backend_read_seconds", "value_type", "OTLP histogram points carry double sums either way"}}},
		{"unit changed", []string{"unit: By", "unit: KiBy"},
			[]want{{Compatible, "rx", "unit", "renames it from rx_bytes_total to rx_kibibytes_total"}}},
		{"unit of a provided family", []string{`unit: "{goroutine}"`, `unit: "{thread}"`},
			[]want{{Compatible, "go_goroutines", "unit", "documentation only, since go_collector serves the family"}}},
		{"updowncounter to gauge", []string{"kind: updowncounter", "kind: gauge"},
			[]want{{Compatible, "connected_resources", "kind", "over OTLP it is a Gauge instead of a non-monotonic Sum"}}},
		{"observable", []string{"kind: updowncounter\n", "kind: updowncounter\n    observable: true\n"},
			[]want{{Compatible, "connected_resources", "observable", "now observable"}}},
		{"provided by another collector", []string{"provided_by: go_collector", "provided_by: otel_runtime"},
			[]want{{Compatible, "go_goroutines", "provided_by", "now served by otel_runtime instead of go_collector"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			changes := Compare(parse(t, "old.yaml", base), parse(t, "new.yaml", edit(t, tc.edits...)))
			var got []string
			for _, c := range changes {
				got = append(got, c.String())
			}
			if len(changes) != len(tc.want) {
				t.Fatalf("%d changes, want %d:\n%s", len(changes), len(tc.want), strings.Join(got, "\n"))
			}
			for i, w := range tc.want {
				c := changes[i]
				if c.Severity != w.sev || c.Metric != w.metric || c.Field != w.field || !strings.Contains(c.Message, w.msg) {
					t.Errorf("change %d:\n got %s\nwant %s: metric %s: %s: …%s…", i, got[i], w.sev, w.metric, w.field, w.msg)
				}
				if (c.Severity == Breaking) != (len(c.Series) > 0) {
					t.Errorf("change %d: series %v on a %s change", i, c.Series, c.Severity)
				}
			}
		})
	}
}

func TestBucketSpellingWithTheSameBoundariesIsCompatible(t *testing.T) {
	// 1, 2, 4, 8 are exact in binary, so exponential{1, 2, 4} expands to exactly the list.
	oldCat := parse(t, "old.yaml", edit(t, "buckets: [0.001, 0.01, 0.1, 1]", "buckets: [1, 2, 4, 8]"))
	newCat := parse(t, "new.yaml", edit(t, "buckets: [0.001, 0.01, 0.1, 1]", "buckets: {exponential: {start: 1, factor: 2, count: 4}}"))
	changes := Compare(oldCat, newCat)
	if len(changes) != 1 || changes[0].Severity != Compatible || changes[0].Field != "buckets" || !strings.Contains(changes[0].Message, "same boundaries") {
		t.Fatalf("changes: %v", changes)
	}
}

func TestNoChangeNoReport(t *testing.T) {
	// Comments, blank lines and the order of enum values are not changes.
	changed := edit(t, "enum: [node, kube, app]", "enum: [app, node, kube]  # sorted differently", "metrics:\n", "# the families\nmetrics:\n\n")
	if changes := Compare(parse(t, "old.yaml", base), parse(t, "new.yaml", changed)); len(changes) != 0 {
		t.Fatalf("changes: %v", changes)
	}
}

func TestLocationsPointAtTheEntry(t *testing.T) {
	tx := "  - name: tx\n    kind: counter\n    value_type: int\n    unit: By\n    description: Bytes sent.\n"
	newSrc := edit(t, "metrics:\n", "metrics:\n"+tx, "Read latency.", "Latency of reads.",
		"    labels: [component]\n    buckets", "    buckets", "Why.", "Why it happened.")
	newCat := parse(t, "new.yaml", newSrc)
	newCat.Metrics = slices.DeleteFunc(newCat.Metrics, func(m *catalog.Metric) bool { return m.Name == "rx" })
	got := map[string]string{}
	for _, c := range Compare(parse(t, "old.yaml", base), newCat) {
		got[c.Metric+"/"+c.Label+"/"+c.Field] = c.File + ":" + strconv.Itoa(c.Line)
	}
	for key, loc := range map[string]string{
		"rx//metric":                             "old.yaml:" + lineOf(t, base, "  - name: rx"), // gone: where it was
		"tx//metric":                             "new.yaml:" + lineOf(t, newSrc, "  - name: tx"),
		"backend_read_seconds//description":      "new.yaml:" + lineOf(t, newSrc, "  - name: backend_read_seconds"),
		"backend_read_seconds//labels.component": "new.yaml:" + lineOf(t, newSrc, "  - name: backend_read_seconds"),
		"/reason/description":                    "new.yaml:" + lineOf(t, newSrc, "  reason:"),
	} {
		if got[key] != loc {
			t.Errorf("%s at %q, want %s (all: %v)", key, got[key], loc, got)
		}
	}
}

// lineOf is the 1-based line number of the first line of src that starts with prefix.
func lineOf(t *testing.T, src, prefix string) string {
	t.Helper()
	for i, l := range strings.Split(src, "\n") {
		if strings.HasPrefix(l, prefix) {
			return strconv.Itoa(i + 1)
		}
	}
	t.Fatalf("no line starts with %q", prefix)
	return ""
}

// TestUndeclaredPatternsAreCompatible: adding, removing or rewording an undeclared pattern
// changes no series, so it is reported as compatible, at the entry, with the pattern named.
func TestUndeclaredPatternsAreCompatible(t *testing.T) {
	oldSrc := base + `undeclared:
  - match: "upstream_.*"
    description: Made per upstream metric.
  - match: "relay_conn_.*"
    description: Made per connection.
`
	newSrc := base + `undeclared:
  - match: "relay_conn_.*"
    description: Made per relayed connection.
  - match: "probe_.*"
    description: Made per probe target.
`
	changes := Compare(parse(t, "old.yaml", oldSrc), parse(t, "new.yaml", newSrc))
	var got []string
	for _, c := range changes {
		got = append(got, c.String())
	}
	want := []string{
		`old.yaml:` + lineOf(t, oldSrc, `  - match: "upstream_.*"`) + `: compatible: undeclared "upstream_.*": undeclared: pattern removed: live-check reports the served families it matched as undeclared again; /metrics and queries are unaffected`,
		`new.yaml:` + lineOf(t, newSrc, `  - match: "relay_conn_.*"`) + `: compatible: undeclared "relay_conn_.*": description: reworded: documentation only; live-check, /metrics and queries are unaffected`,
		`new.yaml:` + lineOf(t, newSrc, `  - match: "probe_.*"`) + `: compatible: undeclared "probe_.*": undeclared: pattern added: live-check no longer reports the served families it matches as undeclared; /metrics and queries are unaffected`,
	}
	if !slices.Equal(got, want) {
		t.Fatalf("changes:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if CountBreaking(changes) != 0 {
		t.Error("a change of the undeclared list breaks")
	}
	if changes[0].Undeclared != "upstream_.*" || changes[0].Metric != "" || changes[0].Label != "" {
		t.Errorf("subject of %+v", changes[0])
	}
}
