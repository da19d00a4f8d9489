package catalog

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

func TestLoadGood(t *testing.T) {
	c, err := Load("testdata/good.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Metrics) != 4 || len(c.Labels) != 2 {
		t.Fatalf("got %d metrics, %d labels", len(c.Metrics), len(c.Labels))
	}
	h := c.Metric("backend_read_seconds")
	if len(h.Buckets) != 16 || h.Buckets[0] != 0.001 || h.Buckets[15] != 32.768 {
		t.Errorf("exponential buckets = %v, want Teleport's 0.001 … 32.768", h.Buckets)
	}
	if got := c.Metric("teleport_connected_resources"); got.PrometheusType() != "gauge" || got.LabelKeys()[0] != "type" {
		t.Errorf("updowncounter: type %s, keys %v", got.PrometheusType(), got.LabelKeys())
	}
	if got := c.Metric("go_gc_duration_seconds"); got.Generated() || got.PrometheusType() != "summary" {
		t.Errorf("provided summary: generated=%v type=%s", got.Generated(), got.PrometheusType())
	}
	if !c.Metric("process_state").Observable {
		t.Error("process_state not observable")
	}
	if len(c.Undeclared) != 1 || c.Undeclared[0].Pattern.String() != "exporter_.*" || c.Undeclared[0].Line != 35 || c.Undeclared[0].Description == "" {
		t.Fatalf("undeclared = %+v", c.Undeclared)
	}
	for name, want := range map[string]bool{"exporter_up": true, "exporter_": true, "my_exporter_up": false, "rx": false} {
		if got := c.UndeclaredFor(name) != nil; got != want {
			t.Errorf("UndeclaredFor(%q) matched = %v, want %v", name, got, want)
		}
	}
}

// TestCompilePattern: patterns are RE2 and match whole names, and a bad one's error quotes it
// as written.
func TestCompilePattern(t *testing.T) {
	for _, tc := range []struct {
		expr  string
		match []string
		miss  []string
	}{
		{"myexporter_.*", []string{"myexporter_up", "myexporter_"}, []string{"x_myexporter_up", "myexporter"}},
		{"a|b", []string{"a", "b"}, []string{"ab", "xa"}},
		{"go_(gc|memstats)_.+", []string{"go_gc_x", "go_memstats_y"}, []string{"go_gc_", "go_goroutines"}},
	} {
		p, err := CompilePattern(tc.expr)
		if err != nil {
			t.Fatalf("%s: %v", tc.expr, err)
		}
		if p.String() != tc.expr {
			t.Errorf("String() = %q, want %q", p, tc.expr)
		}
		for _, n := range tc.match {
			if !p.Match(n) {
				t.Errorf("%s does not match %s", tc.expr, n)
			}
		}
		for _, n := range tc.miss {
			if p.Match(n) {
				t.Errorf("%s matches %s", tc.expr, n)
			}
		}
	}
	for expr, want := range map[string]string{
		"":       "empty pattern",
		"a(":     "missing closing ): `a(`",
		`a(?!b)`: "invalid or unsupported Perl syntax",
	} {
		if _, err := CompilePattern(expr); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CompilePattern(%q) = %v, want an error with %q", expr, err, want)
		}
	}
	if (Pattern{}).Match("") {
		t.Error("the zero Pattern matches")
	}
}

func TestLoadRepositoryCatalogue(t *testing.T) {
	c, err := Load("../../instruments.yaml")
	if err != nil {
		t.Fatal(err)
	}
	if c.Metric("watcher_event_sizes").Buckets[19] != 1900 {
		t.Errorf("watcher_event_sizes buckets %v, want Teleport's linear 0 … 1900", c.Metric("watcher_event_sizes").Buckets)
	}
}

