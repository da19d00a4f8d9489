package telemetry

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

func clearOTelEnv(t *testing.T) {
	t.Helper()
	for _, v := range []string{envMetricsExporter, envProtocol, envMetricsProtocol, envEndpoint, envMetricsEndpoint} {
		t.Setenv(v, "")
	}
}

func TestChoosePushFromEnvironment(t *testing.T) {
	tests := []struct {
		name    string
		env     map[string]string
		want    string // push kind, "" for none
		wantErr string
	}{
		{name: "nothing set: pull only", env: nil, want: ""},
		{name: "endpoint only: OTLP over the default http/protobuf", env: map[string]string{envEndpoint: "http://127.0.0.1:4318"}, want: "otlp/http/protobuf"},
		{name: "metrics endpoint only", env: map[string]string{envMetricsEndpoint: "http://127.0.0.1:4318/v1/metrics"}, want: "otlp/http/protobuf"},
		{name: "endpoint and grpc", env: map[string]string{envEndpoint: "http://127.0.0.1:4317", envProtocol: "grpc"}, want: "otlp/grpc"},
		{name: "metrics protocol wins", env: map[string]string{envEndpoint: "http://127.0.0.1:4317", envProtocol: "http/protobuf", envMetricsProtocol: "grpc"}, want: "otlp/grpc"},
		{name: "exporter otlp without endpoint: the exporter's default endpoint", env: map[string]string{envMetricsExporter: "otlp"}, want: "otlp/http/protobuf"},
		{name: "exporter none wins over an endpoint", env: map[string]string{envMetricsExporter: "none", envEndpoint: "http://127.0.0.1:4318"}, want: ""},
		{name: "exporter prometheus: pull only, on our own handler", env: map[string]string{envMetricsExporter: "prometheus"}, want: ""},
		{name: "exporter console", env: map[string]string{envMetricsExporter: "console"}, want: "console"},
		{name: "invalid protocol names the variable", env: map[string]string{envEndpoint: "http://127.0.0.1:4318", envProtocol: "http/json"},
			wantErr: `OTEL_EXPORTER_OTLP_PROTOCOL="http/json": want grpc or http/protobuf`},
		{name: "invalid metrics protocol names its variable", env: map[string]string{envMetricsExporter: "otlp", envMetricsProtocol: "udp"},
			wantErr: `OTEL_EXPORTER_OTLP_METRICS_PROTOCOL="udp": want grpc or http/protobuf`},
		{name: "unknown exporter", env: map[string]string{envMetricsExporter: "otlp,prometheus"},
			wantErr: `OTEL_METRICS_EXPORTER="otlp,prometheus": want otlp, console, prometheus or none`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clearOTelEnv(t)
			for k, v := range tt.env {
				t.Setenv(k, v)
			}
			p, err := choosePush(context.Background(), newConfig(nil))
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("err = %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if p != nil {
				got = p.kind
				_ = p.exporter.Shutdown(context.Background())
			}
			if got != tt.want {
				t.Errorf("push = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestNewFailsOnInvalidProtocol(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv(envEndpoint, "http://127.0.0.1:4318")
	t.Setenv(envProtocol, "http/json")
	if _, err := New(context.Background()); err == nil || !strings.Contains(err.Error(), "OTEL_EXPORTER_OTLP_PROTOCOL") {
		t.Fatalf("err = %v, want one naming OTEL_EXPORTER_OTLP_PROTOCOL", err)
	}
}

func TestOptionsOverrideEnvironment(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv(envMetricsExporter, "otlp,bad") // would be an error if read
	if p, err := choosePush(context.Background(), newConfig([]Option{WithoutEnvironmentExporter()})); err != nil || p != nil {
		t.Fatalf("WithoutEnvironmentExporter: push %v, err %v", p, err)
	}
	exp := &recordingExporter{}
	p, err := choosePush(context.Background(), newConfig([]Option{WithPushExporter(exp)}))
	if err != nil || p == nil || p.exporter != exp {
		t.Fatalf("WithPushExporter: push %v, err %v", p, err)
	}
}

// recordingExporter keeps what the periodic reader exports, for in-process checks of what a
// collector would receive.
type recordingExporter struct {
	mu      sync.Mutex
	batches []metricdata.ResourceMetrics
	fail    error
}

func (r *recordingExporter) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	return sdkmetric.DefaultTemporalitySelector(k)
}
func (r *recordingExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}
func (r *recordingExporter) Export(_ context.Context, rm *metricdata.ResourceMetrics) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.fail != nil {
		return r.fail
	}
	r.batches = append(r.batches, *rm)
	return nil
}
func (r *recordingExporter) ForceFlush(context.Context) error { return nil }
func (r *recordingExporter) Shutdown(context.Context) error   { return nil }

// TestPushCarriesEverythingOnce checks what a collector receives: every generated instrument,
// the client_golang families through the bridge, the runtime metrics, and no name twice.
func TestPushCarriesEverythingOnce(t *testing.T) {
	clearOTelEnv(t)
	exp := &recordingExporter{}
	tel := withCatalogue(t, newTestTelemetry(t, WithPushExporter(exp, sdkmetric.WithInterval(time.Hour))))
	recordEveryInstrument(context.Background(), tel.Instruments)
	if err := tel.provider.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	exp.mu.Lock()
	defer exp.mu.Unlock()
	if len(exp.batches) != 1 {
		t.Fatalf("%d exports, want 1", len(exp.batches))
	}
	rm := exp.batches[0]
	if v, ok := rm.Resource.Set().Value("service.name"); !ok || !strings.HasPrefix(v.AsString(), "unknown_service:") {
		t.Errorf("resource service.name = %v", v)
	}
	seen := map[string]int{}
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			seen[m.Name]++
		}
	}
	for _, name := range generatedNames(t) {
		if seen[name] == 0 {
			t.Errorf("generated %s not exported", name)
		}
	}
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total", "go_memstats_alloc_bytes", "go_gc_duration_seconds", "go.goroutine.count", "go.memory.used"} {
		if seen[name] == 0 {
			t.Errorf("%s not exported", name)
		}
	}
	for name, n := range seen {
		if n > 1 {
			t.Errorf("%s exported %d times", name, n)
		}
	}
}

