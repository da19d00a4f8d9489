package livecheck

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/scrape"
)

func setup(t *testing.T, exposition string) (*catalog.Catalog, []*dto.MetricFamily) {
	t.Helper()
	return setupWith(t, "testdata/instruments.yaml", exposition)
}

func setupWith(t *testing.T, catalogue, exposition string) (*catalog.Catalog, []*dto.MetricFamily) {
	t.Helper()
	cat, err := catalog.Load(catalogue)
	if err != nil {
		t.Fatal(err)
	}
	exp, err := scrape.Open(exposition, nil)
	if err != nil {
		t.Fatal(err)
	}
	return cat, exp.Families
}

func summary(fs []Finding) []string {
	out := make([]string, len(fs))
	for i, f := range fs {
		out[i] = fmt.Sprintf("%s %s %s", f.Family, f.Check, f.Severity)
	}
	return out
}

// TestConforming: a service serving what it declares has no finding. Families that need not be
// there (a labelled gauge, a synchronous gauge) may be absent, runtime families and target_info
// are not the catalogue's business, and a provided family's HELP is its collector's.
func TestConforming(t *testing.T) {
	cat, fams := setup(t, "testdata/good.prom")
	if fs := Run(cat, fams).Findings; len(fs) != 0 {
		t.Errorf("findings on a conforming service:\n%s", strings.Join(summary(fs), "\n"))
	}
	if Failed(nil) {
		t.Error("no finding fails")
	}
}

