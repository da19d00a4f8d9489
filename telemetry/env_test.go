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

	"github.com/telediag/telediag/internal/testutil"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// TestMalformedEndpointFailsAtStart: a bad OTEL_EXPORTER_OTLP_*ENDPOINT is one error naming the
// variable from New, not an exporter that quietly sends to its default.
func TestMalformedEndpointFailsAtStart(t *testing.T) {
	for _, tc := range []struct {
		name, variable, value, protocol, want string
	}{
		{"ftp scheme", envEndpoint, "ftp://collector:4318", "", "want an http:// or https:// URL"},
		{"not a url", envEndpoint, "not a url", "", "want an http:// or https:// URL"},
		{"bare host:port", envEndpoint, "localhost:4317", "grpc", "want an http:// or https:// URL"},
		{"no host", envEndpoint, "http://", "", "the URL has no host"},
		{"port only", envEndpoint, "http://:4318", "", "the URL has no host"},
		{"unparsable", envEndpoint, "http://[::1", "", "is not a URL"},
		{"bad port", envEndpoint, "http://collector:port", "grpc", "is not a URL"},
		{"metrics variable", envMetricsEndpoint, "collector/v1/metrics", "", "want an http:// or https:// URL"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clearOTelEnv(t)
			t.Setenv(tc.variable, tc.value)
			t.Setenv(envProtocol, tc.protocol)
			tel, err := New(context.Background(), WithLogger(slog.New(slog.DiscardHandler)))
			if err == nil {
				_ = tel.Shutdown(context.Background())
				t.Fatalf("New accepted %s=%q", tc.variable, tc.value)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.variable+"=") || !strings.Contains(msg, tc.want) || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming %s and saying %q", msg, tc.variable, tc.want)
			}
		})
	}
}

func TestWellFormedEndpointsAccepted(t *testing.T) {
	for _, tc := range []struct{ variable, value, protocol, endpoint string }{
		{envEndpoint, "http://127.0.0.1:4318", "", "http://127.0.0.1:4318/v1/metrics"},
		{envEndpoint, "https://collector.example:4318/", "http/protobuf", "https://collector.example:4318/v1/metrics"},
		{envEndpoint, "http://[::1]:4317", "grpc", "http://[::1]:4317"},
		{envMetricsEndpoint, "http://127.0.0.1:4318/custom/path", "", "http://127.0.0.1:4318/custom/path"},
	} {
		clearOTelEnv(t)
		t.Setenv(tc.variable, tc.value)
		t.Setenv(envProtocol, tc.protocol)
		p, err := choosePush(context.Background(), newConfig(nil))
		if err != nil {
			t.Errorf("%s=%q: %v", tc.variable, tc.value, err)
			continue
		}
		if p == nil || p.endpoint != tc.endpoint {
			t.Errorf("%s=%q: push %+v, want endpoint %s", tc.variable, tc.value, p, tc.endpoint)
		}
		if p != nil {
			_ = p.exporter.Shutdown(context.Background())
		}
	}
	// Push off: the endpoint is not used, so it is not judged.
	clearOTelEnv(t)
	t.Setenv(envMetricsExporter, "none")
	t.Setenv(envEndpoint, "not a url")
	if p, err := choosePush(context.Background(), newConfig(nil)); err != nil || p != nil {
		t.Errorf("OTEL_METRICS_EXPORTER=none with a bad endpoint: push %v, err %v", p, err)
	}
}

func TestParseResourceAttributes(t *testing.T) {
	for _, tc := range []struct {
		in      string
		want    []attribute.KeyValue
		wantErr string
	}{
		{"", nil, ""},
		{"a=b", []attribute.KeyValue{attribute.String("a", "b")}, ""},
		{" a = b , c=d%2Ce%20f ,", []attribute.KeyValue{attribute.String("a", "b"), attribute.String("c", "d,e f")}, ""},
		{"k=", []attribute.KeyValue{attribute.String("k", "")}, ""},
		{"k=a=b", []attribute.KeyValue{attribute.String("k", "a=b")}, ""},
		{"a=b,no-equals-sign", nil, `pair "no-equals-sign" has no '='`},
		{"=v", nil, `pair "=v" has an empty key`},
		{"a=%zz", nil, `pair "a=%zz": value is not percent-encoded correctly`},
	} {
		got, err := parseResourceAttributes(tc.in)
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) || got != nil {
				t.Errorf("%q: (%v, %v), want nil and %q", tc.in, got, err, tc.wantErr)
			}
			continue
		}
		if err != nil || len(got) != len(tc.want) {
			t.Errorf("%q: (%v, %v), want %v", tc.in, got, err, tc.want)
			continue
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("%q: [%d] = %v, want %v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
}

// TestMalformedResourceAttributesDiscarded: one bad pair makes the whole variable ignored with
// one warning naming it, as the specification says, and the process starts with the rest of
// its resource (OTEL_SERVICE_NAME included) intact.
func TestMalformedResourceAttributesDiscarded(t *testing.T) {
	clearOTelEnv(t)
	t.Setenv(envResourceAttributes, "team=core,no-equals-sign")
	t.Setenv(envServiceName, "my-sidecar")
	var logs bytes.Buffer
	exp := &recordingExporter{}
	tel, err := New(context.Background(), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))),
		WithPushExporter(exp, sdkmetric.WithInterval(time.Hour)))
	if err != nil {
		t.Fatalf("New refused to start on a malformed %s: %v", envResourceAttributes, err)
	}
	if err := tel.provider.ForceFlush(context.Background()); err != nil {
		t.Fatal(err)
	}
	if err := tel.Shutdown(context.Background()); err != nil {
		t.Fatal(err)
	}
	warnings := 0
	for _, line := range strings.Split(logs.String(), "\n") {
		if strings.Contains(line, "level=WARN") {
			warnings++
			if !strings.Contains(line, envResourceAttributes) || !strings.Contains(line, `no-equals-sign`) {
				t.Errorf("warning does not name the variable and the bad pair: %s", line)
			}
		}
	}
	if warnings != 1 {
		t.Errorf("%d warnings, want 1:\n%s", warnings, logs.String())
	}
	exp.mu.Lock()
	defer exp.mu.Unlock()
	res := exp.batches[0].Resource
	if v, ok := res.Set().Value("team"); ok {
		t.Errorf("team=%v kept from a discarded %s", v.Emit(), envResourceAttributes)
	}
	if v, _ := res.Set().Value("service.name"); v.AsString() != "my-sidecar" {
		t.Errorf("service.name = %q, want OTEL_SERVICE_NAME's", v.AsString())
	}
}