// TestLoadBad holds one fixture per validation rule: each must be rejected with the message at
// the line given, in the FILE:LINE: SUBJECT: problem form.
func TestLoadBad(t *testing.T) {
	tests := []struct {
		file string
		kind ProblemKind // the kind of the problem of want[0]
		want []string    // every line must appear in the error, in order
	}{
		{"yaml_syntax", ProblemSyntax, []string{"bad/yaml_syntax.yaml:6: invalid YAML: found unexpected end of stream"}},
		{"unknown_key", ProblemKey, []string{`bad/unknown_key.yaml:7: metric rx: unknown key "help" (allowed: name, section, kind, value_type, observable, unit, description, labels, buckets, native, objectives, max_age, age_buckets, provided_by, stability, deprecated, hidden, enabled, renamed_from, max_series)`}},
		{"unknown_top_key", ProblemKey, []string{`bad/unknown_top_key.yaml:1: unknown key "metric" (allowed: labels, metrics, undeclared)`, "bad/unknown_top_key.yaml:1: missing required key metrics"}},
		{"missing_fields", ProblemKey, []string{
			"bad/missing_fields.yaml:2: metric rx: missing required key description",
			"bad/missing_fields.yaml:2: metric rx: missing required key unit",
			"bad/missing_fields.yaml:2: metric rx: missing required key value_type (int or double)",
		}},
		{"target_label", ProblemName, []string{`bad/target_label.yaml:2: label instance: label key "instance" is the target label Prometheus attaches to every scraped series: a series that brings its own is stored with exported_instance instead, so queries on "instance" would not find it; choose another key`}},
		{"control_character", ProblemValue, []string{"bad/control_character.yaml:6: metric rx: description has the control character U+0000 at byte 5; remove it"}},
		{"invalid_unit", ProblemValue, []string{`bad/invalid_unit.yaml:5: metric backend_read_seconds: invalid unit "seconds": "seconds" is not a known UCUM unit`}},
		{"duplicate_name", ProblemDuplicate, []string{"bad/duplicate_name.yaml:7: metric rx: duplicate name (first declared at line 2)"}},
		{"name_altered", ProblemName, []string{`bad/name_altered.yaml:2: metric backend.read.seconds: name "backend.read.seconds" is not kept verbatim`}},
		{"name_rejected", ProblemName, []string{`bad/name_rejected.yaml:2: metric 2xx_responses: name "2xx_responses" is not kept verbatim`}},
		{"buckets_not_increasing", ProblemValue, []string{"bad/buckets_not_increasing.yaml:7: metric backend_read_seconds: buckets must be strictly increasing: 0.5 follows 0.5"}},
		{"buckets_on_counter", ProblemUnsupported, []string{"bad/buckets_on_counter.yaml:7: metric rx: buckets are only valid on a generated histogram, not on a counter"}},
		{"histogram_without_buckets", ProblemKey, []string{"bad/histogram_without_buckets.yaml:2: metric backend_read_seconds: missing required key buckets"}},
		{"undeclared_label", ProblemReference, []string{`bad/undeclared_label.yaml:7: metric backend_read_requests_total: label "component" is not declared under labels`}},
		{"unused_label", ProblemReference, []string{"bad/unused_label.yaml:2: label component: declared but used by no metric"}},
		{"invalid_kind", ProblemValue, []string{`bad/invalid_kind.yaml:3: metric rx: invalid kind "meter" (allowed: counter, updowncounter, gauge, histogram, summary)`}},
		{"summary_objectives", ProblemValue, []string{
			"bad/summary_objectives.yaml:7: metric payload_bytes: objectives: quantile 1 must be between 0 and 1, both excluded",
			"bad/summary_objectives.yaml:7: metric payload_bytes: objectives: the error allowed on quantile 0.99 must be above 0 and below 0.01",
		}},
		{"series_collision", ProblemCollision, []string{"bad/series_collision.yaml:8: metric auth_generate_seconds_count: exposes series auth_generate_seconds_count, which metric auth_generate_seconds (line 2) also exposes"}},
		{"repeated_key", ProblemKey, []string{`bad/repeated_key.yaml:4: metric rx: key "kind" repeated (first at line 3)`}},
		{"label_key_rewritten", ProblemName, []string{`bad/label_key_rewritten.yaml:3: label cache_component: label key "cache__component" would be rewritten by the Prometheus exporter`}},
		{"enum_repeated", ProblemDuplicate, []string{`bad/enum_repeated.yaml:5: label resource_type: enum value "node" repeated`}},
		{"observable_histogram", ProblemUnsupported, []string{"bad/observable_histogram.yaml:4: metric backend_read_seconds: a histogram cannot be observable"}},
		{"value_type_on_provided", ProblemUnsupported, []string{"bad/value_type_on_provided.yaml:5: metric go_goroutines: value_type has no effect on a provided_by metric"}},
		{"bad_exponential", ProblemValue, []string{"bad/bad_exponential.yaml:7: metric backend_read_seconds: buckets.exponential.factor must be > 1, not 1"}},
		{"undeclared_invalid_pattern", ProblemValue, []string{"bad/undeclared_invalid_pattern.yaml:8: undeclared \"exporter_(.*\": match: invalid regular expression (RE2): error parsing regexp: missing closing ): `exporter_(.*`"}},
		{"undeclared_without_description", ProblemKey, []string{`bad/undeclared_without_description.yaml:8: undeclared "exporter_.*": missing required key description`}},
		{"undeclared_matches_declared", ProblemCollision, []string{`bad/undeclared_matches_declared.yaml:7: metric exporter_scrapes_total: also matches the undeclared pattern "exporter_.*" (line 13): a family is declared or undeclared, not both; narrow the pattern so that it leaves exporter_scrapes_total out`}},
		{"undeclared_repeated", ProblemDuplicate, []string{`bad/undeclared_repeated.yaml:10: undeclared "exporter_.*": pattern repeated (first at line 8)`}},
		{"undeclared_empty_pattern", ProblemValue, []string{
			`bad/undeclared_empty_pattern.yaml:8: undeclared: match: empty pattern: it would match no family name`,
			"bad/undeclared_empty_pattern.yaml:10: undeclared: missing required key match (a regular expression for the families' whole names)",
		}},
		{"undeclared_not_a_list", ProblemSyntax, []string{"bad/undeclared_not_a_list.yaml:8: undeclared must be a list of {match, description} entries, not a mapping"}},
		{"undeclared_unknown_key", ProblemKey, []string{`bad/undeclared_unknown_key.yaml:9: undeclared "exporter_.*": unknown key "regex" (allowed: match, description)`}},
		// Lifecycle (lifecycle.go): every key, each of its rules.
		{"stability_unknown", ProblemValue, []string{`bad/stability_unknown.yaml:7: metric rx: invalid stability "experimental" (allowed: development, alpha, beta, stable)`}},
		{"deprecated_replaced_by_unknown", ProblemReference, []string{
			`bad/deprecated_replaced_by_unknown.yaml:9: metric rx: deprecated.replaced_by "rx_bytes_total" names no metric of the catalogue`,
			"bad/deprecated_replaced_by_unknown.yaml:15: metric tx: deprecated.replaced_by names the family itself",
		}},
		{"deprecated_since_empty", ProblemValue, []string{
			"bad/deprecated_since_empty.yaml:7: metric rx: deprecated.since is empty: name the version that deprecated the family",
			`bad/deprecated_since_empty.yaml:13: metric tx: deprecated.since "release 4" has white space`,
		}},
		{"deprecated_without_since", ProblemKey, []string{
			"bad/deprecated_without_since.yaml:8: metric rx: deprecated: missing required key since (the version that deprecated the family)",
			`bad/deprecated_without_since.yaml:9: metric rx: unknown key "removed_in" (allowed: since, note, replaced_by)`,
			`bad/deprecated_without_since.yaml:15: metric tx: deprecated must be a mapping with since, note and replaced_by, not a scalar "4.2"`,
		}},
		{"hidden_not_deprecated", ProblemValue, []string{"bad/hidden_not_deprecated.yaml:7: metric rx: hidden: true needs deprecated: only a deprecated family is hidden"}},
		{"enabled_not_a_boolean", ProblemSyntax, []string{`bad/enabled_not_a_boolean.yaml:7: metric rx: enabled must be true or false, not "no"`}},
		{"max_series_not_positive", ProblemValue, []string{
			"bad/max_series_not_positive.yaml:10: metric rx: max_series must be a whole number from 1 to 2147483647, not 0",
			"bad/max_series_not_positive.yaml:17: metric tx: max_series must be a whole number from 1 to 2147483647, not 2.5",
			`bad/max_series_not_positive.yaml:24: metric drops: max_series must be a number, not "many"`,
		}},
		{"renamed_from_collides", ProblemCollision, []string{
			`bad/renamed_from_collides.yaml:7: metric rx_bytes_total: renamed_from "tx" would expose tx, which metric tx (line 8) already exposes`,
			`bad/renamed_from_collides.yaml:19: metric read_seconds: renamed_from "read_latency" would expose read_latency_count, which metric read_latency_count (line 20) already exposes`,
			`bad/renamed_from_collides.yaml:38: metric write_duration_seconds: renamed_from "write_latency" would expose write_latency, which the renamed_from "write_latency" of metric write_seconds (line 31) already exposes`,
		}},
		{"renamed_from_own_name", ProblemValue, []string{
			`bad/renamed_from_own_name.yaml:7: metric rx: renamed_from "rx" is the family's own name`,
			`bad/renamed_from_own_name.yaml:7: metric rx: renamed_from "rx_total" repeated (first at line 7)`,
		}},
		{"renamed_from_not_verbatim", ProblemName, []string{
			`bad/renamed_from_not_verbatim.yaml:7: metric rx: renamed_from "network.rx" is not kept verbatim`,
			"bad/renamed_from_not_verbatim.yaml:13: metric tx: renamed_from is empty: leave it out if the family has no old name",
		}},
		{"renamed_from_runtime", ProblemCollision, []string{`bad/renamed_from_runtime.yaml:8: metric goroutines: renamed_from "go_goroutines" is a family telediag serves itself (go_collector)`}},
		{"renamed_from_undeclared", ProblemCollision, []string{`bad/renamed_from_undeclared.yaml:7: metric relay_requests_total: renamed_from "upstream_requests_total" also matches the undeclared pattern "upstream_.*" (line 9)`}},
		{"lifecycle_on_provided", ProblemUnsupported, []string{
			"bad/lifecycle_on_provided.yaml:8: metric go_goroutines: deprecated has no effect on a provided_by metric: go_collector serves it as it makes it",
			"bad/lifecycle_on_provided.yaml:9: metric go_goroutines: hidden has no effect on a provided_by metric",
			"bad/lifecycle_on_provided.yaml:10: metric go_goroutines: enabled has no effect on a provided_by metric",
			"bad/lifecycle_on_provided.yaml:11: metric go_goroutines: renamed_from has no effect on a provided_by metric",
			"bad/lifecycle_on_provided.yaml:12: metric go_goroutines: max_series has no effect on a provided_by metric",
		}},
		// Native histograms (native.go): each rule of native:.
		{"native_on_counter", ProblemUnsupported, []string{"bad/native_on_counter.yaml:13: metric rx: native is only valid on a generated histogram, not on a counter"}},
		{"native_not_a_mapping", ProblemSyntax, []string{`bad/native_not_a_mapping.yaml:7: metric rpc_seconds: native must be a mapping with bucket_factor or schema, and optionally max_buckets, zero_threshold and min_reset_duration, not a scalar "1.1"`}},
		{"native_unknown_key", ProblemKey, []string{`bad/native_unknown_key.yaml:9: metric rpc_seconds: unknown key "max_bucket_number" (allowed: bucket_factor, schema, max_buckets, zero_threshold, min_reset_duration)`}},
		{"native_factor_and_schema", ProblemKey, []string{"bad/native_factor_and_schema.yaml:9: metric rpc_seconds: native: bucket_factor (line 8) and schema both given: declare exactly one (schema 3 is the factor 1.09051)"}},
		{"native_without_resolution", ProblemKey, []string{"bad/native_without_resolution.yaml:8: metric rpc_seconds: native: missing bucket_factor or schema"}},
		{"native_bucket_factor", ProblemValue, []string{
			"bad/native_bucket_factor.yaml:8: metric rpc_seconds: native.bucket_factor must be a finite number above 1, not 1",
			"bad/native_bucket_factor.yaml:14: metric tx_seconds: native.bucket_factor must be a finite number above 1, not .inf",
		}},
		{"native_schema", ProblemValue, []string{
			"bad/native_schema.yaml:8: metric rpc_seconds: native.schema must be a whole number from -4 to 8, not 9",
			"bad/native_schema.yaml:14: metric tx_seconds: native.schema must be a whole number from -4 to 8, not 1.5",
		}},
		{"native_max_buckets", ProblemValue, []string{
			"bad/native_max_buckets.yaml:9: metric rpc_seconds: native.max_buckets must be a whole number from 2 to 1024, not 1: the exponential aggregation needs two buckets to lower the resolution into, and every series keeps room for max_buckets from its first value",
			"bad/native_max_buckets.yaml:17: metric tx_seconds: native.max_buckets must be a whole number from 2 to 1024, not 1025",
		}},
		{"native_zero_threshold", ProblemValue, []string{"bad/native_zero_threshold.yaml:9: metric rpc_seconds: native.zero_threshold must be a finite number, 0 or more, not -0.001"}},
		{"native_min_reset_duration", ProblemValue, []string{
			`bad/native_min_reset_duration.yaml:9: metric rpc_seconds: native.min_reset_duration must be a duration such as 1h or 30m, or 0 (never), not "1 hour"`,
			"bad/native_min_reset_duration.yaml:15: metric tx_seconds: native.min_reset_duration must be 0 (never) or more, not -1h",
		}},
		{"label_keys_clash", ProblemCollision, []string{`bad/label_keys_clash.yaml:14: metric teleport_reverse_tunnels_connected: labels resource_type and tunnel_type are both exposed as "type"`}},
	}
	seen := map[string]bool{}
	for _, tt := range tests {
		seen[tt.file+".yaml"] = true
		t.Run(tt.file, func(t *testing.T) {
			data, err := os.ReadFile(filepath.Join("testdata", "bad", tt.file+".yaml"))
			if err != nil {
				t.Fatal(err)
			}
			c, err := Parse("bad/"+tt.file+".yaml", data)
			if err == nil {
				t.Fatalf("accepted: %+v", c)
			}
			var ps Problems
			if !errors.As(err, &ps) {
				t.Fatalf("error %T is not Problems: %v", err, err)
			}
			first := slices.IndexFunc(ps, func(p Problem) bool { return strings.Contains(p.String(), tt.want[0]) })
			if first < 0 || ps[first].Kind != tt.kind {
				t.Errorf("the problem %q is not of kind %s: %+v", tt.want[0], tt.kind, ps)
			}
			msg := err.Error()
			rest := msg
			for _, w := range tt.want {
				i := strings.Index(rest, w)
				if i < 0 {
					t.Fatalf("error lacks (in order)\n  %s\ngot:\n%s", w, msg)
				}
				rest = rest[i+len(w):]
			}
		})
	}
	// Every fixture must be in the table, so a new rule cannot ship without its assertion.
	entries, err := os.ReadDir("testdata/bad")
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !seen[e.Name()] {
			t.Errorf("testdata/bad/%s has no case in TestLoadBad", e.Name())
		}
	}
}

