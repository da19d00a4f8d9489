package instrument

import (
	"bytes"
	"context"
	"log/slog"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric/noop"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// summaryFixture is a SummaryPath on an SDK provider with one manual reader, as telemetry
// wires it for a push reader, and a registry serving the path's Collector, as /metrics does.
type summaryFixture struct {
	path   *SummaryPath
	reader *sdkmetric.ManualReader
	sdk    *sdkmetric.MeterProvider
	reg    *prometheus.Registry
	group  *Group
}

func newSummaryFixture(t *testing.T, s Settings) *summaryFixture {
	t.Helper()
	f := &summaryFixture{path: NewSummaryPath(s), reg: prometheus.NewRegistry()}
	f.reader = sdkmetric.NewManualReader(sdkmetric.WithProducer(f.path.Producer()))
	f.sdk = sdkmetric.NewMeterProvider(sdkmetric.WithReader(f.reader))
	t.Cleanup(func() { _ = f.sdk.Shutdown(context.Background()) })
	if err := f.reg.Register(f.path.Collector()); err != nil {
		t.Fatal(err)
	}
	f.group = NewGroup(f.path.MeterProvider(f.sdk).Meter("test/scope"))
	return f
}

func labelSet(k [1]string) attribute.Set { return attribute.NewSet(attribute.String("op", k[0])) }

// otlp returns the summary points of name the reader collects.
func (f *summaryFixture) otlp(t *testing.T, name string) []metricdata.SummaryDataPoint {
	t.Helper()
	var rm metricdata.ResourceMetrics
	if err := f.reader.Collect(context.Background(), &rm); err != nil {
		t.Fatal(err)
	}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if m.Name == name {
				if sm.Scope.Name != "test/scope" {
					t.Errorf("%s in scope %q, want the meter's", name, sm.Scope.Name)
				}
				return m.Data.(metricdata.Summary).DataPoints
			}
		}
	}
	return nil
}

// gathered returns the series of family name the registry serves.
func (f *summaryFixture) gathered(t *testing.T, name string) []*dto.Metric {
	t.Helper()
	mfs, err := f.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, mf := range mfs {
		if mf.GetName() == name {
			if mf.GetType() != dto.MetricType_SUMMARY {
				t.Errorf("%s served as %s", name, mf.GetType())
			}
			return mf.Metric
		}
	}
	return nil
}

// checkQuantiles checks that every quantile lies within its objective's error bounds of the
// values: between the exact quantiles of ranks q-1.5e and q+1.5e. The half error more is
// client_golang's: its CKMS stream (github.com/beorn7/perks) overshoots the bound by a few
// ranks at times, and this test holds telediag to client_golang, not to the paper.
func checkQuantiles(t *testing.T, who string, got map[float64]float64, objectives map[float64]float64, values []float64) {
	t.Helper()
	sorted := slices.Sorted(slices.Values(values))
	at := func(rank float64) float64 {
		i := int(math.Ceil(rank*float64(len(sorted)))) - 1
		return sorted[max(0, min(i, len(sorted)-1))]
	}
	if len(got) != len(objectives) {
		t.Errorf("%s: quantiles %v, want one per objective %v", who, got, objectives)
	}
	for q, e := range objectives {
		v, ok := got[q]
		if lo, hi := at(q-1.5*e), at(q+1.5*e); !ok || v < lo || v > hi {
			t.Errorf("%s: quantile %v = %v, want within [%v, %v]", who, q, v, lo, hi)
		}
	}
}

func dtoQuantiles(m *dto.Metric) map[float64]float64 {
	out := map[float64]float64{}
	for _, q := range m.GetSummary().GetQuantile() {
		out[q.GetQuantile()] = q.GetValue()
	}
	return out
}

func otlpQuantiles(dp metricdata.SummaryDataPoint) map[float64]float64 {
	out := map[float64]float64{}
	for _, q := range dp.QuantileValues {
		out[q.Quantile] = q.Value
	}
	return out
}

