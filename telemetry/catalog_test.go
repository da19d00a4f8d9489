package telemetry

import (
	"bufio"
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
	"go.opentelemetry.io/otel"

	"github.com/telediag/telediag/internal/catalog"
)

// documented reads testdata/catalog.tsv, a copy of the user's metric table: name → documented
// Prometheus type. It is independent of instruments.yaml on purpose, so a name or type changed
// there fails here.
func documented(t *testing.T) map[string]string {
	t.Helper()
	f, err := os.Open("testdata/catalog.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	out := map[string]string{}
	s := bufio.NewScanner(f)
	s.Scan() // header
	for s.Scan() {
		cols := strings.Split(s.Text(), "\t")
		if len(cols) < 2 {
			t.Fatalf("testdata/catalog.tsv: bad line %q", s.Text())
		}
		out[cols[0]] = cols[1]
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if len(out) < 90 {
		t.Fatalf("testdata/catalog.tsv: only %d names", len(out))
	}
	return out
}

// scrape fetches h like Prometheus does and parses the text format.
func scrape(t testing.TB, h http.Handler) (map[string]*dto.MetricFamily, string) {
	t.Helper()
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/metrics", nil)
	req.Header.Set("Accept", "text/plain;version=0.0.4")
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusOK {
		t.Fatalf("scrape: HTTP %d: %s", rec.Code, rec.Body.String())
	}
	body := rec.Body.String()
	p := expfmt.NewTextParser(model.LegacyValidation)
	families, err := p.TextToMetricFamilies(strings.NewReader(body))
	if err != nil {
		t.Fatalf("parse scrape: %v\n%s", err, body)
	}
	return families, body
}

func newTestTelemetry(t testing.TB, opts ...Option) *Telemetry {
	t.Helper()
	tel, err := New(context.Background(), opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	return tel
}

func TestScrapeServesDocumentedCatalogue(t *testing.T) {
	tel := newTestTelemetry(t)
	recordEveryInstrument(context.Background(), tel.Instruments)
	scrape(t, tel.Handler()) // the second scrape sees promhttp_metric_handler_requests_total{code="200"} 1
	families, body := scrape(t, tel.Handler())

	for name, typ := range documented(t) {
		mf, ok := families[name]
		if !ok {
			t.Errorf("documented metric %s is missing from /metrics", name)
			continue
		}
		if got := strings.ToLower(mf.GetType().String()); got != typ {
			t.Errorf("%s: # TYPE %s, documented as %s", name, got, typ)
		}
		if len(mf.GetMetric()) == 0 {
			t.Errorf("%s: no samples", name)
		}
	}
	ps, ok := families["process_state"]
	if !ok || ps.GetType() != dto.MetricType_GAUGE {
		t.Fatalf("process_state missing or not a gauge: %v", ps)
	}
	if v := ps.GetMetric()[0].GetGauge().GetValue(); v != StateStarting {
		t.Errorf("process_state = %v before any probe, want %d (starting)", v, StateStarting)
	}
	if strings.Contains(body, "otel_scope_") {
		t.Error("scrape has otel_scope_* labels")
	}
	if _, ok := families["target_info"]; ok {
		t.Error("scrape has target_info")
	}
	if strings.Contains(body, "otel_metric_overflow") {
		t.Error("scrape has an overflow series")
	}
	// Histograms: the exposition must be _bucket/_sum/_count of the documented name, with
	// Teleport's buckets.
	h := families["backend_read_seconds"].GetMetric()[0].GetHistogram()
	if n := len(h.GetBucket()); n != 16 && n != 17 {
		t.Errorf("backend_read_seconds has %d buckets, want Teleport's 16", n)
	}
	if ub := h.GetBucket()[0].GetUpperBound(); ub != 0.001 {
		t.Errorf("backend_read_seconds first bucket %v, want 0.001", ub)
	}
	for _, series := range []string{"backend_read_seconds_bucket{", "backend_read_seconds_sum{", "backend_read_seconds_count{"} {
		if !strings.Contains(body, series) {
			t.Errorf("scrape lacks %s…", series)
		}
	}
}

// TestScrapeServesExactlyTheDeclaredFamilies holds instruments.yaml to its promise: it lists
// everything /metrics serves, with the type it is served as, and nothing else is served.
func TestScrapeServesExactlyTheDeclaredFamilies(t *testing.T) {
	cat, err := catalog.Load("../instruments.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// go_memory_limit is observed only under a memory limit: set one, as GOMEMLIMIT would.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(8 << 30))
	tel := newTestTelemetry(t)
	recordEveryInstrument(context.Background(), tel.Instruments)
	families, _ := scrape(t, tel.Handler())

	declared := map[string]bool{}
	for _, m := range cat.Metrics {
		declared[m.Name] = true
		mf, ok := families[m.Name]
		if !ok {
			t.Errorf("%s:%d: %s is declared but not served", cat.File, m.Line, m.Name)
			continue
		}
		if got := strings.ToLower(mf.GetType().String()); got != m.PrometheusType() {
			t.Errorf("%s: served as %s, declared as %s", m.Name, got, m.PrometheusType())
		}
		if m.Generated() && mf.GetHelp() != m.Description {
			t.Errorf("%s: HELP %q, declared %q", m.Name, mf.GetHelp(), m.Description)
		}
		for _, s := range mf.GetMetric() {
			var keys []string
			for _, lp := range s.GetLabel() {
				keys = append(keys, lp.GetName())
			}
			want := m.LabelKeys()
			sort.Strings(keys)
			sort.Strings(want)
			if m.Generated() && strings.Join(keys, ",") != strings.Join(want, ",") {
				t.Errorf("%s: labels %v, declared %v", m.Name, keys, want)
			}
		}
	}
	for name := range families {
		if !declared[name] {
			t.Errorf("/metrics serves %s, which instruments.yaml does not declare", name)
		}
	}
	for name := range generatedNames {
		if _, ok := families[name]; !ok {
			t.Errorf("generated instrument %s has no series after recording", name)
		}
	}
}

func TestHandlerCountsScrapes(t *testing.T) {
	tel := newTestTelemetry(t)
	for range 3 {
		scrape(t, tel.Handler())
	}
	families, _ := scrape(t, tel.Handler())
	for _, s := range families["promhttp_metric_handler_requests_total"].GetMetric() {
		for _, lp := range s.GetLabel() {
			if lp.GetName() == "code" && lp.GetValue() == "200" && s.GetCounter().GetValue() != 3 {
				t.Errorf(`promhttp_metric_handler_requests_total{code="200"} = %v before the 4th scrape, want 3`, s.GetCounter().GetValue())
			}
		}
	}
}

func TestProcessStateFollowsSource(t *testing.T) {
	state := int64(StateStarting)
	tel := newTestTelemetry(t, WithProcessState(func() int64 { return state }))
	for _, want := range []int64{3, 0, 2, 1, 0} {
		state = want
		families, _ := scrape(t, tel.Handler())
		if got := families["process_state"].GetMetric()[0].GetGauge().GetValue(); got != float64(want) {
			t.Errorf("process_state = %v, want %d", got, want)
		}
	}
}

func TestBuildInfo(t *testing.T) {
	tel := newTestTelemetry(t, WithBuildInfo(BuildInfo{Version: "1.2.3", GitRef: "v1.2.3-0-gabcdef"}))
	families, body := scrape(t, tel.Handler())
	bi := families["teleport_build_info"]
	if bi == nil || len(bi.GetMetric()) != 1 || bi.GetMetric()[0].GetGauge().GetValue() != 1 {
		t.Fatalf("teleport_build_info: want one series of value 1, got %v", bi)
	}
	for _, want := range []string{`version="1.2.3"`, `gitref="v1.2.3-0-gabcdef"`, `goversion="go`} {
		if !strings.Contains(body, want) {
			t.Errorf("teleport_build_info lacks %s", want)
		}
	}
}

func TestResourceFromEnvironment(t *testing.T) {
	t.Setenv("OTEL_RESOURCE_ATTRIBUTES", "deployment.environment.name=test,service.name=from-attrs")
	t.Setenv("OTEL_SERVICE_NAME", "from-env")
	cfg := newConfig([]Option{WithServiceName("from-option")})
	res, err := newResource(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, kv := range res.Attributes() {
		got[string(kv.Key)] = kv.Value.Emit()
	}
	if got["service.name"] != "from-env" {
		t.Errorf("service.name = %q, want OTEL_SERVICE_NAME's from-env", got["service.name"])
	}
	if got["deployment.environment.name"] != "test" {
		t.Errorf("OTEL_RESOURCE_ATTRIBUTES not honoured: %v", got)
	}
}

func TestNilMeterGivesNoops(t *testing.T) {
	i, err := NewInstruments(nil)
	if err != nil {
		t.Fatal(err)
	}
	recordEveryInstrument(context.Background(), i) // must not panic
	i.BackendReadRequestsTotal.Bind("x").Add(context.Background(), 1)
	if _, err := i.ProcessState.Register(func(context.Context, ProcessStateObserver) error { return nil }); err != nil {
		t.Fatal(err)
	}
	var zero BackendReadRequestsTotalBound
	zero.Add(context.Background(), 1) // the zero bound form records nothing, and does not panic
}

func TestCardinalityLimit(t *testing.T) {
	if _, err := New(context.Background(), WithCardinalityLimit(-1)); err == nil {
		t.Fatal("negative cardinality limit accepted")
	}
	tel := newTestTelemetry(t, WithCardinalityLimit(10))
	for _, c := range []string{"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l"} {
		tel.Instruments.BackendReadRequestsTotal.Add(context.Background(), 1, c)
	}
	_, body := scrape(t, tel.Handler())
	if !strings.Contains(body, `otel_metric_overflow="true"`) {
		t.Error("no overflow series past the limit")
	}
}

func TestGlobalProviderOnlyWhenAsked(t *testing.T) {
	before := otel.GetMeterProvider()
	t.Cleanup(func() { otel.SetMeterProvider(before) })
	tel := newTestTelemetry(t)
	if otel.GetMeterProvider() == tel.MeterProvider() {
		t.Fatal("New set the global MeterProvider without WithGlobal")
	}
	global := newTestTelemetry(t, WithGlobal())
	if otel.GetMeterProvider() != global.MeterProvider() {
		t.Fatal("WithGlobal did not set the global MeterProvider")
	}
}
