package telemetry

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	promb "go.opentelemetry.io/contrib/bridges/prometheus"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetricgrpc"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/exporters/stdout/stdoutmetric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"
	"go.opentelemetry.io/otel/sdk/resource"
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
	endpoint string // where an OTLP exporter sends, "" when unknown
}

// choosePush decides, from the options and then the standard OTel environment, whether and
// where to push. Pull (/metrics) is served in every case.
//
//   - WithPushExporter wins; WithoutEnvironmentExporter leaves push off.
//   - OTEL_METRICS_EXPORTER=none turns push off; =console prints to stdout; =otlp pushes over
//     OTLP; =prometheus means pull only, which telemetry always serves on its own handler.
//   - Unset, push is on when OTEL_EXPORTER_OTLP_ENDPOINT or OTEL_EXPORTER_OTLP_METRICS_ENDPOINT
//     is set.
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
	for _, name := range []string{envEndpoint, envMetricsEndpoint} {
		if err := checkEndpoint(name); err != nil {
			return nil, err
		}
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
		return &push{exporter: exp, kind: "otlp/grpc", endpoint: otlpEndpoint(protocol)}, nil
	case "", "http/protobuf":
		exp, err := otlpmetrichttp.New(ctx)
		if err != nil {
			return nil, fmt.Errorf("telemetry: OTLP/HTTP exporter from the OTEL_EXPORTER_OTLP_* environment: %w", err)
		}
		return &push{exporter: exp, kind: "otlp/http/protobuf", endpoint: otlpEndpoint(protocol)}, nil
	default:
		return nil, fmt.Errorf("telemetry: %s=%q: want grpc or http/protobuf", protoVar, protocol)
	}
}

// newPushReader wraps the chosen exporter in a periodic reader that also carries the
// client_golang collectors (go_*, process_*, promhttp_*) through the Prometheus bridge, so a
// collector receives the same documented names a scraper sees, and WithGatherer's families
// (see bridgeOptions). The bridge gathers only the collectors' registry: given the OTel
// exporter's too, it would send every instrument twice.
//
// The exporter sends res, the resource New built, rather than the provider's: sdkmetric merges
// OTEL_RESOURCE_ATTRIBUTES into its resource by itself and keeps the valid pairs of a malformed
// value, where the specification (and New) discard the whole value.
//
// With the fast path, the reader also gets its producer, with the exporter's
// temporality and aggregation, and it always gets the summaries' producer; the exporter merges
// the producers' scopes into the SDK's.
//
// With oldNames (WithOldNamesOverOTLP), the exporter also receives each renamed metric under its
// old names (renames.otlp).
func (t *Telemetry) newPushReader(p *push, cfg *config, res *resource.Resource, oldNames bool) (sdkmetric.Reader, error) {
	exp := &quietExporter{Exporter: p.exporter, log: cfg.logger, kind: p.kind, endpoint: p.endpoint, every: cfg.exportErrorEvery, res: res, families: t.families}
	exp.abandon, exp.abandonWith = context.WithCancelCause(context.Background())
	for _, kind := range []sdkmetric.InstrumentKind{sdkmetric.InstrumentKindCounter, sdkmetric.InstrumentKindUpDownCounter,
		sdkmetric.InstrumentKindHistogram, sdkmetric.InstrumentKindGauge, sdkmetric.InstrumentKindObservableCounter,
		sdkmetric.InstrumentKindObservableUpDownCounter, sdkmetric.InstrumentKindObservableGauge} {
		exp.delta = exp.delta || p.exporter.Temporality(kind) == metricdata.DeltaTemporality
	}
	if oldNames {
		exp.renames = t.renames
	}
	t.pushExporter = exp
	opts := []sdkmetric.PeriodicReaderOption{
		sdkmetric.WithProducer(promb.NewMetricProducer(t.bridgeOptions()...)),
	}
	if t.fastPath != nil {
		prod, err := t.fastPath.Producer(p.exporter.Temporality, p.exporter.Aggregation)
		if err != nil {
			return nil, fmt.Errorf("telemetry: histograms: %w", err)
		}
		opts = append(opts, sdkmetric.WithProducer(prod))
	}
	// The summaries, as OTel Summary points in their catalogue's scope; cumulative whatever
	// the exporter's temporality, as an OTLP summary is by definition.
	opts = append(opts, sdkmetric.WithProducer(t.summaries.Producer()))
	opts = append(opts, cfg.periodicOpts...)
	return sdkmetric.NewPeriodicReader(exp, opts...), nil
}