// TestSummaryMatchesClientGolang is the differential test: the same values observed by
// client_golang's summary and recorded into a Summary give the same count and sum, and
// quantiles within the objectives' error bounds, on /metrics (the Collector) and over OTLP (the
// Producer); after max_age without observations, both forget the old values' quantiles and
// keep counting.
func TestSummaryMatchesClientGolang(t *testing.T) {
	objectives := map[float64]float64{0.5: 0.05, 0.9: 0.01, 0.99: 0.001}
	// Every observation goes into each age bucket's stream, and the oldest stream is reset each
	// MaxAge/AgeBuckets: a window holds exactly the values recorded since the last gap of
	// MaxAge as long as recording and checking take less than (AgeBuckets-1) buckets, 2s here,
	// which leaves room for the race detector on a loaded machine.
	opts := SummaryOptions{Objectives: objectives, MaxAge: 3 * time.Second, AgeBuckets: 3}
	f := newSummaryFixture(t, Settings{})
	s, err := NewSummary[float64](f.group, "payload_bytes", "Payload sizes.", "By", opts, labelSet)
	if err != nil {
		t.Fatal(err)
	}
	cg := prometheus.NewSummary(prometheus.SummaryOpts{Name: "payload_bytes", Help: "Payload sizes.",
		Objectives: objectives, MaxAge: opts.MaxAge, AgeBuckets: opts.AgeBuckets})
	ctx := context.Background()
	rng := rand.New(rand.NewPCG(22, 1))
	bound := s.Bind([1]string{"get"})
	observe := func(n int, scale, offset float64) []float64 {
		vals := make([]float64, n)
		for i := range vals {
			vals[i] = offset + rng.ExpFloat64()*scale
			cg.Observe(vals[i])
			if i%2 == 0 {
				s.Record(ctx, vals[i], [1]string{"get"})
			} else {
				bound.Record(ctx, vals[i])
			}
		}
		return vals
	}
	check := func(phase string, window []float64, count uint64, sum float64) {
		t.Helper()
		var want dto.Metric
		if err := cg.Write(&want); err != nil {
			t.Fatal(err)
		}
		if got := want.GetSummary(); got.GetSampleCount() != count || math.Abs(got.GetSampleSum()-sum) > 1e-9*math.Abs(sum) {
			t.Fatalf("%s: client_golang's count %d, sum %v; observed %d, %v", phase, got.GetSampleCount(), got.GetSampleSum(), count, sum)
		}
		checkQuantiles(t, phase+": client_golang", dtoQuantiles(&want), objectives, window)
		dps := f.otlp(t, "payload_bytes")
		if len(dps) != 1 || dps[0].Count != count || dps[0].Sum != want.GetSummary().GetSampleSum() {
			t.Fatalf("%s: OTLP points %+v, want count %d and client_golang's sum %v", phase, dps, count, want.GetSummary().GetSampleSum())
		}
		if v, _ := dps[0].Attributes.Value("op"); v.AsString() != "get" {
			t.Errorf("%s: OTLP attributes %v", phase, dps[0].Attributes)
		}
		checkQuantiles(t, phase+": OTLP", otlpQuantiles(dps[0]), objectives, window)
		ms := f.gathered(t, "payload_bytes")
		if len(ms) != 1 || ms[0].GetSummary().GetSampleCount() != count || ms[0].GetSummary().GetSampleSum() != want.GetSummary().GetSampleSum() {
			t.Fatalf("%s: /metrics series %v, want count %d and client_golang's sum", phase, ms, count)
		}
		if l := ms[0].GetLabel(); len(l) != 1 || l[0].GetName() != "op" || l[0].GetValue() != "get" {
			t.Errorf("%s: /metrics labels %v", phase, l)
		}
		checkQuantiles(t, phase+": /metrics", dtoQuantiles(ms[0]), objectives, window)
	}

	first := observe(3000, 10, 0)
	sum := 0.0
	for _, v := range first {
		sum += v
	}
	check("first window", first, 3000, sum)

	// Past max_age and one more age bucket, every stream has rotated: the quantiles are the new
	// values' alone (all above 1000), while count and sum go on.
	time.Sleep(opts.MaxAge + opts.MaxAge/time.Duration(opts.AgeBuckets) + 50*time.Millisecond)
	second := observe(2000, 10, 1000)
	for _, v := range second {
		sum += v
	}
	check("after max_age", second, 5000, sum)
}

