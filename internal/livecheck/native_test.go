package livecheck

import (
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/internal/catalog"
)

// TestNativeRules holds RunWith's native comparison on a real client_golang registry, gathered
// as protobuf would carry it: a series per method, one of them with a lowered schema written
// by hand (client_golang lowers it only past its bucket limit); an empty native histogram,
// which client_golang marks native with an empty span; and ClassicOnly, which compares nothing
// native and warns once per declared native family.
func TestNativeRules(t *testing.T) {
	reg := prometheus.NewRegistry()
	rpc := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "rpc_seconds", Help: "RPC latency.", NativeHistogramBucketFactor: 1.1,
		NativeHistogramZeroThreshold: prometheus.NativeHistogramZeroThresholdZero}, []string{"method"})
	idle := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "idle_seconds", Help: "Idle time.", NativeHistogramBucketFactor: 1.1,
		NativeHistogramZeroThreshold: prometheus.NativeHistogramZeroThresholdZero})
	reg.MustRegister(rpc, idle)
	rpc.WithLabelValues("GET").Observe(0.5)
	rpc.WithLabelValues("PUT").Observe(2)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var put *dto.Histogram
	for _, f := range fams {
		if f.GetName() == "rpc_seconds" {
			put = f.GetMetric()[1].GetHistogram()
		}
	}
	*put.Schema = 1 // lowered, as a series past its bucket limit
	cat, err := catalog.Parse("native.yaml", []byte(`labels:
  method: {description: The method.}
metrics:
  - name: rpc_seconds
    kind: histogram
    value_type: double
    unit: s
    description: RPC latency.
    labels: [method]
    native: {bucket_factor: 1.1, zero_threshold: 0}
  - name: idle_seconds
    kind: histogram
    value_type: double
    unit: s
    description: Idle time.
    native: {schema: 3, zero_threshold: 0}
`))
	if err != nil {
		t.Fatal(err)
	}
	if res := RunWith(cat, fams, Options{}); len(res.Findings) != 0 {
		t.Errorf("findings on a conforming service: %+v", res.Findings)
	}
	*put.Schema = 4
	res := RunWith(cat, fams, Options{})
	if len(res.Findings) != 1 || res.Findings[0].Check != Native || res.Findings[0].Line != 4 ||
		!strings.HasPrefix(res.Findings[0].Message, "served schema 4, above the declared 3") {
		t.Errorf("findings %+v, want rpc_seconds' schema above the declared one", res.Findings)
	}
	res = RunWith(cat, fams, Options{ClassicOnly: true, Format: "text/plain; version=0.0.4"})
	if len(res.Findings) != 2 || res.Failed() || !strings.Contains(res.Findings[1].Message, "native buckets not compared: the service answered text/plain; version=0.0.4") {
		t.Errorf("ClassicOnly findings %+v, want one warning per native family", res.Findings)
	}
}