// quietExporter keeps a collector outage from flooding the log or the OTel global error
// handler: the first failure is logged at once, later ones at most once per interval with a
// count, and the recovery is logged when an export succeeds again. Cumulative temporality
// means a missed export loses nothing: the next one carries the totals.
type quietExporter struct {
	sdkmetric.Exporter
	log      *slog.Logger
	kind     string
	endpoint string
	every    time.Duration
	res      *resource.Resource // replaces the provider's resource on every export
	families *runtimeFamilies   // WithGatherer's, whose collisions the export drops; nil without it
	renames  *renames           // the old names to push beside the new ones; nil to push the new names only

	mu       sync.Mutex
	failing  bool
	failures int
	lastLog  time.Time
	lastErr  error
	exports  int       // Export calls so far
	lastOK   time.Time // when an export last succeeded
	closing  bool      // Shutdown has begun: its outcome is reported by Telemetry.Shutdown, not logged
	// What the exports that ended after Shutdown began say of it (see finalResult): finalRan
	// and finalErr for those begun after it (the final flush, one per batch), inFlightErr for
	// one begun before it, whose interval is lost if it failed and the exporter asks for delta
	// temporality (delta says whether it does, for any kind of instrument).
	finalRan    bool
	finalErr    error
	inFlightErr error
	delta       bool

	// abandon ends the exports in flight when the shutdown's own context ends (see detach);
	// abandonWith cancels it. Both nil for an exporter built outside newPushReader.
	abandon     context.Context
	abandonWith context.CancelCauseFunc
}

// detach frees an export from the periodic reader's run loop, which MeterProvider.Shutdown
// cancels before its final collection: an export in flight then would be cancelled, and with
// delta temporality the interval it carried is lost for good (the SDK has already reset its
// aggregators, and the final collection starts after it). Detached, the export keeps its own
// deadline and ends early only when the shutdown's context does (abandonExports); the SDK's
// Shutdown waits for it before the final collection, so every interval reaches the exporter.
func (q *quietExporter) detach(ctx context.Context) (context.Context, context.CancelFunc) {
	if q.abandon == nil {
		return ctx, func() {}
	}
	detached, cancel := context.WithCancelCause(context.WithoutCancel(ctx))
	stopCancel := func() {}
	if deadline, ok := ctx.Deadline(); ok {
		var cancelDeadline context.CancelFunc
		detached, cancelDeadline = context.WithDeadline(detached, deadline)
		stopCancel = cancelDeadline
	}
	stopAbandon := context.AfterFunc(q.abandon, func() { cancel(context.Cause(q.abandon)) })
	return detached, func() {
		stopAbandon()
		stopCancel()
		cancel(nil)
	}
}

// abandonExports ends the exports in flight, with cause: the shutdown's context ended first.
func (q *quietExporter) abandonExports(cause error) {
	if q.abandonWith != nil {
		q.abandonWith(cause)
	}
}

// lastError is the error of the latest export, nil if it succeeded: after Shutdown, whether the
// final flush reached the collector.
func (q *quietExporter) lastError() error {
	q.mu.Lock()
	defer q.mu.Unlock()
	return q.lastErr
}

// beginShutdown stops the logging of export failures, whose outcome Telemetry.Shutdown now
// reports as its error.
func (q *quietExporter) beginShutdown() {
	q.mu.Lock()
	defer q.mu.Unlock()
	q.closing = true
}

