package scrape

import (
	"bytes"
	"math"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// nativeRegistry is a real client_golang registry with a native histogram (factor 1.1, schema
// 3, classic buckets too) and a native-only one, both with exemplars, and a counter with one.
func nativeRegistry(t *testing.T, labelName string) *prometheus.Registry {
	t.Helper()
	reg := prometheus.NewRegistry()
	both := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rpc_seconds", Help: "RPC latency.", Buckets: []float64{0.1, 1}, NativeHistogramBucketFactor: 1.1}, []string{labelName})
	only := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "payload_bytes", Help: "Payload sizes.", NativeHistogramBucketFactor: 1.1, NativeHistogramZeroThreshold: 0.5})
	reqs := prometheus.NewCounter(prometheus.CounterOpts{Name: "requests_total", Help: "Requests."})
	reg.MustRegister(both, only, reqs)
	trace := prometheus.Labels{"trace_id": "4bf92f3577b34da6a3ce929d0e0e4736"}
	both.WithLabelValues("GET").(prometheus.ExemplarObserver).ObserveWithExemplar(0.5, trace)
	only.(prometheus.ExemplarObserver).ObserveWithExemplar(100, trace)
	only.Observe(0.25) // in the zero bucket
	reqs.(prometheus.ExemplarAdder).AddWithExemplar(1, trace)
	return reg
}

// checkNative holds the decoded families to what nativeRegistry served: the native fields
// (schema, zero threshold, spans, deltas) and the exemplars, in the histogram's buckets and in
// the counter.
func checkNative(t *testing.T, exp *Exposition) {
	t.Helper()
	fams := byName(exp.Families)
	both := fams["rpc_seconds"].GetMetric()[0].GetHistogram()
	if both.Schema == nil || both.GetSchema() != 3 || both.GetZeroThreshold() != math.Ldexp(1, -128) || len(both.GetPositiveSpan()) == 0 || len(finite(both)) != 2 {
		t.Errorf("rpc_seconds: schema %v, zero threshold %v, spans %v, %d classic buckets", both.Schema, both.GetZeroThreshold(), both.GetPositiveSpan(), len(both.GetBucket()))
	}
	if ex := both.GetBucket()[1].GetExemplar(); ex == nil || ex.GetValue() != 0.5 || ex.GetLabel()[0].GetValue() != "4bf92f3577b34da6a3ce929d0e0e4736" {
		t.Errorf("rpc_seconds: the exemplar of bucket le=1 is %v", ex)
	}
	only := fams["payload_bytes"].GetMetric()[0].GetHistogram()
	if only.GetSchema() != 3 || only.GetZeroThreshold() != 0.5 || only.GetZeroCount() != 1 || len(only.GetPositiveSpan()) != 1 || len(only.GetPositiveDelta()) != 1 || len(finite(only)) != 0 {
		t.Errorf("payload_bytes: %v", only)
	}
	if len(only.GetExemplars()) != 1 || only.GetExemplars()[0].GetValue() != 100 {
		t.Errorf("payload_bytes: native exemplars %v", only.GetExemplars())
	}
	if ex := fams["requests_total"].GetMetric()[0].GetCounter().GetExemplar(); ex == nil || ex.GetValue() != 1 {
		t.Errorf("requests_total: exemplar %v", ex)
	}
}

// TestFetchNativeHistograms: a real client_golang service served by promhttp answers the fetch
// in protobuf, and the decoded families keep what only protobuf carries: native histograms
// with and without classic buckets (a native-only one has a +Inf bucket alone), and exemplars.
func TestFetchNativeHistograms(t *testing.T) {
	srv := httptest.NewServer(promhttp.HandlerFor(nativeRegistry(t, "method"), promhttp.HandlerOpts{EnableOpenMetrics: true}))
	t.Cleanup(srv.Close)
	exp, err := get(t, srv.URL+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if exp.Format.FormatType() != expfmt.TypeProtoDelim {
		t.Fatalf("decoded as %s, want protobuf", exp.Format)
	}
	checkNative(t, exp)
}

// TestFetchNativeHistogramsEscaped: a family served in protobuf with a label name Prometheus 2
// does not store (a dot), so that decode escapes it, keeps its native fields and exemplars.
func TestFetchNativeHistogramsEscaped(t *testing.T) {
	fams, err := nativeRegistry(t, "http.method").Gather()
	if err != nil {
		t.Fatal(err)
	}
	format := expfmt.NewFormat(expfmt.TypeProtoDelim).WithEscapingScheme(model.NoEscaping)
	var body bytes.Buffer
	enc := expfmt.NewEncoder(&body, format)
	for _, mf := range fams {
		if err := enc.Encode(mf); err != nil {
			t.Fatal(err)
		}
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", string(format))
		w.Write(body.Bytes())
	}))
	t.Cleanup(srv.Close)
	exp, err := get(t, srv.URL+"/metrics")
	if err != nil {
		t.Fatal(err)
	}
	if exp.Escaped["http.method"] != "http_method" {
		t.Fatalf("escaped %v, want http.method read as http_method", exp.Escaped)
	}
	var lp *dto.LabelPair
	if ls := byName(exp.Families)["rpc_seconds"].GetMetric()[0].GetLabel(); len(ls) == 1 {
		lp = ls[0]
	}
	if lp.GetName() != "http_method" {
		t.Errorf("label %v, want http_method", lp)
	}
	checkNative(t, exp)
}

// finite are a histogram's classic buckets: client_golang serves a native-only histogram with
// one +Inf bucket in protobuf, which carries its exemplar.
func finite(h *dto.Histogram) []*dto.Bucket {
	var out []*dto.Bucket
	for _, b := range h.GetBucket() {
		if !math.IsInf(b.GetUpperBound(), 1) {
			out = append(out, b)
		}
	}
	return out
}
