package telemetry

import (
	"context"
	"math"
	"math/rand/v2"
	"net/http"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"google.golang.org/protobuf/proto"

	"github.com/telediag/telediag/telemetry/instrument"
)

// nativePair records the same values into a client_golang histogram with native buckets and
// into a telediag histogram declared alike (schema 3, client_golang's default zero threshold),
// with classic buckets or without, and returns both handlers. Both may keep 400 buckets, which
// these values never need, so that neither lowers its resolution: the two bound the buckets
// differently (telediag the span per sign, as OTel does; client_golang the number populated),
// which instrument's tests hold each to.
func nativePair(t *testing.T, classic bool, opts ...Option) (*Telemetry, http.Handler) {
	t.Helper()
	var buckets []float64
	if classic {
		buckets = []float64{0.01, 0.1, 1}
	}
	reg := prometheus.NewRegistry()
	cgHist := prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name: "rpc_seconds", Help: "RPC latency.", Buckets: buckets,
		NativeHistogramBucketFactor: math.Pow(2, math.Pow(2, -3)), NativeHistogramMaxBucketNumber: 400,
	}, []string{"method"})
	if !classic {
		// client_golang gives a histogram without Buckets its defaults; an empty, non-nil
		// slice is native-only.
		cgHist = prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name: "rpc_seconds", Help: "RPC latency.", Buckets: []float64{},
			NativeHistogramBucketFactor: math.Pow(2, math.Pow(2, -3)), NativeHistogramMaxBucketNumber: 400,
		}, []string{"method"})
	}
	reg.MustRegister(cgHist)

	tel := newTestTelemetry(t, append([]Option{WithoutEnvironmentExporter(), WithoutRuntimeMetrics()}, opts...)...)
	m := tel.MeterProvider().Meter("test")
	if !instrument.NewGroup(m).DeclareNative("rpc_seconds", instrument.Native{Schema: 3, MaxBuckets: 400, ZeroThreshold: instrument.DefaultNativeZeroThreshold}) {
		t.Fatal("DeclareNative: not served by the pipeline")
	}
	hopts := []metric.Float64HistogramOption{metric.WithDescription("RPC latency.")}
	if classic {
		hopts = append(hopts, metric.WithExplicitBucketBoundaries(buckets...))
	}
	hist, err := m.Float64Histogram("rpc_seconds", hopts...)
	if err != nil {
		t.Fatal(err)
	}
	if !instrument.OnFastPath(hist) {
		t.Fatal("the native histogram is not on the fast path")
	}
	rng := rand.New(rand.NewPCG(1, 2))
	for i := range 5000 {
		method := []string{"get", "put"}[i%2]
		v := math.Exp(rng.Float64()*12 - 9) // 0.1 ms … 20 s
		if i%97 == 0 {
			v = -v
		}
		if i%101 == 0 {
			v = 0
		}
		cgHist.WithLabelValues(method).Observe(v)
		hist.Record(context.Background(), v, metric.WithAttributes(attribute.String("method", method)))
	}
	return tel, promhttp.HandlerFor(reg, promhttp.HandlerOpts{})
}

// comparableHistogram strips what differs by design: created timestamps (client_golang's is its own
// creation), and sums, compared apart within rounding (added in another order).
func comparableHistogram(t *testing.T, mf *dto.MetricFamily) (*dto.MetricFamily, []float64) {
	t.Helper()
	c := proto.Clone(mf).(*dto.MetricFamily)
	var sums []float64
	for _, m := range c.Metric {
		h := m.GetHistogram()
		sums = append(sums, h.GetSampleSum())
		h.CreatedTimestamp, h.SampleSum = nil, nil
	}
	return c, sums
}

// TestNativeServedLikeClientGolang: a histogram declared native, with classic buckets and
// without, is served in protobuf as client_golang serves one with the same options and values:
// one series carrying both kinds of buckets, the same schema, zero threshold, zero bucket, spans
// and deltas, classic buckets, count, and sum up to rounding; in the text format, which has no
// native buckets, byte for byte what client_golang writes (a native-only histogram is its +Inf
// bucket, sum and count), on both the exporter path and the direct one.
func TestNativeServedLikeClientGolang(t *testing.T) {
	for _, classic := range []bool{true, false} {
		for _, direct := range []bool{false, true} {
			name := map[bool]string{true: "classic+native", false: "native-only"}[classic] + map[bool]string{false: "", true: "/direct"}[direct]
			t.Run(name, func(t *testing.T) {
				var opts []Option
				if direct {
					opts = append(opts, WithDirectScrape())
				}
				tel, cg := nativePair(t, classic, opts...)
				ct, body := scrapeAs(t, cg, prometheus2NativeAccept, false)
				want := decodeAs(t, ct, body)["rpc_seconds"]
				ct, body = scrapeAs(t, tel.Handler(), prometheus2NativeAccept, false)
				got := decodeAs(t, ct, body)["rpc_seconds"]
				if got == nil || want == nil {
					t.Fatalf("rpc_seconds: telediag %v, client_golang %v", got, want)
				}
				w, wsums := comparableHistogram(t, want)
				g, gsums := comparableHistogram(t, got)
				if !proto.Equal(w, g) {
					t.Errorf("protobuf differs:\ntelediag:      %v\nclient_golang: %v", g, w)
				}
				for i := range wsums {
					if i >= len(gsums) || math.Abs(gsums[i]-wsums[i]) > 1e-9*math.Abs(wsums[i]) {
						t.Errorf("series %d: sum %v, client_golang %v", i, gsums, wsums)
					}
				}
				if got.GetMetric()[0].GetHistogram().GetCreatedTimestamp() == nil {
					t.Error("no created timestamp")
				}

				_, cgText := scrapeAs(t, cg, "text/plain;version=0.0.4", false)
				_, ourText := scrapeAs(t, tel.Handler(), "text/plain;version=0.0.4", false)
				if w, g := familyLines(string(cgText), "rpc_seconds"), familyLines(string(ourText), "rpc_seconds"); withoutSums(w) != withoutSums(g) {
					t.Errorf("text differs:\ntelediag:\n%s\nclient_golang:\n%s", g, w)
				}
			})
		}
	}
}

// familyLines returns the lines of family name in a text exposition.
func familyLines(body, name string) string {
	var out []string
	for l := range strings.SplitSeq(body, "\n") {
		if strings.HasPrefix(l, name) || strings.HasPrefix(l, "# HELP "+name+" ") || strings.HasPrefix(l, "# TYPE "+name+" ") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// withoutSums blanks the _sum samples' values, which differ in their last digits.
func withoutSums(lines string) string {
	var out []string
	for l := range strings.SplitSeq(lines, "\n") {
		if name, _, _ := strings.Cut(l, " "); strings.Contains(name, "_sum") {
			l = name + " SUM"
		}
		out = append(out, l)
	}
	return strings.Join(out, "\n")
}
