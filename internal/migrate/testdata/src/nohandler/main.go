// Command nohandler records, and serves no /metrics of its own (a push-only worker, or one
// whose handler is mounted elsewhere): main still creates the pipeline and fills Default.
package main

import (
	"context"
	"os/signal"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

var errs = promauto.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"}) // want `shop_errors_total: promauto.NewCounter becomes &shopmetrics.Default.ShopErrorsTotal`

func main() { // want `main creates the telemetry pipeline and fills shopmetrics.Default before anything records` `main's pipeline serves its /metrics nowhere yet: mount tel.Handler\(\) where client_golang's handler was served`
	ctx, stop := signal.NotifyContext(context.Background())
	defer stop()
	var err error
	if err != nil {
		errs.Inc() // want `shop_errors_total: Inc becomes errs.Add\(ctx, 1\)`
	}
	<-ctx.Done()
}