func TestQuietExporterSummarisesFailures(t *testing.T) {
	var logs bytes.Buffer
	rec := &recordingExporter{fail: errors.New("connection refused")}
	q := &quietExporter{Exporter: rec, log: slog.New(slog.NewTextHandler(&logs, nil)), kind: "otlp/grpc", every: time.Hour}
	for range 50 {
		if err := q.Export(context.Background(), &metricdata.ResourceMetrics{}); err != nil {
			t.Fatalf("Export returned %v: failures must not reach the global error handler", err)
		}
	}
	if n := strings.Count(logs.String(), "\n"); n != 1 {
		t.Errorf("50 failures logged %d lines, want 1:\n%s", n, logs.String())
	}
	if q.lastError() == nil {
		t.Error("lastError nil after failures")
	}
	rec.mu.Lock()
	rec.fail = nil
	rec.mu.Unlock()
	_ = q.Export(context.Background(), &metricdata.ResourceMetrics{})
	if !strings.Contains(logs.String(), "metrics export recovered") || !strings.Contains(logs.String(), "failed_exports=50") {
		t.Errorf("recovery not logged with the count:\n%s", logs.String())
	}
	if q.lastError() != nil {
		t.Error("lastError set after a success")
	}
}

// TestShutdownReportsFailedFinalExport: a collector that is down at shutdown is an error the
// caller sees, not a silent loss.
func TestShutdownReportsFailedFinalExport(t *testing.T) {
	clearOTelEnv(t)
	exp := &recordingExporter{fail: errors.New("connection refused")}
	tel, err := New(context.Background(), WithPushExporter(exp, sdkmetric.WithInterval(time.Hour)), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	err = tel.Shutdown(context.Background())
	if !errors.Is(err, ErrFinalExportNotDelivered) || !strings.Contains(err.Error(), "final metrics export") {
		t.Fatalf("Shutdown = %v, want the failed final export", err)
	}
	if again := tel.Shutdown(context.Background()); again == nil || again.Error() != err.Error() {
		t.Errorf("second Shutdown = %v, want the first result", again)
	}
}

// TestCollectorDownAtStart: with nothing listening at the OTLP endpoint, New does not block,
// recording and /metrics work, and Shutdown returns within its context's deadline with the
// failed flush as its error.
func TestCollectorDownAtStart(t *testing.T) {
	for _, protocol := range []string{"grpc", "http/protobuf"} {
		t.Run(strings.ReplaceAll(protocol, "/", "_"), func(t *testing.T) {
			clearOTelEnv(t)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			addr := ln.Addr().String()
			ln.Close() // nothing listens there now
			t.Setenv(envEndpoint, "http://"+addr)
			t.Setenv(envProtocol, protocol)
			t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "50")

			start := time.Now()
			t0, err := New(context.Background(), WithLogger(slog.New(slog.DiscardHandler)))
			if err != nil {
				t.Fatal(err)
			}
			if d := time.Since(start); d > 2*time.Second {
				t.Errorf("New took %v with the collector down", d)
			}
			tel := withCatalogue(t, t0)
			for range 1000 {
				tel.Instruments.Rx.Add(context.Background(), 1)
			}
			time.Sleep(200 * time.Millisecond) // a few failed export cycles
			families, _ := scrape(t, tel.Handler())
			if v := families["rx"].GetMetric()[0].GetCounter().GetValue(); v != 1000 {
				t.Errorf("rx = %v on /metrics while the collector is down, want 1000", v)
			}
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			start = time.Now()
			err = tel.Shutdown(ctx)
			if d := time.Since(start); d > 3*time.Second {
				t.Errorf("Shutdown took %v with a 1s deadline", d)
			}
			if !errors.Is(err, ErrFinalExportNotDelivered) {
				t.Errorf("Shutdown = %v, want ErrFinalExportNotDelivered: the final flush cannot have reached anyone", err)
			}
		})
	}
}

