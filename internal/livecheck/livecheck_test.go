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
	cat, err := catalog.Load("testdata/instruments.yaml")
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
	if fs := Run(cat, fams); len(fs) != 0 {
		t.Errorf("findings on a conforming service:\n%s", strings.Join(summary(fs), "\n"))
	}
	if Failed(nil) {
		t.Error("no finding fails")
	}
}

// TestOneFaultOfEachKind: every faulty family is named, with its check, and only they are.
func TestOneFaultOfEachKind(t *testing.T) {
	cat, fams := setup(t, "testdata/faults.prom")
	fs := Run(cat, fams)
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
	fs := Run(cat, exp.Families)
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
	for _, f := range Run(cat, nil) {
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
	fs := Run(cat, append(fams, extra.Families...))
	if got := summary(fs); !slices.Equal(got, []string{"promhttp_metric_handler_errors_total undeclared error"}) {
		t.Errorf("findings %v, want promhttp_metric_handler_errors_total undeclared alone", got)
	}
}
