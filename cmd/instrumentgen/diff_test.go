package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/catalogdiff"
)

const repoCatalogue = "../../instruments.yaml"

// The entries of instruments.yaml the edits below change, verbatim.
const (
	rxEntry = `  - name: rx
    section: "All Teleport instances"
    kind: counter
    value_type: int
    unit: "By"
    description: "Number of bytes received during an SSH connection."
`
	readSecondsEntry = `  - name: backend_read_seconds
    section: "Auth Service and backends"
    kind: histogram
    value_type: double
    unit: "s"
    description: "Latency for read operations."
    labels: [component]
    buckets: {exponential: {start: 0.001, factor: 2, count: 16}}  # 1 ms … 32.768 s, as Teleport
`
	resourceTypes = "enum: [node, kube, app, db, db_service, windows_desktop_service]"
)

// editedCatalogue writes instruments.yaml with each old→new replacement applied once; every old
// text must be there, so that an edit of the catalogue cannot make a case pass vacuously.
func editedCatalogue(t *testing.T, pairs ...string) string {
	t.Helper()
	b, err := os.ReadFile(repoCatalogue)
	if err != nil {
		t.Fatal(err)
	}
	s := string(b)
	for i := 0; i+1 < len(pairs); i += 2 {
		if strings.Count(s, pairs[i]) != 1 {
			t.Fatalf("edit: %q occurs %d times in %s, want once", pairs[i], strings.Count(s, pairs[i]), repoCatalogue)
		}
		s = strings.Replace(s, pairs[i], pairs[i+1], 1)
	}
	path := filepath.Join(t.TempDir(), "instruments.yaml")
	if err := os.WriteFile(path, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func diff(t *testing.T, stdin string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = runDiff(args, strings.NewReader(stdin), &out, &errb)
	return code, out.String(), errb.String()
}

// TestDiffOfEditedCatalogues runs the diff of instruments.yaml against an edited copy of it for
// every kind of change: breaking ones exit 1 and are named, compatible ones exit 0.
func TestDiffOfEditedCatalogues(t *testing.T) {
	for _, tc := range []struct {
		name  string
		edits []string
		code  int
		want  []string // lines of the output contain these, in order
	}{
		{"metric removed", []string{rxEntry, ""}, 1,
			[]string{"breaking: metric rx: metric: removed"}},
		{"metric renamed", []string{"  - name: rx\n", "  - name: rx_total_bytes\n"}, 1,
			[]string{"breaking: metric rx: name: renamed to rx_total_bytes"}},
		{"counter becomes a gauge", []string{rxEntry, strings.Replace(rxEntry, "kind: counter", "kind: gauge", 1)}, 1,
			[]string{"breaking: metric rx: kind: exposed type changed from counter to gauge"}},
		{"histogram becomes a gauge", []string{readSecondsEntry, strings.Replace(strings.Replace(readSecondsEntry, "kind: histogram", "kind: gauge", 1),
			"    buckets: {exponential: {start: 0.001, factor: 2, count: 16}}  # 1 ms … 32.768 s, as Teleport\n", "", 1)}, 1,
			[]string{"breaking: metric backend_read_seconds: kind: exposed type changed from histogram to gauge"}},
		{"label removed", []string{readSecondsEntry, strings.Replace(readSecondsEntry, "    labels: [component]\n", "", 1)}, 1,
			[]string{"breaking: metric backend_read_seconds: labels.component: label component removed"}},
		{"exposed key changed", []string{"  cluster_state:\n    key: state\n", "  cluster_state:\n    key: tunnel_state\n"}, 1,
			[]string{"breaking: metric trusted_clusters: labels.cluster_state.key: exposed key changed from state to tunnel_state"}},
		{"buckets changed", []string{readSecondsEntry, strings.Replace(readSecondsEntry, "count: 16", "count: 17", 1)}, 1,
			[]string{"breaking: metric backend_read_seconds: buckets: boundaries changed (le 65.536 added)"}},
		{"enum value removed", []string{resourceTypes, "enum: [node, kube, app, db, db_service]"}, 1,
			[]string{`breaking: metric teleport_connected_resources: labels.resource_type.enum: enum value "windows_desktop_service" removed`}},

		{"metric added", []string{rxEntry, rxEntry + strings.ReplaceAll(strings.ReplaceAll(rxEntry, "rx", "rx_frames"), "bytes", "frames")}, 0,
			[]string{"compatible: metric rx_frames: metric: added (counter)"}},
		{"description reworded", []string{`"Number of bytes received during an SSH connection."`, `"Bytes received over SSH connections."`}, 0,
			[]string{"compatible: metric rx: description: reworded"}},
		{"section reworded", []string{rxEntry, strings.Replace(rxEntry, "All Teleport instances", "SSH", 1)}, 0,
			[]string{`compatible: metric rx: section: moved from section "All Teleport instances" to "SSH"`}},
		{"enum value added", []string{resourceTypes, strings.Replace(resourceTypes, "]", ", okta]", 1)}, 0,
			[]string{`compatible: metric teleport_connected_resources: labels.resource_type.enum: enum value "okta" added`}},
		{"label added", []string{rxEntry, rxEntry + "    labels: [component]\n"}, 0,
			[]string{"compatible: metric rx: labels.component: label component added: new series appear"}},
		{"value type changed", []string{rxEntry, strings.Replace(rxEntry, "value_type: int", "value_type: double", 1)}, 0,
			[]string{"compatible: metric rx: value_type: value type changed from int to double: /metrics exposes the same series; over OTLP its data points carry as_double instead of as_int"}},
		{"unit changed", []string{rxEntry, strings.Replace(rxEntry, `unit: "By"`, `unit: "KiBy"`, 1)}, 0,
			[]string{"compatible: metric rx: unit: unit changed from By to KiBy: the name on /metrics is verbatim and does not change"}},
		{"nothing changed", nil, 0, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			edited := editedCatalogue(t, tc.edits...)
			code, stdout, stderr := diff(t, "", repoCatalogue, edited)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			lines := strings.Split(strings.TrimSpace(stdout), "\n")
			if want := len(tc.want) + 1; len(lines) != want { // one line per change and the summary
				t.Errorf("%d lines, want %d:\n%s", len(lines), want, stdout)
			}
			for i, w := range tc.want {
				if i >= len(lines) || !strings.Contains(lines[i], w) {
					t.Errorf("line %d does not contain %q:\n%s", i+1, w, stdout)
				}
				if i < len(lines) && !regexp.MustCompile(`^\S+\.yaml:\d+: `).MatchString(lines[i]) {
					t.Errorf("line %d has no FILE:LINE: %s", i+1, lines[i])
				}
			}
			summary := lines[len(lines)-1]
			if !strings.Contains(summary, repoCatalogue+" → "+edited+": ") || !strings.HasSuffix(summary, "change(s)") {
				t.Errorf("summary: %s", summary)
			}
		})
	}
}

func TestDiffReadsOneSideFromStdin(t *testing.T) {
	old, err := os.ReadFile(repoCatalogue)
	if err != nil {
		t.Fatal(err)
	}
	edited := editedCatalogue(t, rxEntry, "")
	code, stdout, stderr := diff(t, string(old), "-", edited)
	if code != 1 || !strings.Contains(stdout, "stdin:") || !strings.Contains(stdout, "breaking: metric rx: metric: removed") {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	// The other way round: stdin is the new side.
	if code, stdout, _ := diff(t, string(old), edited, "-"); code != 0 || !strings.Contains(stdout, "stdin:") {
		t.Errorf("exit %d\n%s", code, stdout)
	}
}

func TestDiffOfAnInvalidCatalogueExits2WithFileAndLine(t *testing.T) {
	bad := editedCatalogue(t, rxEntry, rxEntry+"    colour: blue\n")
	code, stdout, stderr := diff(t, "", repoCatalogue, bad)
	if code != 2 || stdout != "" {
		t.Errorf("exit %d, stdout %q, want 2 and nothing", code, stdout)
	}
	line := strings.Count(strings.SplitN(mustRead(t, bad), "    colour: blue", 2)[0], "\n") + 1
	if want := bad + ":" + strconv.Itoa(line) + `: metric rx: unknown key "colour"`; !strings.Contains(stderr, want) {
		t.Errorf("stderr does not contain %q:\n%s", want, stderr)
	}
	// On stdin, and found only by generation (as -check finds it): two enum values that make one
	// Go constant.
	collision := mustRead(t, "../../internal/codegen/testdata/enum_collision.yaml")
	code, _, stderr = diff(t, collision, "-", repoCatalogue)
	if code != 2 || !regexp.MustCompile(`(?m)^stdin:\d+: `).MatchString(stderr) {
		t.Errorf("exit %d, want 2 and stdin:LINE\n%s", code, stderr)
	}
	var checkOut, checkErr bytes.Buffer
	if run([]string{"-check", "../../internal/codegen/testdata/enum_collision.yaml"}, &checkOut, &checkErr) == 0 {
		t.Fatal("-check accepts enum_collision.yaml, so this case tests nothing")
	}
	if code, _, stderr := diff(t, "", repoCatalogue, filepath.Join(t.TempDir(), "missing.yaml")); code != 2 || !strings.Contains(stderr, "missing.yaml") {
		t.Errorf("missing file: exit %d, stderr %q", code, stderr)
	}
}

func TestDiffJSON(t *testing.T) {
	edited := editedCatalogue(t, rxEntry, "", `"Latency for read operations."`, `"Read latency."`)
	code, stdout, stderr := diff(t, "", "-json", repoCatalogue, edited)
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var rep diffReport
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("not the JSON report: %v\n%s", err, stdout)
	}
	if rep.Old != repoCatalogue || rep.New != edited || rep.Breaking != 1 || rep.Compatible != 1 || len(rep.Changes) != 2 {
		t.Fatalf("report: %+v", rep)
	}
	// In the old file's order: backend_read_seconds comes before rx.
	rm := rep.Changes[1]
	if rm.Severity != catalogdiff.Breaking || rm.Metric != "rx" || rm.Field != "metric" || rm.File != repoCatalogue || rm.Line == 0 || len(rm.Series) != 1 {
		t.Errorf("removal: %+v", rm)
	}
	if c := rep.Changes[0]; c.Severity != catalogdiff.Compatible || c.Field != "description" || c.Old != "Latency for read operations." || c.New != "Read latency." {
		t.Errorf("rewording: %+v", c)
	}
	// No change is an empty list, not null.
	_, stdout, _ = diff(t, "", "-json", repoCatalogue, repoCatalogue)
	if !strings.Contains(stdout, `"changes": []`) {
		t.Errorf("no changes:\n%s", stdout)
	}
}

// TestDiffQueries: -queries lists the rule and dashboard queries of deploy/ that name a series a
// breaking change touches, and only those: new buckets break backend_read_seconds_bucket, not
// the _count the dashboard rates.
func TestDiffQueries(t *testing.T) {
	edited := editedCatalogue(t, readSecondsEntry, strings.Replace(readSecondsEntry, "count: 16", "count: 12", 1),
		rxEntry, strings.Replace(rxEntry, "Number of bytes", "Bytes", 1))
	code, stdout, stderr := diff(t, "", "-queries", "../../deploy", repoCatalogue, edited)
	if code != 1 {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	var rules, dash int
	for _, l := range strings.Split(stdout, "\n") {
		if !strings.Contains(l, " names ") {
			continue
		}
		if !strings.Contains(l, "backend_read_seconds_bucket") || strings.Contains(l, "names rx") || strings.Contains(l, "_count") {
			t.Errorf("a query of a family no breaking change touches: %s", l)
		}
		switch {
		case strings.Contains(l, "deploy/prometheus/telediag.rules.yaml:"):
			rules++
		case strings.Contains(l, "deploy/grafana/telediag.json:"):
			dash++
		}
	}
	if rules == 0 || dash == 0 {
		t.Errorf("%d rule and %d dashboard queries of backend_read_seconds listed, want some of each:\n%s", rules, dash, stdout)
	}
	if code, _, stderr := diff(t, "", "-queries", "no/such/dir", repoCatalogue, edited); code != 2 || !strings.Contains(stderr, "-queries no/such/dir") {
		t.Errorf("missing -queries dir: exit %d, %s", code, stderr)
	}
}

func TestDiffUsage(t *testing.T) {
	for _, args := range [][]string{nil, {repoCatalogue}, {"-", "-"}, {"-nope", repoCatalogue, repoCatalogue}, {repoCatalogue, repoCatalogue, repoCatalogue}} {
		if code, _, _ := diff(t, "", args...); code != 2 {
			t.Errorf("%q: exit %d, want 2", args, code)
		}
	}
	// Through instrumentgen's own dispatch.
	var out, errb bytes.Buffer
	if code := run([]string{"diff", repoCatalogue, repoCatalogue}, &out, &errb); code != 0 || !strings.Contains(out.String(), "0 breaking, 0 compatible") {
		t.Errorf("instrumentgen diff: exit %d\n%s%s", code, out.String(), errb.String())
	}
}

func mustRead(t *testing.T, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestDiffSummaryToHistogram: a summary declared as a histogram instead breaks the queries
// that select quantile on it, and -queries names the rule that does, not the one on _count.
func TestDiffSummaryToHistogram(t *testing.T) {
	const dir = "testdata/summary/"
	code, stdout, stderr := diff(t, "", "-queries", dir+"rules", dir+"old.yaml", dir+"new.yaml")
	if code != 1 {
		t.Fatalf("exit %d, want 1 (breaking)\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		dir + "new.yaml:7: breaking: metric shop_rpc_seconds: kind: exposed type changed from summary to histogram: the quantile series shop_rpc_seconds{quantile=…} disappear",
		dir + "rules/shop.yaml:5: expr names shop_rpc_seconds",
	} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "rules/shop.yaml:8") {
		t.Errorf("the rule on shop_rpc_seconds_count, which reads as before, is listed:\n%s", stdout)
	}
	// And back: the histogram's buckets are what breaks.
	code, stdout, _ = diff(t, "", dir+"new.yaml", dir+"old.yaml")
	if code != 1 || !strings.Contains(stdout, "exposed type changed from histogram to summary: shop_rpc_seconds_bucket disappears") {
		t.Errorf("histogram to summary: exit %d\n%s", code, stdout)
	}
}

// TestDiffNativeAddedNamesQueries: native buckets added to instruments.yaml's
// backend_read_seconds fail the diff and, with -queries, name deploy's rule and dashboard
// queries of its classic series, _count included (a Prometheus that scrapes native histograms
// stores none of them); a change of the native resolution alone exits 0 as compatible.
func TestDiffNativeAddedNamesQueries(t *testing.T) {
	const native = "\n    native: {bucket_factor: 1.1}\n"
	withNative := strings.TrimSuffix(readSecondsEntry, "\n") + native
	edited := editedCatalogue(t, readSecondsEntry, withNative)
	code, stdout, stderr := diff(t, "", "-queries", "../../deploy", repoCatalogue, edited)
	if code != 1 || !strings.Contains(stdout, "breaking: metric backend_read_seconds: native: native buckets added beside the classic ones") ||
		!strings.Contains(stdout, "always_scrape_classic_histograms: true") {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	var bucket, count int
	for _, l := range strings.Split(stdout, "\n") {
		if !strings.Contains(l, " names ") {
			continue
		}
		if strings.Contains(l, "backend_read_seconds_bucket") {
			bucket++
		}
		if strings.Contains(l, "backend_read_seconds_count") {
			count++
		}
	}
	if bucket == 0 || count == 0 {
		t.Errorf("%d queries of _bucket and %d of _count listed, want some of each:\n%s", bucket, count, stdout)
	}
	coarser := editedCatalogue(t, readSecondsEntry, strings.Replace(withNative, "bucket_factor: 1.1", "schema: 1", 1))
	code, stdout, stderr = diff(t, "", edited, coarser)
	if code != 0 || !strings.Contains(stdout, "compatible: metric backend_read_seconds: native: native resolution changed") {
		t.Errorf("resolution changed: exit %d\n%s\n%s", code, stdout, stderr)
	}
}
