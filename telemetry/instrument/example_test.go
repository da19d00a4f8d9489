package instrument_test

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/telediag/telediag/telemetry/instrument"
)

// ExampleFastPath wires the fast path as telemetry.New does: a producer for every reader,
// then the provider wrapped. A histogram created from it records into lock-free cells, and the
// reader collects what a plain SDK histogram would have given it.
func ExampleFastPath() {
	ctx := context.Background()
	path := instrument.NewFastPath(instrument.FastPathConfig{CardinalityLimit: 2000})
	prod, err := path.Producer(nil, nil) // cumulative, explicit buckets: what the reader below uses
	if err != nil {
		panic(err)
	}
	reader := sdkmetric.NewManualReader(sdkmetric.WithProducer(prod))
	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithCardinalityLimit(2000))
	defer sdk.Shutdown(ctx)
	mp := path.MeterProvider(sdk)

	meter := mp.Meter("example.com/store")
	inst, err := meter.Float64Histogram("backend_read_seconds", metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.001, 0.01, 0.1, 1))
	if err != nil {
		panic(err)
	}
	// Generated code wraps it in a Recorder keyed by label values.
	reads, err := instrument.NewRecorder(instrument.NewGroup(meter), "backend_read_seconds", inst,
		func(k [1]string) attribute.Set { return attribute.NewSet(attribute.String("component", k[0])) })
	if err != nil {
		panic(err)
	}
	cache := reads.Bind([1]string{"cache"})
	cache.Record(ctx, 0.004)
	cache.Record(ctx, 0.02)
	reads.Record(ctx, 0.5, [1]string{"backend"})

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		panic(err)
	}
	fmt.Println("fast path:", instrument.OnFastPath(inst))
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			for _, p := range m.Data.(metricdata.Histogram[float64]).DataPoints {
				lo, _ := p.Min.Value()
				hi, _ := p.Max.Value()
				fmt.Printf("%s{%s} count=%d sum=%g min=%g max=%g buckets=%v\n", m.Name,
					p.Attributes.Encoded(attribute.DefaultEncoder()), p.Count, p.Sum, lo, hi, p.BucketCounts)
			}
		}
	}
	// Output:
	// fast path: true
	// backend_read_seconds{component=cache} count=2 sum=0.024 min=0.004 max=0.02 buckets=[0 1 1 0 0]
	// backend_read_seconds{component=backend} count=1 sum=0.5 min=0.5 max=0.5 buckets=[0 0 0 1 0]
}

// ExampleWithSettings gives a plain SDK provider's limit to the catalogues created from it, as
// telemetry's MeterProvider does for its pipeline: a generated NewInstruments reads it from the
// Meter, and its series caches stop where the SDK starts folding label sets into the
// otel.metric.overflow series.
func ExampleWithSettings() {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader), sdkmetric.WithCardinalityLimit(3))
	defer sdk.Shutdown(ctx)
	mp := instrument.WithSettings(sdk, instrument.Settings{CardinalityLimit: 3})

	meter := mp.Meter("example.com/store") // what a generated NewInstruments(mp) does
	inst, err := meter.Int64Counter("backend_reads_total")
	if err != nil {
		panic(err)
	}
	reads, err := instrument.NewCounter(instrument.NewGroup(meter), "backend_reads_total", inst,
		func(k [1]string) attribute.Set { return attribute.NewSet(attribute.String("component", k[0])) })
	if err != nil {
		panic(err)
	}
	for _, c := range []string{"cache", "backend", "etcd", "dynamo"} {
		reads.Add(ctx, 1, [1]string{c})
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		panic(err)
	}
	var series []string
	for _, p := range rm.ScopeMetrics[0].Metrics[0].Data.(metricdata.Sum[int64]).DataPoints {
		series = append(series, fmt.Sprintf("{%s} %d", p.Attributes.Encoded(attribute.DefaultEncoder()), p.Value))
	}
	slices.Sort(series)
	fmt.Println(strings.Join(series, "\n"))
	// Output:
	// {component=backend} 1
	// {component=cache} 1
	// {otel.metric.overflow=true} 2
}
