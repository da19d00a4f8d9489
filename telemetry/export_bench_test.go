package telemetry

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"go.opentelemetry.io/otel/exporters/otlp/otlpmetric/otlpmetrichttp"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// BenchmarkExport10kSeries measures one push of the scrape benchmarks' data (the whole
// catalogue plus 10,000 extra series): the SDK collect, the Prometheus bridge gathering the go_*,
// process_* and promhttp_* families, protobuf encoding and an OTLP/HTTP POST to a loopback
// receiver that reads and discards the body (the receiver's own cost is in the numbers, as
// the two share the machine). Compare with BenchmarkScrape/series=10k, the pull cost of the
// same content.
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
