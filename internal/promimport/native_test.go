package promimport

import (
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestImportNativeHistograms: read from protobuf, as import asks for it first, a client_golang
// histogram with classic and native buckets imports its classic buckets with a note naming
// what is not carried, and a native-only one is left out with its reason; nothing is dropped
// without a word.
func TestImportNativeHistograms(t *testing.T) {
	reg := prometheus.NewRegistry()
	both := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "rpc_seconds", Help: "RPC latency.", Buckets: []float64{0.1, 1}, NativeHistogramBucketFactor: 1.1})
	native := prometheus.NewHistogram(prometheus.HistogramOpts{Name: "payload_bytes", Help: "Payload sizes.", NativeHistogramBucketFactor: 1.1})
	reg.MustRegister(both, native)
	both.Observe(0.5)
	native.Observe(100)
	fams, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	res, cat := importOK(t, fams, Options{})
	if m := cat.Metric("rpc_seconds"); m == nil || !slices.Equal(m.Buckets, []float64{0.1, 1}) {
		t.Errorf("rpc_seconds: %+v", m)
	}
	if !slices.ContainsFunc(res.Notes, func(n string) bool {
		return strings.HasPrefix(n, "rpc_seconds: served as a native histogram too (schema 3)")
	}) {
		t.Errorf("no note on rpc_seconds' native buckets: %q", res.Notes)
	}
	if r := skippedReason(res, "payload_bytes"); !strings.Contains(r, "native histogram without classic buckets") {
		t.Errorf("payload_bytes left out with %q", r)
	}
}
