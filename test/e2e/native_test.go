//go:build e2e

package e2e

import (
	"context"
	encbin "encoding/binary"
	"encoding/hex"
	"fmt"
	"log/slog"
	"math"
	"net/http/httptest"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/sdk/metric/exemplar"
	"go.opentelemetry.io/otel/trace"

	"github.com/telediag/telediag/telemetry"
	"github.com/telediag/telediag/telemetry/instrument"
)

// nativeTraffic is a service's traffic on tel's provider, as a generated catalogue records it:
// rpc_duration_seconds, a histogram declared with native buckets (schema 3) beside classic
// ones, and rpc_requests_total, a counter, both labelled method="get" and recorded inside
// sampled spans. Durations cycle through 1 ms … 1 s, so the 0.9 quantile is about 0.9 s.
type nativeTraffic struct {
	hist    metric.Float64Histogram
	counter metric.Int64Counter
	mu      sync.Mutex
	traces  map[string]bool // the trace IDs recorded, in hex
}

func newNativeTraffic(t *testing.T, tel *telemetry.Telemetry) *nativeTraffic {
	t.Helper()
	m := tel.MeterProvider().Meter("example.com/e2e/native")
	if !instrument.NewGroup(m).DeclareNative("rpc_duration_seconds", instrument.Native{
		Schema: 3, MaxBuckets: instrument.DefaultNativeMaxBuckets, ZeroThreshold: instrument.DefaultNativeZeroThreshold,
	}) {
		t.Fatal("DeclareNative: the pipeline does not serve native buckets")
	}
	n := &nativeTraffic{traces: map[string]bool{}}
	var err error
	if n.hist, err = m.Float64Histogram("rpc_duration_seconds", metric.WithDescription("RPC latency."), metric.WithUnit("s"),
		metric.WithExplicitBucketBoundaries(0.01, 0.1, 1)); err != nil {
		t.Fatal(err)
	}
	if n.counter, err = m.Int64Counter("rpc_requests_total", metric.WithDescription("RPCs.")); err != nil {
		t.Fatal(err)
	}
	if !instrument.OnFastPath(n.hist) || !instrument.OnFastPath(n.counter) {
		t.Fatal("the instruments are not on the fast path")
	}
	return n
}

// record records the i-th request.
func (n *nativeTraffic) record(i uint64) {
	var tid trace.TraceID
	encbin.BigEndian.PutUint64(tid[:8], 0xe2e)
	encbin.BigEndian.PutUint64(tid[8:], i+1)
	sid := trace.SpanID{0xe2, 0xe0, 0, 0, 0, 0, 0, byte(i)}
	ctx := trace.ContextWithSpanContext(context.Background(), trace.NewSpanContext(trace.SpanContextConfig{
		TraceID: tid, SpanID: sid, TraceFlags: trace.FlagsSampled}))
	n.mu.Lock()
	n.traces[hex.EncodeToString(tid[:])] = true
	n.mu.Unlock()
	a := metric.WithAttributes(attribute.String("method", "get"))
	n.hist.Record(ctx, 0.001*float64(1+i%1000), a)
	n.counter.Add(ctx, 1, a)
}

func (n *nativeTraffic) recorded(traceID string) bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	return n.traces[traceID]
}

