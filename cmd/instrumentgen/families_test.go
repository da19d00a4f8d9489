package main

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/scrape"
	"github.com/telediag/telediag/internal/testutil"
	"github.com/telediag/telediag/internal/tlsflags"
)

// everyKindOfService is a real client_golang service with a family of every kind import has to
// say something about: its own counter, gauge and histogram (the histogram's buckets negative,
// so that client_golang serves a negative _sum), a summary, an untyped family, a target_info,
// a label the exporter would rewrite, the Go and process collectors, and promhttp's own
// families, promhttp_metric_handler_errors_total included (served because HandlerOpts.Registry
// is set). OpenMetrics is on, as in many services; import reads protobuf, which promhttp offers
// first whatever HandlerOpts say.
func everyKindOfService(t *testing.T) string {
	t.Helper()
	reg := prometheus.NewRegistry()
	jobs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "jobs_done_total", Help: "Jobs done."}, []string{"queue"})
	jobs.WithLabelValues("mail").Inc()
	depth := prometheus.NewGauge(prometheus.GaugeOpts{Name: "jobs_queue_depth", Help: "Jobs waiting."})
	skew := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "clock_skew_seconds", Help: "Skew against the reference clock.", Buckets: []float64{-1, -0.1, 0, 0.1}})
	skew.Observe(-0.5)
	size := prometheus.NewSummary(prometheus.SummaryOpts{Name: "jobs_payload_bytes", Help: "Payload sizes."})
	size.Observe(10)
	legacy := prometheus.NewUntypedFunc(prometheus.UntypedOpts{Name: "jobs_legacy", Help: "A family of no type."}, func() float64 { return 1 })
	info := prometheus.NewGauge(prometheus.GaugeOpts{Name: "target_info", Help: "Target metadata.", ConstLabels: prometheus.Labels{"service_name": "jobs"}})
	info.Set(1)
	odd := prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: "jobs_odd", Help: "A label the exporter would rewrite."}, []string{"a__b"})
	odd.WithLabelValues("x").Set(1)
	reg.MustRegister(jobs, depth, skew, size, legacy, info, odd,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	h := promhttp.InstrumentMetricHandler(reg, promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg, EnableOpenMetrics: true}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/metrics"
}

// TestImportNamesEveryFamily: every family a client_golang service serves is in the imported
// catalogue or named on stderr with its reason, the runtime families included;
// promhttp_metric_handler_errors_total, which telemetry does not serve, is imported as the
// service's own; the negative _sum that expfmt's OpenMetrics decoder would refuse imports (read
// from protobuf, which the service offers first); and the gauges are listed as what a scrape cannot
// tell from up-down counters.
func TestImportNamesEveryFamily(t *testing.T) {
	url := everyKindOfService(t)
	r := runImportCmd("", url)
	if r.code != 0 {
		t.Fatalf("exit %d\n%s", r.code, r.stderr)
	}
	cat, err := catalog.Parse("stdout", []byte(r.stdout))
	if err != nil {
		t.Fatalf("the catalogue does not load: %v\n%s", err, r.stdout)
	}
	u, err := tlsflags.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	served, err := scrape.Fetch(context.Background(), nil, u, scrape.TextFormat)
	if err != nil {
		t.Fatal(err)
	}
	named := testutil.LeftOutOnStderr(r.stderr)
	for _, f := range served.Families {
		name := f.GetName()
		switch inCat := cat.Metric(name) != nil; {
		case inCat && named[name]:
			t.Errorf("%s is both imported and named as left out", name)
		case !inCat && !named[name]:
			t.Errorf("%s (%s) is neither imported nor named on stderr", name, f.GetType())
		}
	}
	if m := cat.Metric("jobs_payload_bytes"); m == nil || m.Kind != catalog.KindSummary {
		t.Errorf("the summary jobs_payload_bytes came over as %+v, want a summary", m)
	}
	for family, reason := range map[string]string{
		"jobs_legacy": "untyped: the exposition does not say whether it is a counter or a gauge; declare it by hand",
		"target_info": "the OTel Resource, not a metric: telemetry serves it from OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES (telemetry.WithTargetInfo)",
		"jobs_odd":    `label "a__b": label key "a__b" would be rewritten`,
	} {
		if !strings.Contains(r.stderr, "instrumentgen import: left out "+family+": "+reason) {
			t.Errorf("stderr does not name %s with %q:\n%s", family, reason, r.stderr)
		}
	}
	for _, want := range []string{
		"-include-runtime lists them as provided_by: go_collector",
		"-include-runtime lists them as provided_by: promhttp",
		"instrumentgen import: imported jobs_queue_depth with kind gauge: a scrape cannot tell a gauge from an up-down counter",
	} {
		if !strings.Contains(r.stderr, want) {
			t.Errorf("stderr lacks %q:\n%s", want, r.stderr)
		}
	}
	if m := cat.Metric("promhttp_metric_handler_errors_total"); m == nil || !m.Generated() || m.Kind != catalog.KindCounter || !slices.Equal(m.LabelKeys(), []string{"cause"}) {
		t.Errorf("promhttp_metric_handler_errors_total is not imported as the service's own counter by cause: %+v", m)
	}
	if m := cat.Metric("clock_skew_seconds"); m == nil || !slices.Equal(m.Buckets, []float64{-1, -0.1, 0, 0.1}) {
		t.Errorf("clock_skew_seconds: %+v", m)
	}
	if !strings.Contains(r.stdout, "kind: gauge # or updowncounter") {
		t.Errorf("no word beside the imported gauge:\n%s", r.stdout)
	}

	// live-check reads the same negative _sum (it could check: not exit 2), and the service
	// conforms to what was imported from it but for the families import left out.
	file := filepath.Join(t.TempDir(), "instruments.yaml")
	if err := os.WriteFile(file, []byte(r.stdout), 0o644); err != nil {
		t.Fatal(err)
	}
	lc := runLiveCheckCmd(file, url)
	if lc.code != 1 {
		t.Errorf("live-check: exit %d, want 1\nstdout %s\nstderr %s", lc.code, lc.stdout, lc.stderr)
	}
	var undeclared []string
	for _, line := range strings.Split(strings.TrimSpace(lc.stdout), "\n") {
		if rest, ok := strings.CutPrefix(line, url+": "); ok {
			family, _, _ := strings.Cut(rest, ": ")
			undeclared = append(undeclared, family)
		}
	}
	if want := []string{"jobs_legacy", "jobs_odd"}; !slices.Equal(undeclared, want) {
		t.Errorf("live-check findings on %v, want only the families left out, %v:\n%s", undeclared, want, lc.stdout)
	}
}
