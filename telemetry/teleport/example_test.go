package teleport_test

import (
	"context"
	"fmt"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"

	"github.com/go-chi/chi/v5"
	"go.opentelemetry.io/otel/attribute"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/telediag/telediag/probes"
	"github.com/telediag/telediag/router"
	"github.com/telediag/telediag/telemetry"
	"github.com/telediag/telediag/telemetry/teleport"
)

// A Teleport-like service wires telediag in four steps: a readiness monitor, the telemetry
// pipeline, Teleport's catalogue on it (process_state follows the monitor), and the router
// that serves it all. Then it records through the typed instruments and reports heartbeats.
func Example() {
	ctx := context.Background()

	monitor, err := probes.New(probes.WithExpected("auth"))
	if err != nil {
		log.Fatal(err)
	}
	tel, err := telemetry.New(ctx, telemetry.WithServiceName("auth"))
	if err != nil {
		log.Fatal(err)
	}
	defer tel.Shutdown(ctx)
	metrics, err := teleport.New(tel.MeterProvider(), monitor)
	if err != nil {
		log.Fatal(err)
	}
	diag := chi.NewRouter()
	if err := router.Install(diag, "/", router.Config{Monitor: monitor, Telemetry: tel}); err != nil {
		log.Fatal(err)
	}
	// In a real service: go http.ListenAndServe("127.0.0.1:3000", diag)

	reads := metrics.BackendReadRequestsTotal.Bind("backend") // labels fixed once: one atomic add per Add
	reads.Add(ctx, 3)
	metrics.BackendReadSeconds.Record(ctx, 0.004, "backend")
	monitor.Heartbeat("auth", nil) // the auth service's heartbeat succeeded

	rec := httptest.NewRecorder()
	diag.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/metrics", nil))
	for _, line := range strings.Split(rec.Body.String(), "\n") {
		if strings.HasPrefix(line, "backend_read_requests_total") || strings.HasPrefix(line, "backend_read_seconds_count") ||
			strings.HasPrefix(line, "process_state") || strings.HasPrefix(line, "# TYPE backend_read_requests_total") {
			fmt.Println(line)
		}
	}
	// Output:
	// # TYPE backend_read_requests_total counter
	// backend_read_requests_total{component="backend"} 3
	// backend_read_seconds_count{component="backend"} 1
	// process_state 0
}

// The generated types also work on any MeterProvider, without telemetry.New. Observable
// instruments take a typed callback, run on every collection; Release unregisters it.
func ExampleTeleportBuildInfo_Register() {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)

	metrics, err := teleport.NewInstruments(mp)
	if err != nil {
		log.Fatal(err)
	}
	defer metrics.Release() // unregisters the callback below, and the counters' drain
	_, err = metrics.TeleportBuildInfo.Register(func(_ context.Context, o teleport.TeleportBuildInfoObserver) error {
		o.Observe(1, "17.4.2", "v17.4.2-0-g1a2b3c4", "go1.26.8")
		return nil
	})
	if err != nil {
		log.Fatal(err)
	}

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		log.Fatal(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name != metrics.TeleportBuildInfo.Name() {
			continue
		}
		for _, dp := range m.Data.(metricdata.Gauge[int64]).DataPoints {
			v, _ := dp.Attributes.Value("version")
			fmt.Println(m.Name, m.Unit, v.AsString(), dp.Value)
		}
	}
	// Output:
	// teleport_build_info 1 17.4.2 1
}

// A caller that already holds an attribute.Set, as OTel instrumentation libraries do, records
// with it directly; the set names the same series as the typed labels.
func ExampleBackendReadRequestsTotal_AddSet() {
	ctx := context.Background()
	reader := sdkmetric.NewManualReader()
	mp := sdkmetric.NewMeterProvider(sdkmetric.WithReader(reader))
	defer mp.Shutdown(ctx)
	metrics, err := teleport.NewInstruments(mp)
	if err != nil {
		log.Fatal(err)
	}
	defer metrics.Release()

	metrics.BackendReadRequestsTotal.AddSet(ctx, 2, attribute.NewSet(attribute.String("component", "backend")))
	metrics.BackendReadRequestsTotal.Add(ctx, 1, "backend")

	var rm metricdata.ResourceMetrics
	if err := reader.Collect(ctx, &rm); err != nil {
		log.Fatal(err)
	}
	for _, m := range rm.ScopeMetrics[0].Metrics {
		if m.Name == metrics.BackendReadRequestsTotal.Name() {
			for _, dp := range m.Data.(metricdata.Sum[int64]).DataPoints {
				fmt.Println(m.Name, dp.Attributes.Encoded(attribute.DefaultEncoder()), dp.Value)
			}
		}
	}
	// Output:
	// backend_read_requests_total component=backend 3
}
