package telemetry

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"testing"
	"time"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	"go.opentelemetry.io/otel/metric"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"

	"github.com/telediag/telediag/telemetry/instrument"
)

// BenchmarkExport10kSeries measures one push of the pipeline's test catalogue, recorded whole,
// plus 10,000 extra series: the SDK collect, the Prometheus bridge gathering the go_*,
// process_* and promhttp_* families, protobuf encoding and an OTLP/HTTP POST to a loopback
// receiver that reads and discards the body (the receiver's own cost is in the numbers, as
// the two share the machine). Compare with test/bench's BenchmarkScrape/series=10k, the pull
// cost of the same number of series (on Teleport's catalogue, whose 60-odd extra families are
// small beside the 10,000 series).
func BenchmarkExport10kSeries(b *testing.B) {
	const series = 10_000
	ctx := context.Background()
	for _, compression := range []otlpmetrichttp.Compression{otlpmetrichttp.NoCompression, otlpmetrichttp.GzipCompression} {
		name := "otlp=http/compression=none"
		if compression == otlpmetrichttp.GzipCompression {
			name = "otlp=http/compression=gzip"
		}
		b.Run(name, func(b *testing.B) {
			var bytesIn int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				n, _ := io.Copy(io.Discard, r.Body)
				bytesIn = n
				w.Header().Set("Content-Type", "application/x-protobuf")
			}))
			b.Cleanup(srv.Close) // after the telemetry's Shutdown (cleanups run last-in first-out), which flushes to it
			exp, err := otlpmetrichttp.New(ctx, otlpmetrichttp.WithEndpointURL(srv.URL+"/v1/metrics"), otlpmetrichttp.WithCompression(compression))
			if err != nil {
				b.Fatal(err)
			}
			tel := otelFixture(b, series, WithPushExporter(exp, sdkmetric.WithInterval(time.Hour)))
			b.ReportAllocs()
			for b.Loop() {
				if err := tel.provider.ForceFlush(ctx); err != nil {
					b.Fatal(err)
				}
				if err := tel.pushExporter.lastError(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(bytesIn), "req-bytes")
		})
	}
}

// otelFixture is a pipeline with the test catalogue recorded once plus extra series of a
// counter extra_requests_total.
func otelFixture(b *testing.B, extra int, opts ...Option) *fixture {
	b.Helper()
	ctx := context.Background()
	t0, err := New(ctx, append([]Option{
		WithoutEnvironmentExporter(), WithLogger(slog.New(slog.DiscardHandler)), WithoutRuntimeMetrics(), WithCardinalityLimit(0),
	}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = t0.Shutdown(ctx) })
	tel := withCatalogue(b, t0)
	recordEveryInstrument(ctx, tel.Instruments)
	meter := tel.MeterProvider().Meter("bench")
	inst, err := meter.Int64Counter("extra_requests_total", metric.WithDescription("Extra series."))
	if err != nil {
		b.Fatal(err)
	}
	c, err := instrument.NewCounter(instrument.NewGroup(meter), "extra_requests_total", inst, func(k [1]string) attribute.Set {
		return attribute.NewSet(attribute.String("component", k[0]))
	})
	if err != nil {
		b.Fatal(err)
	}
	for i := range extra {
		c.Add(ctx, 1, [1]string{"c" + strconv.Itoa(i)})
	}
	return tel
}
