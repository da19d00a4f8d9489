// Package instrumenttest drives a generated catalogue in tests, whatever its fields: RecordAll
// and Record record into its synchronous instruments through their typed methods, ObserveAll
// registers a callback on each observable one, Collect describes what an SDK reader collected,
// and CountCallbacks counts what a catalogue left registered. The tests instrumentgen
// generates use it, and so do the tests of the generic pipeline.
package instrumenttest

import (
	"context"
	"sort"
	"strings"
	"testing"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// Collect collects reader and describes every metric of the instrumentation scope as
// "KIND: KEYS": KIND is counter, updowncounter, gauge, histogram, summary or other, and KEYS
// the sorted, comma-separated attribute keys its data points carry.
func Collect(tb testing.TB, reader sdkmetric.Reader, scope string) map[string]string {
	tb.Helper()
	var rm metricdata.ResourceMetrics
	if err := reader.Collect(context.Background(), &rm); err != nil {
		tb.Fatal(err)
	}
	got := map[string]string{}
	for _, sm := range rm.ScopeMetrics {
		if sm.Scope.Name != scope {
			continue
		}
		for _, m := range sm.Metrics {
			kind, sets := describe(m.Data)
			got[m.Name] = kind + ": " + strings.Join(keys(sets), ",")
		}
	}
	return got
}

func describe(d metricdata.Aggregation) (string, []attribute.Set) {
	switch d := d.(type) {
	case metricdata.Sum[int64]:
		return sumKind(d.IsMonotonic), sets(d.DataPoints, func(p metricdata.DataPoint[int64]) attribute.Set { return p.Attributes })
	case metricdata.Sum[float64]:
		return sumKind(d.IsMonotonic), sets(d.DataPoints, func(p metricdata.DataPoint[float64]) attribute.Set { return p.Attributes })
	case metricdata.Gauge[int64]:
		return "gauge", sets(d.DataPoints, func(p metricdata.DataPoint[int64]) attribute.Set { return p.Attributes })
	case metricdata.Gauge[float64]:
		return "gauge", sets(d.DataPoints, func(p metricdata.DataPoint[float64]) attribute.Set { return p.Attributes })
	case metricdata.Histogram[int64]:
		return "histogram", sets(d.DataPoints, func(p metricdata.HistogramDataPoint[int64]) attribute.Set { return p.Attributes })
	case metricdata.Histogram[float64]:
		return "histogram", sets(d.DataPoints, func(p metricdata.HistogramDataPoint[float64]) attribute.Set { return p.Attributes })
	case metricdata.Summary:
		return "summary", sets(d.DataPoints, func(p metricdata.SummaryDataPoint) attribute.Set { return p.Attributes })
	}
	return "other", nil
}

func sumKind(monotonic bool) string {
	if monotonic {
		return "counter"
	}
	return "updowncounter"
}

func sets[P any](points []P, attrs func(P) attribute.Set) []attribute.Set {
	out := make([]attribute.Set, len(points))
	for i, p := range points {
		out[i] = attrs(p)
	}
	return out
}

func keys(sets []attribute.Set) []string {
	seen := map[string]bool{}
	var out []string
	for _, s := range sets {
		for _, kv := range s.ToSlice() {
			if k := string(kv.Key); !seen[k] {
				seen[k] = true
				out = append(out, k)
			}
		}
	}
	sort.Strings(out)
	return out
}
