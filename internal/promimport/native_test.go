package promimport

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/internal/catalog"
)

// TestImportNativeHistograms: read from protobuf, as import asks for it first, a client_golang
// histogram with classic and native buckets imports both, a native-only one its native
// declaration alone, each with the schema and zero threshold served, the defaults for what a
// scrape does not show, a comment above native: and a note saying so; a classic one stays
// classic.
func TestImportNativeHistograms(t *testing.T) {
	reg := prometheus.NewRegistry()
	both := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "rpc_seconds", Help: "RPC latency.", Buckets: []float64{0.1, 1}, NativeHistogramBucketFactor: 1.1})
	native := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "payload_bytes", Help: "Payload sizes.", NativeHistogramBucketFactor: 2, NativeHistogramZeroThreshold: prometheus.NativeHistogramZeroThresholdZero})
	classic := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "queue_seconds", Help: "Queue time.", Buckets: []float64{1, 2}})
	reg.MustRegister(both, native, classic)
	both.Observe(0.5)
	// payload_bytes has no observation: client_golang marks it native with an empty span.
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	res, cat := importOK(t, fams, Options{})
	for _, tc := range []struct {
		name    string
		buckets []float64
		native  *catalog.Native
	}{
		{"rpc_seconds", []float64{0.1, 1}, &catalog.Native{Schema: 3, MaxBuckets: 160, ZeroThreshold: math.Ldexp(1, -128)}},
		{"payload_bytes", nil, &catalog.Native{Schema: 0, MaxBuckets: 160, ZeroThreshold: 0}},
		{"queue_seconds", []float64{1, 2}, nil},
	} {
		m := cat.Metric(tc.name)
		if m == nil {
			t.Errorf("%s not imported: %v", tc.name, res.Report())
			continue
		}
		if !slices.Equal(m.Buckets, tc.buckets) {
			t.Errorf("%s: buckets %v, want %v", tc.name, m.Buckets, tc.buckets)
		}
		if got := m.Native; (got == nil) != (tc.native == nil) || got != nil && (got.Schema != tc.native.Schema || got.MaxBuckets != tc.native.MaxBuckets || got.ZeroThreshold != tc.native.ZeroThreshold || got.MinResetDuration != 0) {
			t.Errorf("%s: native %+v, want %+v", tc.name, got, tc.native)
		}
	}
	for _, want := range []string{
		"rpc_seconds: native histogram (schema 3, zero threshold 2.938735877055719e-39) with its classic buckets: a scrape shows neither max_buckets nor min_reset_duration",
		"payload_bytes: native histogram (schema 0, zero threshold 0) without classic buckets",
	} {
		if !slices.ContainsFunc(res.Notes, func(n string) bool { return strings.HasPrefix(n, want) }) {
			t.Errorf("no note %q: %q", want, res.Notes)
		}
	}
	if len(res.Notes) != 2 {
		t.Errorf("notes %q, want one per native histogram", res.Notes)
	}
	for _, want := range []string{
		"    buckets: [0.1, 1]\n    # schema and zero_threshold as served; max_buckets and min_reset_duration do not show in a scrape:\n",
		"    native:\n      schema: 3\n      zero_threshold: 2.938735877055719e-39\n",
		"    native:\n      schema: 0\n      zero_threshold: 0\n",
	} {
		if !strings.Contains(string(res.YAML), want) {
			t.Errorf("the catalogue lacks %q:\n%s", want, res.YAML)
		}
	}
}

// TestImportNativeSeries: of a native histogram's series, the highest schema and the lowest
// zero threshold are declared (a series lowers its resolution, client_golang may widen its
// threshold); a schema Prometheus does not represent is left out with its reason.
func TestImportNativeSeries(t *testing.T) {
	hist := func(schema int32, zt float64, method string) *dto.Metric {
		return &dto.Metric{
			Label:     []*dto.LabelPair{{Name: new("method"), Value: new(method)}},
			Histogram: &dto.Histogram{SampleCount: new(uint64(1)), SampleSum: new(1.0), Schema: new(schema), ZeroThreshold: new(zt), PositiveSpan: []*dto.BucketSpan{{Offset: new(int32(0)), Length: new(uint32(1))}}, PositiveDelta: []int64{1}},
		}
	}
	fams := []*dto.MetricFamily{
		{Name: new("rpc_seconds"), Help: new("RPC latency."), Type: dto.MetricType_HISTOGRAM.Enum(), Metric: []*dto.Metric{hist(1, 0.01, "GET"), hist(3, 0.001, "PUT"), hist(2, 0.1, "POST")}},
		{Name: new("odd_seconds"), Help: new("Odd."), Type: dto.MetricType_HISTOGRAM.Enum(), Metric: []*dto.Metric{hist(9, 0.001, "GET")}},
	}
	res, cat := importOK(t, fams, Options{})
	if n := cat.Metric("rpc_seconds").Native; n == nil || n.Schema != 3 || n.ZeroThreshold != 0.001 {
		t.Errorf("rpc_seconds: native %+v, want schema 3, zero threshold 0.001", n)
	}
	if r := skippedReason(res, "odd_seconds"); !strings.Contains(r, "native histogram of schema 9, which Prometheus does not represent") {
		t.Errorf("odd_seconds left out with %q", r)
	}
}
