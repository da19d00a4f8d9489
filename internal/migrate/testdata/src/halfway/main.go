// Command halfway creates telediag's pipeline already, and still records with client_golang.
package main

import (
	"context"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promauto"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/telediag/telediag/telemetry"
)

var errs = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"}) // want `shop_errors_total: promauto.NewCounter becomes`

func main() { // want `main creates a telemetry pipeline already: call shopmetrics.SetDefault\(tel.MeterProvider\(\)\) right after telemetry.New, before anything records` `main creates a telemetry pipeline already: pass it telemetry.WithGatherer\(prometheus.DefaultGatherer\), since client_golang's default registry stays in use \(collectors.NewBuildInfoCollector\(\) stays registered there at testdata/src/halfway/main.go:\d+\) and tel.Handler\(\) serves it only so`
	ctx := context.Background()
	pipeline, err := telemetry.New(ctx)
	if err != nil {
		return
	}
	http.Handle("/metrics", promhttp.Handler())                 // want `promhttp.Handler becomes pipeline.Handler\(\)`
	prometheus.MustRegister(collectors.NewBuildInfoCollector()) // served only through telemetry.WithGatherer
	errs.Inc()                                                  // want `shop_errors_total: Inc becomes errs.Add\(ctx, 1\)`
	_ = pipeline.Shutdown(ctx)
}