// finalResult judges the push after the provider's shutdown: delivered if a final export (one
// begun after beginShutdown) ran, every final export succeeded, and, with delta temporality, so
// did an export that was in flight when the shutdown began. ctxErrs are the context errors the
// shutdown returned, which explain a final export that never ran.
func (q *quietExporter) finalResult(ctxErrs []error) *FinalExportError {
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.finalRan && q.finalErr == nil && q.inFlightErr == nil {
		return nil
	}
	var causes []error
	if q.inFlightErr != nil {
		causes = append(causes, fmt.Errorf("the export in flight when the shutdown began, whose delta interval nothing sends again: %w", q.inFlightErr))
	}
	if q.finalErr != nil {
		causes = append(causes, q.finalErr)
	}
	for _, e := range ctxErrs {
		// An export's error usually carries the same deadline already.
		if slices.ContainsFunc(causes, func(c error) bool {
			return errors.Is(e, context.DeadlineExceeded) && errors.Is(c, context.DeadlineExceeded) ||
				errors.Is(e, context.Canceled) && errors.Is(c, context.Canceled)
		}) {
			continue
		}
		causes = append(causes, e)
	}
	if len(causes) == 0 {
		causes = append(causes, errors.New("the final export did not run"))
	}
	return &FinalExportError{Exporter: q.kind, Endpoint: q.endpoint, LastDelivered: q.lastOK, Err: errors.Join(causes...)}
}

// Export implements sdkmetric.Exporter. It reports failures by logging and returns nil, so the
// SDK does not also hand every failure to the global error handler.
func (q *quietExporter) Export(ctx context.Context, rm *metricdata.ResourceMetrics) error {
	if q.res != nil {
		rm.Resource = q.res
	}
	// One ScopeMetrics per scope, as the SDK alone sends them: the histograms' producer adds
	// its own after the SDK's. Without it no scope repeats, and nothing is copied.
	rm.ScopeMetrics = q.families.dropColliding(mergeScopes(rm.ScopeMetrics))
	if q.renames != nil {
		// After the merge, so that an old name is looked for in every scope at once.
		rm.ScopeMetrics = q.renames.otlp(rm.ScopeMetrics)
	}
	q.mu.Lock()
	final := q.closing
	q.mu.Unlock()
	ctx, done := q.detach(ctx)
	err := q.Exporter.Export(ctx, rm)
	done()
	if err != nil && errors.Is(err, context.Canceled) && q.abandon != nil && q.abandon.Err() != nil {
		// Abandoned (detach): say why, so that the shutdown's deadline is recognised in it.
		err = fmt.Errorf("%w: ended with the shutdown's context: %w", err, context.Cause(q.abandon))
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	q.lastErr = err
	q.exports++
	now := time.Now()
	if err == nil {
		q.lastOK = now
	}
	if q.closing {
		switch {
		case final:
			q.finalRan = true
			if q.finalErr == nil {
				q.finalErr = err
			}
		case err != nil && q.delta && q.inFlightErr == nil:
			q.inFlightErr = err
		}
		return nil
	}
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

// mergeScopes returns sms with the metrics of equal scopes in the first of them, in order. It
// returns sms itself when no scope repeats, and a new slice otherwise, so that the reader's
// slices, which it reuses at its next collection, are not written to.
func mergeScopes(sms []metricdata.ScopeMetrics) []metricdata.ScopeMetrics {
	repeated := false
	for i := 1; i < len(sms) && !repeated; i++ {
		for j := range i {
			if sms[j].Scope == sms[i].Scope {
				repeated = true
				break
			}
		}
	}
	if !repeated {
		return sms
	}
	out := make([]metricdata.ScopeMetrics, 0, len(sms))
	for _, sm := range sms {
		i := slices.IndexFunc(out, func(o metricdata.ScopeMetrics) bool { return o.Scope == sm.Scope })
		if i < 0 {
			out = append(out, metricdata.ScopeMetrics{Scope: sm.Scope, Metrics: sm.Metrics[:len(sm.Metrics):len(sm.Metrics)]})
			continue
		}
		out[i].Metrics = append(out[i].Metrics, sm.Metrics...)
	}
	return out
}