// slowExporter holds every export that carries data for hold, as a collector under load
// does, giving up when its context ends. It asks for delta temporality (unless cumulative) and
// keeps the sum of the deltas it delivered.
type slowExporter struct {
	hold     time.Duration
	inFlight chan struct{} // receives once per export with data, when it begins to wait
	// ignoreCtx holds for hold whatever the context says, as stdoutmetric or a careless
	// custom exporter does; failFirst fails the first export with data after holding it;
	// cumulative asks for cumulative temporality instead.
	ignoreCtx, failFirst, cumulative bool

	mu        sync.Mutex
	delivered int64
	failed    bool
}

func (s *slowExporter) Temporality(k sdkmetric.InstrumentKind) metricdata.Temporality {
	if s.cumulative {
		return sdkmetric.DefaultTemporalitySelector(k)
	}
	return metricdata.DeltaTemporality
}
func (s *slowExporter) Aggregation(k sdkmetric.InstrumentKind) sdkmetric.Aggregation {
	return sdkmetric.DefaultAggregationSelector(k)
}
func (s *slowExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	var sum int64
	for _, sm := range rm.ScopeMetrics {
		for _, m := range sm.Metrics {
			if d, ok := m.Data.(metricdata.Sum[int64]); ok && m.Name == "shutdown.adds" {
				for _, dp := range d.DataPoints {
					sum += dp.Value
				}
			}
		}
	}
	if sum == 0 {
		return nil
	}
	select {
	case s.inFlight <- struct{}{}:
	default:
	}
	if s.ignoreCtx {
		time.Sleep(s.hold)
	} else {
		select {
		case <-time.After(s.hold):
		case <-ctx.Done():
			return ctx.Err() // the interval is lost, as with a real exporter
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.failFirst && !s.failed {
		s.failed = true
		return errors.New("connection reset by peer")
	}
	s.delivered += sum
	return nil
}
func (s *slowExporter) ForceFlush(context.Context) error { return nil }
func (s *slowExporter) Shutdown(context.Context) error   { return nil }

// pushingToSlowExporter is a Telemetry pushing every 20ms to exp (its hold and the others as
// given), and its counter shutdown.adds.
func pushingToSlowExporter(t *testing.T, exp *slowExporter) (*Telemetry, *slowExporter, metric.Int64Counter) {
	t.Helper()
	clearOTelEnv(t)
	exp.inFlight = make(chan struct{}, 1)
	tel, err := New(context.Background(), WithPushExporter(exp, sdkmetric.WithInterval(20*time.Millisecond)),
		WithoutRuntimeMetrics(), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	adds, err := tel.MeterProvider().Meter("shutdown").Int64Counter("shutdown.adds")
	if err != nil {
		t.Fatal(err)
	}
	return tel, exp, adds
}

// TestShutdownDeliversTheExportInFlight: a periodic export under way when Shutdown begins
// carries a delta interval nothing else will send again. Shutdown waits for it (the SDK's own
// reader would cancel it) and then pushes the rest, so the exporter gets every add.
func TestShutdownDeliversTheExportInFlight(t *testing.T) {
	tel, exp, adds := pushingToSlowExporter(t, &slowExporter{hold: 300 * time.Millisecond})
	ctx := context.Background()
	adds.Add(ctx, 7)
	<-exp.inFlight // a periodic export holds the 7
	adds.Add(ctx, 5)
	if err := tel.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v", err)
	}
	exp.mu.Lock()
	defer exp.mu.Unlock()
	if exp.delivered != 12 {
		t.Errorf("delivered %d of 12 adds", exp.delivered)
	}
}

// TestShutdownDeadlineEndsTheExportInFlight: detached from the reader's loop, an export in
// flight still ends with the shutdown's context, and Shutdown says the push was not delivered.
func TestShutdownDeadlineEndsTheExportInFlight(t *testing.T) {
	tel, exp, adds := pushingToSlowExporter(t, &slowExporter{hold: time.Hour})
	adds.Add(context.Background(), 7)
	<-exp.inFlight
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	err := tel.Shutdown(ctx)
	if !errors.Is(err, ErrFinalExportNotDelivered) {
		t.Errorf("Shutdown = %v, want ErrFinalExportNotDelivered", err)
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Shutdown took %v with a 200ms deadline", took)
	}
}

// TestShutdownJudgesTheExportInFlight: what Shutdown says when an export was in flight as it
// began. Each case lets the in-flight export carry 7 adds and the final one 5.
func TestShutdownJudgesTheExportInFlight(t *testing.T) {
	for _, tc := range []struct {
		name      string
		exp       *slowExporter
		deadline  time.Duration // of the shutdown's context; 0 for none
		delivered bool
	}{
		// It succeeds when the deadline has passed, so the final collection never runs: the
		// 5 adds are lost, though the last export to end succeeded.
		{"ends after the deadline", &slowExporter{hold: 300 * time.Millisecond, ignoreCtx: true}, 150 * time.Millisecond, false},
		// It fails and the final one succeeds: with delta temporality its 7 adds are lost.
		{"fails, delta", &slowExporter{hold: 100 * time.Millisecond, failFirst: true}, 0, false},
		// The same with cumulative temporality: the final export carries every add.
		{"fails, cumulative", &slowExporter{hold: 100 * time.Millisecond, failFirst: true, cumulative: true}, 0, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tel, exp, adds := pushingToSlowExporter(t, tc.exp)
			adds.Add(context.Background(), 7)
			<-exp.inFlight
			adds.Add(context.Background(), 5)
			ctx := context.Background()
			if tc.deadline > 0 {
				var cancel context.CancelFunc
				ctx, cancel = context.WithTimeout(ctx, tc.deadline)
				defer cancel()
			}
			err := tel.Shutdown(ctx)
			if tc.delivered && err != nil {
				t.Errorf("Shutdown = %v, want nil: everything was delivered", err)
			}
			if !tc.delivered && !errors.Is(err, ErrFinalExportNotDelivered) {
				exp.mu.Lock()
				defer exp.mu.Unlock()
				t.Errorf("Shutdown = %v with %d adds delivered, want ErrFinalExportNotDelivered", err, exp.delivered)
			}
		})
	}
}
