package teleport

import (
	"context"
	"runtime"
	"testing"
	"time"

	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/telemetry/instrument/instrumenttest"
)

// TestCreateAndCloseThousandTimes: a service that re-creates Teleport's catalogue on one
// long-lived MeterProvider (tests, reloads) leaks nothing. Each of 1,000 cycles creates the
// catalogue, records into every instrument, collects and closes it. Afterwards no callback is
// registered, a collection takes no longer than after the first cycles, and the heap has not
// grown: each cycle that leaked its callbacks would leave a drain over some 60 counters and
// three observables behind, run at every later collection.
func TestCreateAndCloseThousandTimes(t *testing.T) {
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
	cycle := func() {
		m, err := New(mp, monitor)
		if err != nil {
			t.Fatal(err)
		}
		instrumenttest.RecordAll(ctx, m.Instruments, 1, exampleLabel)
		collect()
		if n := mp.Live(); n != 4 {
			t.Fatalf("%d callbacks registered by one catalogue, want 4: the counters' drain and 3 observables", n)
		}
		if err := m.Close(); err != nil {
			t.Fatal(err)
		}
		if n := mp.Live(); n != 0 {
			t.Fatalf("%d callbacks left after Close", n)
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
