package telemetry

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"sync"
	"time"

	promb "go.opentelemetry.io/contrib/bridges/prometheus"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
)

// The environment variables telemetry reads itself. Everything else (endpoint, headers,
// timeout, TLS, compression, OTEL_METRIC_EXPORT_INTERVAL…) is read by the OTLP exporters and the
// SDK's periodic reader, which know those variables best.
const (
	envMetricsExporter = "OTEL_METRICS_EXPORTER"
	envProtocol        = "OTEL_EXPORTER_OTLP_PROTOCOL"
	envMetricsProtocol = "OTEL_EXPORTER_OTLP_METRICS_PROTOCOL"
	envEndpoint        = "OTEL_EXPORTER_OTLP_ENDPOINT"
	envMetricsEndpoint = "OTEL_EXPORTER_OTLP_METRICS_ENDPOINT"
)

// push is what was chosen for pushing metrics, for logs and tests.
type push struct {
	exporter sdkmetric.Exporter
	kind     string // "otlp/grpc", "otlp/http/protobuf", "console" or "custom"
}

// choosePush decides, from the options and then the standard OTel environment, whether and
// where to push. Pull (/metrics) is served in every case.
//
//   - WithPushExporter wins; WithoutEnvironmentExporter leaves push off.
//   - OTEL_METRICS_EXPORTER=none turns push off; =console prints to stdout; =otlp pushes over
//     OTLP; =prometheus means pull only, which telemetry always serves on its own handler.
//   - Unset, push is on when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT is set.
//   - The protocol is OTEL_EXPORTER_OTLP_METRICS_PROTOCOL, else OTEL_EXPORTER_OTLP_PROTOCOL,
//     else http/protobuf (the specification's default): grpc or http/protobuf.
func choosePush(ctx context.Context, cfg *config) (*push, error) {
	if cfg.pushExporter != nil {
		return &push{exporter: cfg.pushExporter, kind: "custom"}, nil
	}
	if !cfg.useEnv {
		return nil, nil
	}
	exporter := strings.TrimSpace(os.Getenv(envMetricsExporter))
	switch exporter {
	case "":
		if os.Getenv(envEndpoint) == "" && os.Getenv(envMetricsEndpoint) == "" {
			return nil, nil
		}
	case "otlp":
	case "none", "prometheus":
		return nil, nil
	case "console":
		exp, err := stdoutmetric.New()
		if err != nil {
			return nil, fmt.Errorf("telemetry: %s=console: %w", envMetricsExporter, err)
		}
		return &push{exporter: exp, kind: "console"}, nil
	default:
		return nil, fmt.Errorf("telemetry: %s=%q: want otlp, console, prometheus or none (one value)", envMetricsExporter, exporter)
	}
	protoVar, protocol := envMetricsProtocol, strings.TrimSpace(os.Getenv(envMetricsProtocol))
	if protocol == "" {
		protoVar, protocol = envProtocol, strings.TrimSpace(os.Getenv(envProtocol))
	}
	switch protocol {
	case "grpc":
		exp, err := otlpmetricgrpc.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP/gRPC exporter from the OTEL_EXPORTER_OTLP_* environment: %w", err)
		}
		return &push{exporter: exp, kind: "otlp/grpc"}, nil
	case "", "http/protobuf":
		exp, err := otlpmetrichttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP/HTTP exporter from the OTEL_EXPORTER_OTLP_* environment: %w", err)
		}
		return &push{exporter: exp, kind: "otlp/http/protobuf"}, nil
	default:
		return nil, fmt.Errorf("telemetry: %s=%q: want grpc or http/protobuf", protoVar, protocol)
	}
}

// newPushReader wraps the chosen exporter in a periodic reader that also carries the
// client_golang collectors (go_*, process_*, promhttp_*) through the Prometheus bridge, so a
// collector receives the same documented names a scraper sees. The bridge gathers only the
// collectors' registry: given the OTel exporter's too, it would send every instrument twice.
func (t *Telemetry) newPushReader(p *push, cfg *config) sdkmetric.Reader {
	exp := &quietExporter{Exporter: p.exporter, log: cfg.logger, kind: p.kind, every: cfg.exportErrorEvery}
	t.pushExporter = exp
	opts := append([]sdkmetric.PeriodicReaderOption{
		sdkmetric.WithProducer(promb.NewMetricProducer(promb.WithGatherer(t.runtimeReg))),
	}, cfg.periodicOpts...)
	return sdkmetric.NewPeriodicReader(exp, opts...)
}

// quietExporter keeps a collector outage from flooding the log or the OTel global error
// handler: the first failure is logged at once, later ones at most once per interval with a
// count, and the recovery is logged when an export succeeds again. Cumulative temporality
// means a missed export loses nothing: the next one carries the totals.
type quietExporter struct {
	sdkmetric.Exporter
	log   *slog.Logger
	kind  string
	every time.Duration

	mu       sync.Mutex
	failing  bool
	failures int
	lastLog  time.Time
	lastErr  error
}

// lastError is the error of the latest export, nil if it succeeded: after Shutdown, whether the
// final flush reached the collector.
func (q *quietExporter) lastError() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.lastErr
}

// Export implements sdkmetric.Exporter. It reports failures by logging and returns nil, so the
// SDK does not also hand every failure to the global error handler.
func (q *quietExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	err := q.Exporter.Export(ctx, rm)
	q.mu.Lock()
	defer q.mu.Unlock()
	q.lastErr = err
	now := time.Now()
	switch {
	case err == nil && q.failing:
		q.log.Info("metrics export recovered", "exporter", q.kind, "failed_exports", q.failures)
		q.failing, q.failures = false, 0
	case err != nil && !q.failing:
		q.failing, q.failures, q.lastLog = true, 1, now
		q.log.Warn("metrics export failed; retrying every export interval, later failures are summarised",
			"exporter", q.kind, "error", err)
	case err != nil:
		q.failures++
		if now.Sub(q.lastLog) >= q.every {
			q.lastLog = now
			q.log.Warn("metrics export still failing", "exporter", q.kind, "failed_exports", q.failures, "error", err)
		}
	}
	return nil
}
