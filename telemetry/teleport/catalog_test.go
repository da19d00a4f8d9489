package teleport

import (
	"bufio"
	"context"
	"errors"
	"log/slog"
	"maps"
	"net/http"
	"os"
	"runtime/debug"
	"sort"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/attribute"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/testutil"
	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/telemetry"
	"github.com/telediag/telediag/telemetry/instrument/instrumenttest"
)

// exampleLabel is the value the tests record every label with.
func exampleLabel(int) string { return "example" }

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
	return testutil.Scrape(t, h)
}

// fixedState is a StateSource for tests, with no components.
type fixedState struct{ s atomic.Int64 }

func (f *fixedState) State() probes.State { return probes.State(f.s.Load()) }

func (f *fixedState) Components() []probes.ComponentStatus { return nil }

// newTestTelemetry is telediag's pipeline with Teleport's catalogue on it, as the reference
// binary builds it, process_state fed by state (a fresh probes.Monitor when nil).
func newTestTelemetry(t testing.TB, state StateSource, opts ...Option) (*telemetry.Telemetry, *Metrics) {
	t.Helper()
	tel, err := telemetry.New(context.Background(), telemetry.WithoutEnvironmentExporter())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := tel.Shutdown(context.Background()); err != nil {
			t.Errorf("Shutdown: %v", err)
		}
	})
	if state == nil {
		// One expected component, so that teleport_component_state has a series, as every
		// declared family must.
		monitor, err := probes.New(probes.WithExpected("auth"))
		if err != nil {
			t.Fatal(err)
		}
		state = monitor
	}
	m, err := New(tel.MeterProvider(), state, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return tel, m
}