// TestSummaryWithoutObjectives: no objectives is count and sum only, as in client_golang.
func TestSummaryWithoutObjectives(t *testing.T) {
	f := newSummaryFixture(t, Settings{})
	s, err := NewSummary[int64](f.group, "items", "Items.", "{item}", SummaryOptions{}, labelSet)
	if err != nil {
		t.Fatal(err)
	}
	s.Record(context.Background(), 3, [1]string{"a"})
	s.Record(context.Background(), 4, [1]string{"a"})
	dps := f.otlp(t, "items")
	if len(dps) != 1 || dps[0].Count != 2 || dps[0].Sum != 7 || dps[0].QuantileValues != nil {
		t.Errorf("points %+v, want count 2, sum 7, no quantiles", dps)
	}
	if ms := f.gathered(t, "items"); len(ms) != 1 || len(ms[0].GetSummary().GetQuantile()) != 0 {
		t.Errorf("/metrics %v", ms)
	}
}

// TestSummaryOverflow: past the cardinality limit new label sets fold into the
// otel_metric_overflow series for good, and the first one logs one warning.
func TestSummaryOverflow(t *testing.T) {
	var log bytes.Buffer
	f := newSummaryFixture(t, Settings{CardinalityLimit: 3, Logger: slog.New(slog.NewTextHandler(&log, nil))})
	s, err := NewSummary[float64](f.group, "payload_bytes", "Payload sizes.", "By", SummaryOptions{Objectives: map[float64]float64{0.5: 0.05}}, labelSet)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, op := range []string{"a", "b", "c", "d", "a", "c"} {
		s.Record(ctx, 1, [1]string{op})
	}
	s.Bind([1]string{"e"}).Record(ctx, 1)
	s.RecordSet(ctx, 1, attribute.NewSet(attribute.String("op", "f")))
	counts := map[string]uint64{}
	for _, dp := range f.otlp(t, "payload_bytes") {
		counts[dp.Attributes.Encoded(attribute.DefaultEncoder())] = dp.Count
	}
	want := map[string]uint64{"op=a": 2, "op=b": 1, "otel.metric.overflow=true": 5}
	if !mapsEqual(counts, want) {
		t.Errorf("OTLP counts %v, want %v", counts, want)
	}
	var overflow bool
	for _, m := range f.gathered(t, "payload_bytes") {
		if l := m.GetLabel(); len(l) == 1 && l[0].GetName() == "otel_metric_overflow" && l[0].GetValue() == "true" {
			overflow = m.GetSummary().GetSampleCount() == 5
		}
	}
	if !overflow {
		t.Error(`/metrics has no otel_metric_overflow="true" series with count 5`)
	}
	if n := strings.Count(log.String(), "reached its cardinality limit"); n != 1 {
		t.Errorf("%d warnings, want 1:\n%s", n, log.String())
	}
}

