package instrument

import (
	"context"
	"fmt"
	"testing"

	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// TestRecorderMatchesSDK: cached options give the same histogram as building the set per call,
// and past the cache bound values still reach the SDK.
func TestRecorderMatchesSDK(t *testing.T) {
	r := sdkmetric.NewManualReader()
	m := WithSettings(newProvider(t, sdkmetric.WithReader(r)), Settings{CardinalityLimit: 2}).Meter("test")
	fastInst, _ := m.Float64Histogram("fast", metric.WithExplicitBucketBoundaries(1, 2))
	plain, _ := m.Float64Histogram("plain", metric.WithExplicitBucketBoundaries(1, 2))
	fast, err := NewRecorder(NewGroup(m), "fast", metric.Float64Histogram(fastInst), attrs1)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for i := range 9 {
		k := [1]string{fmt.Sprint("c", i%4)}
		fast.Record(ctx, float64(i)/3, k)
		plain.Record(ctx, float64(i)/3, metric.WithAttributeSet(attrs1(k)))
	}
	fast.Bind([1]string{"c3"}).Record(ctx, 7)
	plain.Record(ctx, 7, metric.WithAttributeSet(attrs1([1]string{"c3"})))

	var rm metricdata.ResourceMetrics
	if err := r.Collect(ctx, &rm); err != nil {
		t.Fatal(err)
	}
	got := map[string]map[string]string{}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		pts := map[string]string{}
		for _, p := range m.Data.(metricdata.Histogram[float64]).DataPoints {
			pts[setString(p.Attributes)] = fmt.Sprint(p.Count, p.Sum, p.BucketCounts)
		}
		got[m.Name] = pts
	}
	if len(got["plain"]) != 4 || fmt.Sprint(got["fast"]) != fmt.Sprint(got["plain"]) {
		t.Fatalf("cached %v\nSDK    %v", got["fast"], got["plain"])
	}
}
