package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/metric/metricdata/metricdatatest"

	"github.com/telediag/telediag/telemetry/instrument"
	"github.com/telediag/telediag/telemetry/internal/testcatalog"
)

// captureExporter keeps a copy of every export, with the temporality it was built with. The
// Prometheus bridge's scope (the go_* and process_* families, which move by themselves) is left
// out.
type captureExporter struct {
	temporality metricdata.Temporality
	mu          sync.Mutex
	exports     []metricdata.ResourceMetrics
}

func (e *captureExporter) Temporality(sdkmetric.InstrumentKind) metricdata.Temporality {
	return e.temporality
}

func (e *captureExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}

func (e *captureExporter) Export(_ context.Context, rm *metricdata.ResourceMetrics) error {
	out := metricdata.ResourceMetrics{Resource: rm.Resource}
	for _, sm := range rm.ScopeMetrics {
		if strings.Contains(sm.Scope.Name, "bridges/prometheus") {
			continue
		}
		c := metricdata.ScopeMetrics{Scope: sm.Scope}
		for _, m := range sm.Metrics {
			c.Metrics = append(c.Metrics, metricdata.Metrics{Name: m.Name, Description: m.Description, Unit: m.Unit, Data: copyData(m.Data)})
		}
		out.ScopeMetrics = append(out.ScopeMetrics, c)
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	e.exports = append(e.exports, out)
	return nil
}

func (*captureExporter) ForceFlush(context.Context) error { return nil }
func (*captureExporter) Shutdown(context.Context) error   { return nil }

func (e *captureExporter) last() metricdata.ResourceMetrics {
	e.mu.Lock()
	defer e.mu.Unlock()
	return e.exports[len(e.exports)-1]
}

// copyData deep-copies what the test catalogue produces: the reader reuses its slices.
func copyData(a metricdata.Aggregation) metricdata.Aggregation {
	switch d := a.(type) {
	case metricdata.Sum[int64]:
		d.DataPoints = slices.Clone(d.DataPoints)
		return d
	case metricdata.Sum[float64]:
		d.DataPoints = slices.Clone(d.DataPoints)
		return d
	case metricdata.Gauge[int64]:
		d.DataPoints = slices.Clone(d.DataPoints)
		return d
	case metricdata.Gauge[float64]:
		d.DataPoints = slices.Clone(d.DataPoints)
		return d
	case metricdata.Histogram[float64]:
		d.DataPoints = slices.Clone(d.DataPoints)
		for i := range d.DataPoints {
			d.DataPoints[i].BucketCounts = slices.Clone(d.DataPoints[i].BucketCounts)
			d.DataPoints[i].Bounds = slices.Clone(d.DataPoints[i].Bounds)
		}
		return d
	}
	return a
}

// TestHistogramsMatchSDKPath: one pipeline whose histograms, counters and gauges take the fast
// path and one whose instruments take the SDK's (a reader of its own forces it) record the
// same random sequence.
// /metrics (exporter and direct path) and every OTLP push, cumulative and delta, are equal.
func TestHistogramsMatchSDKPath(t *testing.T) {
	for _, temporality := range []metricdata.Temporality{metricdata.CumulativeTemporality, metricdata.DeltaTemporality} {
		t.Run(temporality.String(), func(t *testing.T) {
			ctx := context.Background()
			newSide := func(opts ...Option) (*fixture, *captureExporter) {
				push := &captureExporter{temporality: temporality}
				tel, err := New(ctx, append([]Option{WithoutEnvironmentExporter(), WithoutRuntimeMetrics(), WithDirectScrape(),
					WithLogger(slog.New(slog.DiscardHandler)), WithServiceName("hist"), WithCardinalityLimit(8),
					WithPushExporter(push, sdkmetric.WithInterval(time.Hour))}, opts...)...)
				if err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { _ = tel.Shutdown(ctx) })
				return withCatalogue(t, tel), push
			}
			fast, fastPush := newSide()
			sdk, sdkPush := newSide(WithReader(sdkmetric.NewManualReader()))
			for _, pair := range [][2]any{
				{fast.Instruments.RequestSeconds, sdk.Instruments.RequestSeconds},
				{fast.Instruments.RequestsTotal, sdk.Instruments.RequestsTotal},
				{fast.Instruments.InFlight, sdk.Instruments.InFlight},
				{fast.Instruments.DiskUsedPercent, sdk.Instruments.DiskUsedPercent},
			} {
				if !instrument.OnFastPath(pair[0]) || instrument.OnFastPath(pair[1]) {
					t.Fatalf("%T: want the fast path on one side only", pair[0])
				}
			}
			compare := func() {
				t.Helper()
				if !compareWithExporter(t, fast) {
					t.Fatal("the direct path did not serve the scrape")
				}
				_, f := scrapeBody(t, fast.Handler(), nil)
				_, s := scrapeBody(t, sdk.Handler(), nil)
				if f, s := otelFamilies(t, fast, f), otelFamilies(t, sdk, s); f != s {
					t.Fatalf("/metrics differs:\n%s", firstDifference(f, s))
				}
				for _, side := range []*fixture{fast, sdk} {
					if err := side.provider.ForceFlush(ctx); err != nil {
						t.Fatal(err)
					}
				}
				metricdatatest.AssertEqual(t, sdkPush.last(), fastPush.last(), metricdatatest.IgnoreTimestamp())
			}
			rng := rand.New(rand.NewPCG(7, 7))
			for step := range 2000 {
				v := float64(rng.IntN(5000)) / 1024
				n := rng.IntN(12)
				c := fmt.Sprint("c", n) // past the limit of 8
				for _, side := range []*fixture{fast, sdk} {
					switch step % 4 {
					case 0:
						side.Instruments.RequestSeconds.Record(ctx, v, c)
					case 1:
						side.Instruments.RequestSeconds.Bind(c).Record(ctx, v)
					case 2:
						side.Instruments.WriteSeconds.RecordSet(ctx, v, attribute.NewSet(attribute.String("component", c)))
					default:
						// Below the limit: drained counters (the SDK side) fold delta series
						// past it in the order of their drain, not of their arrival.
						side.Instruments.RequestsTotal.Add(ctx, 1, fmt.Sprint("c", n%7))
						// Counters, up-down counters and gauges take the fast path too.
						side.Instruments.InFlight.Add(ctx, int64(n)-6, testcatalog.OpAttr([]string{"get", "put"}[n%2]))
						side.Instruments.DiskUsedPercent.Record(ctx, v)
						side.Instruments.ConnectedPeers.Record(ctx, int64(n))
					}
				}
				if rng.IntN(150) == 0 {
					compare()
				}
			}
			compare()
		})
	}
}