// flakyExporter succeeds until fail is set.
type flakyExporter struct {
	recordingExporter
	mu   sync.Mutex
	fail error
}

func (f *flakyExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	f.mu.Lock()
	err := f.fail
	f.mu.Unlock()
	if err != nil {
		return err
	}
	return f.recordingExporter.Export(ctx, rm)
}

// TestFinalExportErrorIsTyped: a lost final push is told apart from other failures with
// errors.Is / errors.As, it is the whole error when nothing else failed, and it says since when
// changes are missing.
func TestFinalExportErrorIsTyped(t *testing.T) {
	clearOTelEnv(t)
	exp := &flakyExporter{}
	tel, err := New(context.Background(), WithPushExporter(exp, sdkmetric.WithInterval(time.Hour)), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if err := tel.provider.ForceFlush(context.Background()); err != nil { // one delivered export
		t.Fatal(err)
	}
	exp.mu.Lock()
	exp.fail = errors.New("connection refused")
	exp.mu.Unlock()

	err = tel.Shutdown(context.Background())
	if !errors.Is(err, ErrFinalExportNotDelivered) {
		t.Fatalf("Shutdown = %v, want ErrFinalExportNotDelivered", err)
	}
	var fe *FinalExportError
	if !errors.As(err, &fe) {
		t.Fatalf("Shutdown = %v, not a *FinalExportError", err)
	}
	if err != error(fe) {
		t.Errorf("the lone failure is wrapped: %T %v", err, err)
	}
	if fe.Exporter != "custom" || fe.LastDelivered.Before(before) || !strings.Contains(fe.Err.Error(), "connection refused") {
		t.Errorf("FinalExportError = %+v", fe)
	}
	if !strings.Contains(err.Error(), "changes recorded since the last delivered export at") {
		t.Errorf("message does not say what is lost: %v", err)
	}

	// A push that works: Shutdown returns nil.
	ok, err := New(context.Background(), WithPushExporter(&recordingExporter{}, sdkmetric.WithInterval(time.Hour)), WithLogger(slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	if err := ok.Shutdown(context.Background()); err != nil {
		t.Errorf("Shutdown with a working exporter: %v", err)
	}
}

// TestCollectorHungAtShutdown: a collector that accepts connections and never answers makes
// Shutdown return at its deadline with ErrFinalExportNotDelivered (and the deadline as cause),
// without logging anything itself, over both OTLP protocols.
func TestCollectorHungAtShutdown(t *testing.T) {
	for _, protocol := range []string{"grpc", "http/protobuf"} {
		t.Run(strings.ReplaceAll(protocol, "/", "_"), func(t *testing.T) {
			clearOTelEnv(t)
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			if err != nil {
				t.Fatal(err)
			}
			var conns []net.Conn
			var mu sync.Mutex
			var wg sync.WaitGroup
			wg.Go(func() {
				for {
					c, err := ln.Accept()
					if err != nil {
						return
					}
					mu.Lock()
					conns = append(conns, c) // held open, never answered
					mu.Unlock()
				}
			})
			t.Cleanup(func() {
				ln.Close()
				wg.Wait()
				mu.Lock()
				for _, c := range conns {
					c.Close()
				}
				mu.Unlock()
			})
			t.Setenv(envEndpoint, "http://"+ln.Addr().String())
			t.Setenv(envProtocol, protocol)
			t.Setenv("OTEL_METRIC_EXPORT_INTERVAL", "3600000")

			var logs testutil.SyncBuffer
			t0, err := New(context.Background(), WithLogger(slog.New(slog.NewTextHandler(&logs, nil))))
			if err != nil {
				t.Fatal(err)
			}
			tel := withCatalogue(t, t0)
			tel.Instruments.Rx.Add(context.Background(), 1)
			logs.Reset()

			ctx, cancel := context.WithTimeout(context.Background(), 500*time.Millisecond)
			defer cancel()
			start := time.Now()
			err = tel.Shutdown(ctx)
			took := time.Since(start)
			if took > 2*time.Second {
				t.Errorf("Shutdown took %v with a 500ms deadline", took)
			}
			if !errors.Is(err, ErrFinalExportNotDelivered) || !errors.Is(err, context.DeadlineExceeded) {
				t.Fatalf("Shutdown = %v, want ErrFinalExportNotDelivered caused by the deadline", err)
			}
			var fe *FinalExportError
			if !errors.As(err, &fe) || err != error(fe) || fe.Endpoint == "" || !fe.LastDelivered.IsZero() {
				t.Errorf("Shutdown = %#v, want a lone *FinalExportError with the endpoint and no delivery", err)
			}
			if out := logs.String(); out != "" {
				t.Errorf("Shutdown logged, but its caller reports the failure:\n%s", out)
			}
			t.Logf("Shutdown after %v: %v", took.Round(time.Millisecond), err)
		})
	}
}
