package teleport

import (
	"context"
	"runtime"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/telemetry/instrument/instrumenttest"
)

// TestCreateAndReleaseThousandTimes: a service that re-creates Teleport's catalogue on one
// long-lived MeterProvider (tests, reloads) leaks nothing. Each of 1,000 cycles creates the
// catalogue, records into every instrument, collects and releases it. Afterwards no callback is
// registered, a collection takes no longer than after the first cycles, and the heap has not
// grown: each cycle that leaked its callbacks would leave a drain over some 60 counters and
// three observables behind, run at every later collection.
func TestCreateAndReleaseThousandTimes(t *testing.T) {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = sdk.Shutdown(ctx) }()
	mp := instrumenttest.CountCallbacks(sdk)
	monitor, err := probes.New(probes.WithExpected("auth"))
	if err != nil {
		t.Fatal(err)
	}
	var rm metricdata.ResourceMetrics
	collect := func() {
		if err := reader.Collect(ctx, &rm); err != nil {
			t.Fatal(err)
		}
	}
	perCatalogue := 0 // the counters' drain and the observables' callbacks: the same in every cycle
	cycle := func() {
		m, err := New(mp, monitor)
		if err != nil {
			t.Fatal(err)
		}
		instrumenttest.RecordAll(ctx, m.Instruments, 1, exampleLabel)
		collect()
		if perCatalogue == 0 {
			perCatalogue = mp.Live()
		}
		if n := mp.Live(); n != perCatalogue || n < 4 {
			t.Fatalf("%d callbacks registered by one catalogue, want %d, and at least 4: the counters' drain and 3 observables", n, perCatalogue)
		}
		if err := m.Release(); err != nil {
			t.Fatal(err)
		}
		if n := mp.Live(); n != 0 {
			t.Fatalf("%d callbacks left after Release", n)
		}
	}
	// fastestCollect is the fastest of several collections: the least disturbed by a busy machine.
	fastestCollect := func() time.Duration {
		best := time.Duration(1<<63 - 1)
		for range 30 {
			start := time.Now()
			collect()
			best = min(best, time.Since(start))
		}
		return best
	}
	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	const warmup, cycles = 20, 1000
	for range warmup {
		cycle()
	}
	baseTime, baseHeap := fastestCollect(), heap()
	for range cycles - warmup {
		cycle()
	}
	after, heapAfter := fastestCollect(), heap()
	t.Logf("after %d cycles: collection %v (%v after %d), heap %d KiB (%d KiB)", cycles, after, baseTime, warmup, heapAfter>>10, baseHeap>>10)
	if after > 2*baseTime+200*time.Microsecond {
		t.Errorf("a collection takes %v after %d cycles, %v after %d", after, cycles, baseTime, warmup)
	}
	if heapAfter > baseHeap+1<<20 {
		t.Errorf("heap grew from %d KiB to %d KiB over %d cycles", baseHeap>>10, heapAfter>>10, cycles-warmup)
	}
}

// TestInstrumentsRegisterCallback: one callback for several observables, as for values read
// from one source, is released with the catalogue.
func TestInstrumentsRegisterCallback(t *testing.T) {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	sdk := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer func() { _ = sdk.Shutdown(ctx) }()
	mp := instrumenttest.CountCallbacks(sdk)
	i, err := NewInstruments(mp)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := i.RegisterCallback(func(_ context.Context, o metric.Observer) error {
		o.ObserveInt64(i.ProcessState.Inst(), 2)
		o.ObserveInt64(i.TeleportComponentState.Inst(), 2, metric.WithAttributes(attribute.String("component", "auth")))
		return nil
	}, i.ProcessState.Inst(), i.TeleportComponentState.Inst()); err != nil {
		t.Fatal(err)
	}
	got := instrumenttest.Collect(t, reader, ScopeName)
	if got["process_state"] != "gauge: " || got["teleport_component_state"] != "gauge: component" {
		t.Fatalf("collected %v", got)
	}
	if err := i.Release(); err != nil {
		t.Fatal(err)
	}
	if n := mp.Live(); n != 0 {
		t.Fatalf("%d callbacks after Release", n)
	}
	got = instrumenttest.Collect(t, reader, ScopeName)
	if _, ok := got["process_state"]; ok {
		t.Errorf("process_state still reported after Release: %v", got)
	}
	if _, err := i.RegisterCallback(func(context.Context, metric.Observer) error { return nil }, i.ProcessState.Inst()); err == nil {
		t.Error("RegisterCallback after Release gave no error")
	}
	var none *Instruments
	if _, err := none.RegisterCallback(func(context.Context, metric.Observer) error { return nil }); err != nil {
		t.Error(err)
	}
}