func TestScrapeServesDocumentedCatalogue(t *testing.T) {
	tel, m := newTestTelemetry(t, nil)
	instrumenttest.RecordAll(context.Background(), m.Instruments, 1, exampleLabel)
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
	if v := ps.GetMetric()[0].GetGauge().GetValue(); v != float64(probes.StateStarting) {
		t.Errorf("process_state = %v before any probe, want %d (starting)", v, probes.StateStarting)
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
	cat, err := catalog.Load("../../instruments.yaml")
	if err != nil {
		t.Fatal(err)
	}
	// go_memory_limit is observed only under a memory limit: set one, as GOMEMLIMIT would.
	defer debug.SetMemoryLimit(debug.SetMemoryLimit(8 << 30))
	tel, m := newTestTelemetry(t, nil)
	instrumenttest.RecordAll(context.Background(), m.Instruments, 1, exampleLabel)
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
		if m.Generated() && mf.GetHelp() != m.Help() {
			t.Errorf("%s: HELP %q, declared %q", m.Name, mf.GetHelp(), m.Help())
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
	for _, m := range cat.Metrics {
		if _, ok := families[m.Name]; m.Generated() && !ok {
			t.Errorf("generated instrument %s has no series after recording", m.Name)
		}
	}
}

// TestLabellessCountersAtZero: like client_golang's, a counter without labels is on /metrics at
// 0 from the moment it is created, so alerts on it see a series before the first failure.
func TestLabellessCountersAtZero(t *testing.T) {
	tel, _ := newTestTelemetry(t, nil)
	families, _ := scrape(t, tel.Handler())
	cat, err := catalog.Load("../../instruments.yaml")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range cat.Metrics {
		if !m.Generated() || m.Observable || len(m.Labels) > 0 || (m.Kind != catalog.KindCounter && m.Kind != catalog.KindUpDownCounter) {
			continue
		}
		n++
		mf := families[m.Name]
		if mf == nil || len(mf.GetMetric()) != 1 || sampleValue(mf.GetMetric()[0]) != 0 {
			t.Errorf("%s: want one series at 0 before any Add, got %v", m.Name, mf)
		}
	}
	if n < 10 {
		t.Fatalf("only %d label-less counters in the catalogue", n)
	}
}

func sampleValue(m *dto.Metric) float64 {
	if m.Counter != nil {
		return m.GetCounter().GetValue()
	}
	return m.GetGauge().GetValue()
}

func TestProcessStateFollowsSource(t *testing.T) {
	state := &fixedState{}
	tel, _ := newTestTelemetry(t, state)
	for _, want := range []int64{3, 0, 2, 1, 0} {
		state.s.Store(want)
		families, _ := scrape(t, tel.Handler())
		if got := families["process_state"].GetMetric()[0].GetGauge().GetValue(); got != float64(want) {
			t.Errorf("process_state = %v, want %d", got, want)
		}
	}
}

// TestComponentStateFollowsMonitor: teleport_component_state has one series per component of the
// monitor, labelled component, with process_state's values, and follows every transition, which
// is what gravitational/teleport#43440 asks for: the component that holds the process back.
func TestComponentStateFollowsMonitor(t *testing.T) {
	const window = 20 * time.Millisecond
	monitor, err := probes.New(probes.WithExpected("node"), probes.WithRecoveryWindow(window),
		probes.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	tel, _ := newTestTelemetry(t, monitor)
	states := func() map[string]float64 {
		t.Helper()
		families, _ := scrape(t, tel.Handler())
		out := map[string]float64{}
		for _, s := range families["teleport_component_state"].GetMetric() {
			if len(s.GetLabel()) != 1 || s.GetLabel()[0].GetName() != "component" {
				t.Fatalf("teleport_component_state series with labels %v, want component alone", s.GetLabel())
			}
			out[s.GetLabel()[0].GetValue()] = s.GetGauge().GetValue()
		}
		if ps := families["process_state"].GetMetric()[0].GetGauge().GetValue(); ps != float64(monitor.State()) {
			t.Errorf("process_state = %v, monitor says %v", ps, monitor.State())
		}
		return out
	}
	steps := []struct {
		do   func()
		want map[string]float64
	}{
		{func() {}, map[string]float64{"node": 3}},
		{func() { monitor.Heartbeat("auth", nil) }, map[string]float64{"node": 3, "auth": 0}},
		{func() { monitor.Heartbeat("node", errors.New("dial tcp: refused")) }, map[string]float64{"node": 2, "auth": 0}},
		{func() { monitor.Heartbeat("node", nil) }, map[string]float64{"node": 1, "auth": 0}},
		{func() { time.Sleep(window + time.Millisecond); monitor.Heartbeat("node", nil) }, map[string]float64{"node": 0, "auth": 0}},
		{func() { monitor.Heartbeat("auth", errors.New("backend down")) }, map[string]float64{"node": 0, "auth": 2}},
	}
	for i, st := range steps {
		st.do()
		if got := states(); !maps.Equal(got, st.want) {
			t.Errorf("step %d: teleport_component_state = %v, want %v", i, got, st.want)
		}
	}
}

func TestBuildInfo(t *testing.T) {
	tel, _ := newTestTelemetry(t, nil, WithBuildInfo(BuildInfo{Version: "1.2.3", GitRef: "v1.2.3-0-gabcdef"}))
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

// TestNilProviderGivesNoops: the instruments of a nil provider, and the zero Instruments, take
// every call (labels, Bind, AddSet, Register, Release) and record nothing.
func TestNilProviderGivesNoops(t *testing.T) {
	ctx := context.Background()
	noops, err := NewInstruments(nil)
	if err != nil {
		t.Fatal(err)
	}
	for name, i := range map[string]*Instruments{"nil provider": noops, "zero value": {}} {
		instrumenttest.RecordAll(ctx, i, 1, exampleLabel)
		if err := instrumenttest.ObserveAll(i, 1, exampleLabel); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		i.BackendReadRequestsTotal.Bind("x").Add(ctx, 1)
		i.BackendReadRequestsTotal.AddSet(ctx, 1, *attribute.EmptySet())
		i.AuditFailedEmitEvents.AddSet(ctx, 1, *attribute.EmptySet())
		i.BackendReadSeconds.RecordSet(ctx, 1, *attribute.EmptySet())
		i.AuditPercentageDiskSpaceUsed.RecordSet(ctx, 1, *attribute.EmptySet())
		if err := i.Release(); err != nil {
			t.Errorf("%s: Release: %v", name, err)
		}
	}
	var zero BackendReadRequestsTotalBound
	zero.Add(ctx, 1) // the zero bound form records nothing, and does not panic
	var none *Instruments
	if err := none.Release(); err != nil {
		t.Fatal(err)
	}
}

func TestNewNeedsProviderAndState(t *testing.T) {
	monitor, err := probes.New()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := New(nil, monitor); err == nil {
		t.Error("New(nil provider) gave no error")
	}
	tel, _ := newTestTelemetry(t, nil)
	if _, err := New(tel.MeterProvider(), nil); err == nil || !strings.Contains(err.Error(), "StateSource") {
		t.Errorf("New without a StateSource: err = %v", err)
	}
}

// TestNewWithMetricsSwitchedOff: the catalogue is created whatever the operator switches off,
// the go_memstats families included (the one callback that reads both registers only the served
// ones), and what is switched off is absent while the rest is served.
func TestNewWithMetricsSwitchedOff(t *testing.T) {
	for _, tc := range []struct {
		disable       string
		absent, there []string
	}{
		{"go_memstats_*", []string{"go_memstats_lookups_total", "go_memstats_gc_cpu_fraction"}, []string{"process_state", "user_login_total"}},
		{"go_memstats_gc_cpu_fraction", []string{"go_memstats_gc_cpu_fraction"}, []string{"go_memstats_lookups_total"}},
		{"go_memstats_lookups_total", []string{"go_memstats_lookups_total"}, []string{"go_memstats_gc_cpu_fraction"}},
		{"*", []string{"go_memstats_lookups_total", "process_state", "teleport_build_info", "teleport_component_state", "user_login_total"}, nil},
	} {
		t.Run(tc.disable, func(t *testing.T) {
			tel, err := telemetry.New(context.Background(), telemetry.WithoutEnvironmentExporter(), telemetry.WithDisable(tc.disable))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = tel.Shutdown(context.Background()) })
			monitor, err := probes.New(probes.WithExpected("auth"))
			if err != nil {
				t.Fatal(err)
			}
			if _, err := New(tel.MeterProvider(), monitor); err != nil {
				t.Fatalf("New with %q switched off: %v", tc.disable, err)
			}
			families, text := scrape(t, tel.Handler())
			for _, name := range tc.absent {
				if families[name] != nil {
					t.Errorf("%s served though switched off", name)
				}
			}
			for _, name := range tc.there {
				if families[name] == nil {
					t.Errorf("%s not served:\n%s", name, text)
				}
			}
		})
	}
}