// run records 1000 requests every 100 ms until ctx ends.
func (n *nativeTraffic) run(ctx context.Context) {
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for i := uint64(0); ; {
		for range 1000 {
			n.record(i)
			i++
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// TestNativeHistogramsInPrometheus: a real Prometheus with native histograms and exemplar
// storage on scrapes a pipeline with the trace_based exemplar filter in protobuf; it stores
// rpc_duration_seconds as a native histogram (histogram_count works on it, and
// histogram_quantile over its rate finds the 0.9 quantile), and the exemplars it returns carry
// the trace IDs of the spans the values were recorded in.
func TestNativeHistogramsInPrometheus(t *testing.T) {
	promBin := binary(t, envPrometheus)
	ctx, cancel := context.WithCancel(context.Background())
	tel, err := telemetry.New(ctx, telemetry.WithoutEnvironmentExporter(), telemetry.WithoutRuntimeMetrics(),
		telemetry.WithExemplarFilter(exemplar.TraceBasedFilter), telemetry.WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	traffic := newNativeTraffic(t, tel)
	var wg sync.WaitGroup
	wg.Go(func() { traffic.run(ctx) })
	t.Cleanup(func() {
		cancel()
		wg.Wait()
		_ = tel.Shutdown(context.Background())
	})
	srv := httptest.NewServer(tel.Handler())
	t.Cleanup(srv.Close)
	self := &proc{name: "test process", done: make(chan struct{})}
	base, prom := startPrometheusFor(t, promBin, scrapeTarget{job: "native", addr: srv.Listener.Addr().String(), path: "/metrics", proc: self,
		flags: []string{"--enable-feature=native-histograms,exemplar-storage"}})

	waitFor(t, "rpc_duration_seconds stored as a native histogram", 30*time.Second, func() error {
		res, err := promQuery(base, `histogram_count(rate(rpc_duration_seconds{job="native"}[1m]))`)
		if err != nil {
			return err
		}
		if v, err := res[0].float(); err != nil || v <= 0 {
			return fmt.Errorf("histogram_count of the rate = %v (%v), want > 0", v, err)
		}
		return nil
	}, prom)
	waitFor(t, "histogram_quantile(0.9) on the native series", 30*time.Second, func() error {
		res, err := promQuery(base, `histogram_quantile(0.9, rate(rpc_duration_seconds{job="native"}[1m]))`)
		if err != nil {
			return err
		}
		// Values cycle through 1 ms … 1 s; at schema 3 a bucket spans 9 %, and Prometheus
		// interpolates within it.
		if v, err := res[0].float(); err != nil || v < 0.8 || v > 1.0 {
			return fmt.Errorf("0.9 quantile = %v (%v), want about 0.9", v, err)
		}
		return nil
	}, prom)

	for _, series := range []string{"rpc_requests_total", "rpc_duration_seconds"} {
		waitFor(t, "exemplars of "+series, 30*time.Second, func() error {
			var data []struct {
				SeriesLabels map[string]string `json:"seriesLabels"`
				Exemplars    []struct {
					Labels map[string]string `json:"labels"`
					Value  string            `json:"value"`
				} `json:"exemplars"`
			}
			now := time.Now()
			q := url.Values{"query": {series + `{job="native"}`},
				"start": {strconv.FormatInt(now.Add(-time.Minute).Unix(), 10)}, "end": {strconv.FormatInt(now.Unix()+1, 10)}}
			if err := promAPI(base, "/api/v1/query_exemplars", q, &data); err != nil {
				return err
			}
			n := 0
			for _, s := range data {
				for _, e := range s.Exemplars {
					id := e.Labels["trace_id"]
					if !traffic.recorded(id) || e.Labels["span_id"] == "" {
						return fmt.Errorf("exemplar %v of %v: trace_id %q is none of the recorded spans'", e, s.SeriesLabels, id)
					}
					n++
				}
			}
			if n == 0 {
				return fmt.Errorf("no exemplars for %s (%d series)", series, len(data))
			}
			return nil
		}, prom)
	}
}

// TestNativeHistogramsAtCollector pushes the same traffic over OTLP, with cumulative and with
// delta temporality, to a real Collector: its debug exporter logs rpc_duration_seconds as an
// ExponentialHistogram of scale 3 and both metrics with exemplars whose trace IDs are the
// spans'.
func TestNativeHistogramsAtCollector(t *testing.T) {
	otelcol := binary(t, envOtelcol)
	for _, temporality := range []string{"cumulative", "delta"} {
		t.Run(temporality, func(t *testing.T) {
			ports, col := startDetailedCollector(t, otelcol)
			setPushEnv(t, ports, temporality, "native-"+temporality, map[string]string{"OTEL_METRICS_EXEMPLAR_FILTER": "trace_based"})
			ctx := context.Background()
			tel, err := telemetry.New(ctx, telemetry.WithoutRuntimeMetrics(), telemetry.WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatal(err)
			}
			traffic := newNativeTraffic(t, tel)
			for i := range uint64(1000) {
				traffic.record(i)
			}
			if err := tel.Shutdown(ctx); err != nil {
				t.Fatalf("final push: %v", err)
			}
			waitFor(t, "the collector to log rpc_duration_seconds as an exponential histogram with exemplars", 20*time.Second, func() error {
				log, err := os.ReadFile(col.logPath)
				if err != nil {
					return err
				}
				return checkCollectorLog(string(log), traffic)
			}, col)
		})
	}
}

// checkScale reads the scale of the first exponential data point in a debug exporter's log of
// one metric, which it logs only as bucket bounds ("Bucket (lower, upper], Count: n", six
// decimals): their ratio is 2^(2^-scale).
func checkScale(m string, scale int) error {
	for l := range strings.SplitSeq(m, "\n") {
		_, b, ok := strings.Cut(l, "Bucket (")
		if !ok {
			continue
		}
		var lo, hi float64
		if _, err := fmt.Sscanf(b, "%f, %f]", &lo, &hi); err != nil || lo < 0.001 {
			continue // too small for six decimals to tell
		}
		want := math.Pow(2, math.Pow(2, -float64(scale)))
		if r := hi / lo; math.Abs(r-want) > 0.003*want {
			return fmt.Errorf("bucket (%v, %v]: growth %v, want %v (scale %d)", lo, hi, r, want, scale)
		}
		return nil
	}
	return fmt.Errorf("no bucket of at least 0.001 logged to read the scale from")
}

// checkCollectorLog finds, in the debug exporter's detailed log, rpc_duration_seconds as an
// exponential histogram of scale 3 with exemplars, and rpc_requests_total with exemplars, each
// exemplar's trace ID one of the recorded spans'.
func checkCollectorLog(log string, traffic *nativeTraffic) error {
	metrics := strings.Split(log, "Metric #")
	found := map[string]bool{}
	for _, m := range metrics {
		var name string
		switch {
		case strings.Contains(m, "-> Name: rpc_duration_seconds\n"):
			name = "rpc_duration_seconds"
			if !strings.Contains(m, "-> DataType: ExponentialHistogram") {
				return fmt.Errorf("rpc_duration_seconds is not an exponential histogram: %.300q", m)
			}
			if err := checkScale(m, 3); err != nil {
				return fmt.Errorf("rpc_duration_seconds: %w", err)
			}
		case strings.Contains(m, "-> Name: rpc_requests_total\n"):
			name = "rpc_requests_total"
		default:
			continue
		}
		ids := 0
		for l := range strings.SplitSeq(m, "\n") {
			if _, id, ok := strings.Cut(l, "-> Trace ID: "); ok {
				if !traffic.recorded(strings.TrimSpace(id)) {
					return fmt.Errorf("%s: exemplar trace ID %q is none of the recorded spans'", name, id)
				}
				ids++
			}
		}
		if ids == 0 {
			return fmt.Errorf("%s: no exemplars logged:\n%s", name, m)
		}
		found[name] = true
	}
	if !found["rpc_duration_seconds"] || !found["rpc_requests_total"] {
		return fmt.Errorf("logged: %v, want both metrics", found)
	}
	return nil
}