// TestFastPathChosenByPipeline: the fast path needs a producer on every reader, and an exemplar
// filter it can apply itself (one the specification names); an exponential View is a fast
// stream.
func TestFastPathChosenByPipeline(t *testing.T) {
	for _, tc := range []struct {
		name string
		opts []Option
		fast bool
	}{
		{"default", nil, true},
		{"push reader", []Option{WithPushExporter(&captureExporter{temporality: metricdata.DeltaTemporality})}, true},
		{"a reader of its own", []Option{WithReader(sdkmetric.NewManualReader())}, false},
		{"exemplars", []Option{WithExemplarFilter(exemplar.TraceBasedFilter)}, true},
		{"a filter of its own", []Option{WithExemplarFilter(func(context.Context) bool { return true })}, false},
		{"exponential view", []Option{WithView(sdkmetric.NewView(sdkmetric.Instrument{Name: "request_seconds"},
			sdkmetric.Stream{Aggregation: sdkmetric.AggregationBase2ExponentialHistogram{MaxSize: 160, MaxScale: 20}}))}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tel := withCatalogue(t, newTestTelemetry(t, append([]Option{WithoutEnvironmentExporter(), WithoutRuntimeMetrics(),
				WithLogger(slog.New(slog.DiscardHandler))}, tc.opts...)...))
			if got := instrument.OnFastPath(tel.Instruments.RequestSeconds); got != tc.fast {
				t.Fatalf("fast path %v, want %v", got, tc.fast)
			}
		})
	}
}

// TestMergeScopes: a scope's metrics are merged into its first ScopeMetrics, in order, and the
// input is not written to.
func TestMergeScopes(t *testing.T) {
	a := metricdata.ScopeMetrics{Metrics: []metricdata.Metrics{{Name: "a1"}, {Name: "a2"}}}
	a.Scope.Name = "a"
	b := metricdata.ScopeMetrics{Metrics: []metricdata.Metrics{{Name: "b1"}}}
	b.Scope.Name = "b"
	a2 := metricdata.ScopeMetrics{Scope: a.Scope, Metrics: []metricdata.Metrics{{Name: "a3"}}}
	in := []metricdata.ScopeMetrics{a, b, a2}
	got := mergeScopes(in)
	names := func(sm metricdata.ScopeMetrics) (out []string) {
		for _, m := range sm.Metrics {
			out = append(out, m.Name)
		}
		return out
	}
	if len(got) != 2 || fmt.Sprint(names(got[0]), names(got[1])) != "[a1 a2 a3] [b1]" {
		t.Fatalf("merged %v", got)
	}
	if len(in) != 3 || fmt.Sprint(names(in[0])) != "[a1 a2]" {
		t.Fatalf("input changed: %v", in)
	}
	if single := in[:2]; &mergeScopes(single)[0] != &single[0] {
		t.Fatal("a slice without repeated scopes was copied")
	}
}