func mapsEqual(a, b map[string]uint64) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestSummaryLabels: attributes are named as the exporter names them (its namer already turns a
// leading "__" into "_"), and "quantile", which a client_golang summary would refuse, is
// exposed as exported_quantile, so that RecordSet never panics.
func TestSummaryLabels(t *testing.T) {
	f := newSummaryFixture(t, Settings{})
	s, err := NewSummary[float64](f.group, "payload_bytes", "Payload sizes.", "By", SummaryOptions{}, labelSet)
	if err != nil {
		t.Fatal(err)
	}
	s.RecordSet(context.Background(), 1, attribute.NewSet(
		attribute.String("quantile", "x"), attribute.String("__name", "y"), attribute.Int("http.status", 200)))
	ms := f.gathered(t, "payload_bytes")
	if len(ms) != 1 {
		t.Fatalf("series %v", ms)
	}
	var got []string
	for _, l := range ms[0].GetLabel() {
		got = append(got, l.GetName()+"="+l.GetValue())
	}
	if want := []string{"_name=y", "exported_quantile=x", "http_status=200"}; !slices.Equal(got, want) {
		t.Errorf("labels %v, want %v", got, want)
	}
}

// TestSummaryLabelless: Series creates a series at once, served with count 0 before any
// observation, as client_golang serves a label-less summary.
func TestSummaryLabelless(t *testing.T) {
	f := newSummaryFixture(t, Settings{})
	s, err := NewSummary[float64](f.group, "gc_seconds", "GC.", "s", SummaryOptions{Objectives: map[float64]float64{0.5: 0.05}},
		func(struct{}) attribute.Set { return *attribute.EmptySet() })
	if err != nil {
		t.Fatal(err)
	}
	b := s.Series(struct{}{})
	ms := f.gathered(t, "gc_seconds")
	if len(ms) != 1 || ms[0].GetSummary().GetSampleCount() != 0 || !math.IsNaN(ms[0].GetSummary().GetQuantile()[0].GetValue()) {
		t.Fatalf("before any observation: %v, want count 0 and a NaN quantile", ms)
	}
	b.Record(context.Background(), 2)
	if dps := f.otlp(t, "gc_seconds"); len(dps) != 1 || dps[0].Count != 1 || dps[0].Attributes.Len() != 0 {
		t.Errorf("points %+v", dps)
	}
}

// TestSummaryProviders: on a no-op provider a summary is a no-op; on a plain SDK provider,
// which nothing would read it from, NewSummary fails naming it; invalid options fail too.
func TestSummaryProviders(t *testing.T) {
	s, err := NewSummary[float64](NewGroup(noop.NewMeterProvider().Meter("x")), "payload_bytes", "", "By", SummaryOptions{}, labelSet)
	if err != nil || s != nil {
		t.Errorf("no-op provider: %v, %v; want a nil Summary and no error", s, err)
	}
	s.Record(context.Background(), 1, [1]string{"a"}) // a nil Summary accepts every call
	s.Bind([1]string{"a"}).Record(context.Background(), 1)
	s.RecordSet(context.Background(), 1, *attribute.EmptySet())

	sdk := sdkmetric.NewMeterProvider()
	defer func() { _ = sdk.Shutdown(context.Background()) }()
	_, err = NewSummary[float64](NewGroup(sdk.Meter("x")), "payload_bytes", "", "By", SummaryOptions{}, labelSet)
	if err == nil || !strings.Contains(err.Error(), "summary payload_bytes: the MeterProvider serves no summaries") {
		t.Errorf("plain SDK provider: %v", err)
	}

	f := newSummaryFixture(t, Settings{})
	for _, opts := range []SummaryOptions{
		{Objectives: map[float64]float64{1: 0.001}},
		{Objectives: map[float64]float64{0.99: 0.02}},
		{MaxAge: -time.Second},
		{MaxAge: time.Microsecond},
	} {
		if _, err := NewSummary[float64](f.group, "bad", "", "1", opts, labelSet); err == nil || !strings.Contains(err.Error(), "summary bad: ") {
			t.Errorf("%+v accepted (%v)", opts, err)
		}
	}
}

// TestSummaryConcurrent records, binds and collects from many goroutines, for the race
// detector, and checks that nothing is lost.
func TestSummaryConcurrent(t *testing.T) {
	f := newSummaryFixture(t, Settings{CardinalityLimit: 5})
	s, err := NewSummary[float64](f.group, "payload_bytes", "Payload sizes.", "By",
		SummaryOptions{Objectives: map[float64]float64{0.5: 0.05, 0.99: 0.001}, BufCap: 50}, labelSet)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	const workers, each = 4, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			ops := []string{"a", "b", "c", "d", "e", "f", "g"}
			b := s.Bind([1]string{ops[w]})
			for i := range each {
				switch i % 3 {
				case 0:
					s.Record(ctx, float64(i), [1]string{ops[i%len(ops)]})
				case 1:
					b.Record(ctx, float64(i))
				default:
					s.RecordSet(ctx, float64(i), labelSet([1]string{ops[(i+w)%len(ops)]}))
				}
			}
		})
	}
	wg.Go(func() {
		for range 20 {
			f.otlp(t, "payload_bytes")
			f.gathered(t, "payload_bytes")
		}
	})
	wg.Wait()
	var total uint64
	for _, dp := range f.otlp(t, "payload_bytes") {
		total += dp.Count
	}
	if total != workers*each {
		t.Errorf("counted %d observations, want %d", total, workers*each)
	}
}

// TestSummaryRecordAllocs: Record with label values and a bound Record allocate nothing once
// the series exists (client_golang's buffer flushes, every BufCap observations, are amortised).
func TestSummaryRecordAllocs(t *testing.T) {
	f := newSummaryFixture(t, Settings{})
	s, err := NewSummary[float64](f.group, "payload_bytes", "Payload sizes.", "By", SummaryOptions{Objectives: map[float64]float64{0.5: 0.05}}, labelSet)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	k := [1]string{"get"}
	b := s.Bind(k)
	s.Record(ctx, 1, k)
	if n := testing.AllocsPerRun(1000, func() { s.Record(ctx, 1, k) }); n != 0 {
		t.Errorf("Record: %v allocs", n)
	}
	if n := testing.AllocsPerRun(1000, func() { b.Record(ctx, 1) }); n != 0 {
		t.Errorf("bound Record: %v allocs", n)
	}
}
