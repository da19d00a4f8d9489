// Package line parses lines: it is handed its metrics by value and by interface, as
// statsd_exporter's pkg/line is.
package line

import "github.com/prometheus/client_golang/prometheus"

// Parser implements listen.Parser, an interface of another package.
type Parser struct{}

// Parse records through metrics passed as client_golang types: vectors by value, two of
// different metrics declared under one type.
func (p *Parser) Parse(s string, builds, orders prometheus.CounterVec, inFlight prometheus.Gauge, errs prometheus.Counter) { // want `shop_builds_total, shop_orders_total: builds, orders prometheus.CounterVec becomes one declaration each, builds \*shopmetrics.ShopBuildsTotal, orders \*shopmetrics.ShopOrdersTotal` `shop_in_flight: the type prometheus.Gauge becomes \*shopmetrics.ShopInFlight` `shop_errors_total: the type prometheus.Counter becomes \*shopmetrics.ShopErrorsTotal`
	builds.WithLabelValues(s).Inc()    // want `shop_builds_total: Inc becomes builds.Add\(context.Background\(\), 1, s\)`
	orders.WithLabelValues("ok").Inc() // want `shop_orders_total: Inc becomes orders.Add\(context.Background\(\), 1, "ok"\)`
	inFlight.Inc()                     // want `shop_in_flight: Inc becomes inFlight.Add\(context.Background\(\), 1\)`
	errs.Inc()                         // want `shop_errors_total: Inc becomes errs.Add\(context.Background\(\), 1\)`
}