// TestAllProblemsInOneRun checks that problems of different metrics and kinds are all
// reported together, sorted by line.
func TestAllProblemsInOneRun(t *testing.T) {
	src := `labels:
  unused:
    description: never used
metrics:
  - name: a.b
    kind: counter
    value_type: int
    unit: By
    description: x
  - name: ok_one
    kind: gauge
    value_type: float
    unit: "{thing"
    description: ""
`
	_, err := Parse("multi.yaml", []byte(src))
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("err = %v", err)
	}
	want := []int{2, 5, 12, 13, 14}
	var got []int
	for _, p := range ps {
		got = append(got, p.Line)
	}
	if len(got) != len(want) {
		t.Fatalf("lines %v, want %v:\n%v", got, want, err)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("lines %v, want %v:\n%v", got, want, err)
		}
	}
}

func TestValidateUnit(t *testing.T) {
	for _, ok := range []string{"1", "s", "ms", "us", "By", "KiBy", "MiBy", "kBy", "%", "{request}", "By/s", "{request}/s", "bit", "Hz", "min", "h", "d", "s{wall}"} {
		if err := ValidateUnit(ok); err != nil {
			t.Errorf("ValidateUnit(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", "seconds", "sec", "b", "bytes", "{}", "{a b}", "{open", "Kis", "k%", "/s", "s/", "B"} {
		if err := ValidateUnit(bad); err == nil {
			t.Errorf("ValidateUnit(%q) accepted", bad)
		}
	}
}

// TestProblemSubjects: every problem says what it is about in its typed fields, which String
// prints, so that a program (the importer) never reads the text.
func TestProblemSubjects(t *testing.T) {
	src := `labels:
  unused:
    description: never used
metrics:
  - name: rx
    kind: meter
    value_type: int
    unit: By
    description: x
  - kind: counter
    value_type: int
    unit: By
    description: y
`
	_, err := Parse("subjects.yaml", []byte(src))
	var ps Problems
	if !errors.As(err, &ps) {
		t.Fatalf("err = %v", err)
	}
	want := []Problem{
		{File: "subjects.yaml", Line: 2, Subject: SubjectLabel, Label: "unused", Kind: ProblemReference, Msg: "declared but used by no metric"},
		{File: "subjects.yaml", Line: 6, Subject: SubjectMetric, Metric: "rx", Kind: ProblemValue, Msg: `invalid kind "meter" (allowed: counter, updowncounter, gauge, histogram, summary)`},
		{File: "subjects.yaml", Line: 10, Subject: SubjectMetric, Kind: ProblemKey, Msg: "missing required key name"},
	}
	if !slices.Equal(ps, want) {
		t.Fatalf("problems\n%#v\nwant\n%#v", ps, want)
	}
	for p, s := range map[Problem]string{
		ps[0]: "subjects.yaml:2: label unused: declared but used by no metric",
		ps[1]: `subjects.yaml:6: metric rx: invalid kind "meter"`,
		ps[2]: "subjects.yaml:10: metric: missing required key name",
		{File: "f", Line: 1, Kind: ProblemSyntax, Msg: "empty file"}:                                                 "f:1: empty file",
		{File: "f", Line: 3, Subject: SubjectEnumValue, Label: "mood", Value: "🙂", Kind: ProblemCollision, Msg: "x"}: `f:3: label mood value "🙂": x`,
		{File: "f", Line: 4, Subject: SubjectUndeclared, Value: "x_.*", Kind: ProblemValue, Msg: "x"}:                `f:4: undeclared "x_.*": x`,
		{File: "f", Line: 5, Subject: SubjectUndeclared, Kind: ProblemKey, Msg: "x"}:                                 "f:5: undeclared: x",
	} {
		if !strings.HasPrefix(p.String(), s) {
			t.Errorf("%#v prints %q, want it to start with %q", p, p, s)
		}
	}
}

// TestLoadLifecycle: every lifecycle key as loaded, the defaults of an entry without them, and
// what the pipeline and the tools derive from them (HELP, old names' series, switches).
func TestLoadLifecycle(t *testing.T) {
	c, err := Load("testdata/lifecycle.yaml")
	if err != nil {
		t.Fatal(err)
	}
	req, read, hits, misses, debug, gor := c.Metric("backend_requests_total"), c.Metric("backend_read_seconds"),
		c.Metric("cache_hits_total"), c.Metric("cache_misses_total"), c.Metric("debug_queue_depth"), c.Metric("go_goroutines")
	// Defaults: stable, enabled, not hidden, no deprecation, no old name, no budget.
	if req.Stability != StabilityStable || req.Deprecated != nil || req.Hidden || !req.Enabled() || debug.Enabled() {
		t.Errorf("defaults: %+v / disabled %+v", req.Lifecycle, debug.Lifecycle)
	}
	if !slices.Equal(req.RenamedFrom, []string{"backend_reqs", "backend_requests"}) || req.MaxSeries != 50 || read.MaxSeries != 0 {
		t.Errorf("renamed_from %v, max_series %d/%d", req.RenamedFrom, req.MaxSeries, read.MaxSeries)
	}
	for m, want := range map[*Metric]Stability{read: StabilityBeta, hits: StabilityAlpha, misses: StabilityDevelopment, gor: StabilityBeta} {
		if m.Stability != want {
			t.Errorf("%s: stability %q, want %q", m.Name, m.Stability, want)
		}
	}
	if d := hits.Deprecated; d == nil || d.Since != "4.2" || d.ReplacedBy != "backend_requests_total" || !strings.HasPrefix(d.Note, "Hits are") || d.Line != 27 {
		t.Errorf("deprecated: %+v", d)
	}
	if !misses.Hidden || misses.Deprecated.Since != "v4.1.0" {
		t.Errorf("hidden: %+v", misses.Lifecycle)
	}
	// The HELP: Kubernetes' prefix on a deprecated family; an old name's says where it went.
	for _, tc := range []struct {
		m          *Metric
		name, want string
	}{
		{req, "backend_requests_total", "Requests to the backend."},
		{req, "backend_reqs", "(Deprecated: renamed to backend_requests_total) Requests to the backend."},
		{hits, "cache_hits_total", "(Deprecated since 4.2) Cache hits."},
	} {
		if got := tc.m.HelpFor(tc.name); got != tc.want {
			t.Errorf("HelpFor(%s) = %q, want %q", tc.name, got, tc.want)
		}
	}
	if got := read.RenamedSeries(); !slices.Equal(got, []string{"backend_read_latency_seconds_bucket", "backend_read_latency_seconds_sum", "backend_read_latency_seconds_count"}) {
		t.Errorf("RenamedSeries = %v", got)
	}
	for name, want := range map[string]*Metric{"backend_requests": req, "backend_read_seconds": read, "backend_read_latency_seconds": read, "rx": nil} {
		if got := c.MetricServing(name); got != want {
			t.Errorf("MetricServing(%s) = %v", name, got)
		}
	}
}

// TestStabilityLevels: the order of the levels, which of them a diff holds, and the empty
// level of a Metric built by hand read as the default.
func TestStabilityLevels(t *testing.T) {
	for s, want := range map[Stability]struct {
		rank       int
		guaranteed bool
	}{
		StabilityDevelopment: {0, false}, StabilityAlpha: {1, false}, StabilityBeta: {2, true}, StabilityStable: {3, true},
		"": {3, true}, "experimental": {-1, false},
	} {
		if s.Rank() != want.rank || s.Guaranteed() != want.guaranteed {
			t.Errorf("%q: rank %d guaranteed %v, want %+v", s, s.Rank(), s.Guaranteed(), want)
		}
	}
	if Stability("").Level() != DefaultStability || DefaultStability != StabilityStable {
		t.Error("the default level is not stable")
	}
}

// TestSwitches: what the operator's switches serve: a disabled family only when an -enable
// matches, nothing a -disable matches (it wins), a hidden one only when hidden ones are shown.
func TestSwitches(t *testing.T) {
	c, err := Load("testdata/lifecycle.yaml")
	if err != nil {
		t.Fatal(err)
	}
	glob := func(exprs ...string) []Glob {
		var out []Glob
		for _, e := range exprs {
			g, err := CompileGlob(e)
			if err != nil {
				t.Fatal(err)
			}
			out = append(out, g)
		}
		return out
	}
	served := func(s Switches) []string {
		var out []string
		for _, m := range c.Metrics {
			if m.Generated() && s.Served(m) {
				out = append(out, m.Name)
			}
		}
		return out
	}
	for _, tc := range []struct {
		name string
		s    Switches
		want []string
	}{
		{"defaults", Switches{}, []string{"backend_requests_total", "backend_read_seconds", "cache_hits_total"}},
		{"enable", Switches{Enable: glob("debug_*")}, []string{"backend_requests_total", "backend_read_seconds", "cache_hits_total", "debug_queue_depth"}},
		{"disable wins", Switches{Enable: glob("debug_*"), Disable: glob("debug_queue_depth", "backend_*")}, []string{"cache_hits_total"}},
		{"show hidden", Switches{ShowHidden: true, Disable: glob("cache_hits_[a-z]otal")}, []string{"backend_requests_total", "backend_read_seconds", "cache_misses_total"}},
	} {
		if got := served(tc.s); !slices.Equal(got, tc.want) {
			t.Errorf("%s: served %v, want %v", tc.name, got, tc.want)
		}
	}
	for expr, want := range map[string]string{"": "empty glob", "a[": "syntax error in pattern"} {
		if _, err := CompileGlob(expr); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("CompileGlob(%q) = %v, want %q", expr, err, want)
		}
	}
	if (Glob{}).Match("") || !glob("backend_*")[0].Match("backend_x") || glob("backend_*")[0].Match("my_backend_x") {
		t.Error("globs match whole names, and the zero Glob nothing")
	}
}