// TestOneFaultOfEachKind: every faulty family is named, with its check, and only they are.
func TestOneFaultOfEachKind(t *testing.T) {
	cat, fams := setup(t, "testdata/faults.prom")
	fs := Run(cat, fams).Findings
	want := []string{
		"failures_total missing error",
		"in_flight type error",
		"latency_seconds buckets error",
		"queue_depth labels error",
		"requests_total enum error",
		"surprise_total undeclared error",
		"uptime_seconds help warning",
	}
	if got := summary(fs); !slices.Equal(got, want) {
		t.Fatalf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	for _, f := range fs {
		if m := cat.Metric(f.Family); m != nil && f.Line != m.Line {
			t.Errorf("%s: line %d, declared at %d", f.Family, f.Line, m.Line)
		}
	}
	messages := map[string]string{}
	for _, f := range fs {
		messages[f.Family] = f.Message
	}
	for family, want := range map[string]string{
		"failures_total":  "not served: a counter without labels is on /metrics from the moment it is created",
		"in_flight":       "declared up-down counter (served as a Prometheus gauge), served as a counter",
		"latency_seconds": "buckets differ: declared [0.1, 1], served [0.1, 0.5, 1]",
		"queue_depth":     "label names differ: declared [queue], served [name] (undeclared name; missing queue)",
		"requests_total":  `label method has values outside its enum [GET, POST]: "PUT"`,
		"surprise_total":  "served as a counter but not declared in testdata/instruments.yaml",
		"uptime_seconds":  `declared "Time since start.", served "Seconds since the process started."`,
	} {
		if !strings.Contains(messages[family], want) {
			t.Errorf("%s: %q, want it to contain %q", family, messages[family], want)
		}
	}
	if !Failed(fs) {
		t.Error("errors do not fail")
	}
	if Failed(fs[len(fs)-1:]) {
		t.Error("a warning alone fails")
	}
}

// TestOverflowSeries: the SDK's overflow series is a warning, and does not count as a series
// without the declared labels.
func TestOverflowSeries(t *testing.T) {
	cat, err := catalog.Load("testdata/instruments.yaml")
	if err != nil {
		t.Fatal(err)
	}
	exp, err := scrape.Open("-", strings.NewReader(`# HELP failures_total Requests that failed.
# TYPE failures_total counter
failures_total 0
# HELP in_flight Requests being answered.
# TYPE in_flight gauge
in_flight 0
# HELP requests_total Requests answered.
# TYPE requests_total counter
requests_total{code="200",method="GET"} 2
requests_total{otel_metric_overflow="true"} 7
# HELP uptime_seconds Time since start.
# TYPE uptime_seconds gauge
uptime_seconds 1
`))
	if err != nil {
		t.Fatal(err)
	}
	fs := Run(cat, exp.Families).Findings
	if got := summary(fs); !slices.Equal(got, []string{"requests_total overflow warning"}) {
		t.Errorf("findings %v", got)
	}
}

// TestMissingOnlyWhatAlwaysExists: the families whose series exist from creation are the
// label-less counters, up-down counters and observables.
func TestMissingOnlyWhatAlwaysExists(t *testing.T) {
	cat, err := catalog.Load("testdata/instruments.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var missing []string
	for _, f := range Run(cat, nil).Findings {
		if f.Check == Missing {
			missing = append(missing, f.Family)
		}
	}
	if want := []string{"failures_total", "in_flight", "uptime_seconds"}; !slices.Equal(missing, want) {
		t.Errorf("missing on an empty /metrics: %v, want %v", missing, want)
	}
}

func TestWithArticle(t *testing.T) {
	for kind, want := range map[string]string{
		"counter": "a counter", "untyped": "an untyped", "observable gauge": "an observable gauge", "up-down counter": "an up-down counter",
	} {
		if got := withArticle(kind); got != want {
			t.Errorf("withArticle(%q) = %q, want %q", kind, got, want)
		}
	}
}

// TestOnlyWhatTelemetryServesIsRuntime: a promhttp family telemetry's handler serves is not the
// catalogue's business, but promhttp_metric_handler_errors_total, which promhttp serves only
// when a service gives it HandlerOpts.Registry and telemetry does not, is the service's own:
// undeclared, it is a finding.
func TestOnlyWhatTelemetryServesIsRuntime(t *testing.T) {
	cat, fams := setup(t, "testdata/good.prom")
	extra, err := scrape.Open("-", strings.NewReader(`# HELP promhttp_metric_handler_errors_total Total number of internal errors encountered by the promhttp metric handler.
# TYPE promhttp_metric_handler_errors_total counter
promhttp_metric_handler_errors_total{cause="encoding"} 0
promhttp_metric_handler_errors_total{cause="gathering"} 0
# HELP promhttp_metric_handler_requests_in_flight Current number of scrapes being served.
# TYPE promhttp_metric_handler_requests_in_flight gauge
promhttp_metric_handler_requests_in_flight 1
`))
	if err != nil {
		t.Fatal(err)
	}
	fs := Run(cat, append(fams, extra.Families...)).Findings
	if got := summary(fs); !slices.Equal(got, []string{"promhttp_metric_handler_errors_total undeclared error"}) {
		t.Errorf("findings %v, want promhttp_metric_handler_errors_total undeclared alone", got)
	}
}

func mustPatterns(t *testing.T, exprs ...string) []catalog.Pattern {
	t.Helper()
	var out []catalog.Pattern
	for _, e := range exprs {
		p, err := catalog.CompilePattern(e)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, p)
	}
	return out
}

// TestRunTimeFamiliesIgnored: families a service makes at run time (upstream_*, relay_*) fail
// the check until a pattern covers them; covered by the catalogue's undeclared list or by
// ignore patterns, the service conforms, and each pattern says which families it left alone,
// a family two patterns match going to the first.
func TestRunTimeFamiliesIgnored(t *testing.T) {
	cat, fams := setup(t, "testdata/runtime.prom")
	var undeclared []string
	for _, f := range Run(cat, fams).Findings {
		undeclared = append(undeclared, f.Family+" "+string(f.Check))
	}
	if want := []string{"relay_buffer_bytes undeclared", "upstream_orders_placed_total undeclared", "upstream_up undeclared"}; !slices.Equal(undeclared, want) {
		t.Fatalf("without patterns: %v, want %v", undeclared, want)
	}

	for _, tc := range []struct {
		name      string
		catalogue string
		ignore    []string
		want      []Ignored
	}{
		{"ignore flags", "testdata/instruments.yaml", []string{"upstream_.*", "relay_.*", "unused_.*"}, []Ignored{
			{Pattern: "upstream_.*", From: FromIgnore, Families: []string{"upstream_orders_placed_total", "upstream_up"}},
			{Pattern: "relay_.*", From: FromIgnore, Families: []string{"relay_buffer_bytes"}},
			{Pattern: "unused_.*", From: FromIgnore, Families: []string{}},
		}},
		{"catalogue key and a flag", "testdata/undeclared.yaml", []string{"relay_.*|upstream_up"}, []Ignored{
			{Pattern: "upstream_.*", From: FromCatalogue, Line: 65, Families: []string{"upstream_orders_placed_total", "upstream_up"}},
			{Pattern: "relay_.*|upstream_up", From: FromIgnore, Families: []string{"relay_buffer_bytes"}},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cat, fams := setupWith(t, tc.catalogue, "testdata/runtime.prom")
			res := Run(cat, fams, mustPatterns(t, tc.ignore...)...)
			if len(res.Findings) != 0 || res.Failed() {
				t.Errorf("findings: %v", summary(res.Findings))
			}
			if !slices.EqualFunc(res.Ignored, tc.want, func(a, b Ignored) bool {
				return a.Pattern == b.Pattern && a.From == b.From && a.Line == b.Line && slices.Equal(a.Families, b.Families)
			}) {
				t.Errorf("ignored %+v\nwant    %+v", res.Ignored, tc.want)
			}
		})
	}
}

// TestIgnoreNeverHidesDeclared: a pattern that also matches declared families leaves them
// checked: a missing label-less counter and a retyped family still fail.
func TestIgnoreNeverHidesDeclared(t *testing.T) {
	cat, fams := setup(t, "testdata/faults.prom")
	res := Run(cat, fams, mustPatterns(t, ".*")...)
	want := []string{
		"failures_total missing error",
		"in_flight type error",
		"latency_seconds buckets error",
		"queue_depth labels error",
		"requests_total enum error",
		"uptime_seconds help warning",
	}
	if got := summary(res.Findings); !slices.Equal(got, want) {
		t.Fatalf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if got := res.Ignored[0].Families; !slices.Equal(got, []string{"surprise_total"}) {
		t.Errorf(".* ignored %v, want only the undeclared surprise_total", got)
	}
}

func TestListFamilies(t *testing.T) {
	ig := Ignored{Families: []string{"a", "b"}}
	if got := ig.ListFamilies(); got != "a, b" {
		t.Errorf("%q", got)
	}
	ig.Families = strings.Split("a b c d e f g h i j", " ")
	if got := ig.ListFamilies(); got != "a, b, c, d, e, f, g, h and 2 more" {
		t.Errorf("%q", got)
	}
}
