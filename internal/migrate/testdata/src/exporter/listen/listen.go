// Package listen calls its parser through an interface whose method takes the metrics.
package listen

import "github.com/prometheus/client_golang/prometheus"

// Parser is implemented by line.Parser, in a package this one does not import.
type Parser interface {
	Parse(s string, builds, orders prometheus.CounterVec, inFlight prometheus.Gauge, errs prometheus.Counter) // want `shop_builds_total, shop_orders_total: builds, orders prometheus.CounterVec becomes one declaration each` `shop_in_flight: the type prometheus.Gauge becomes` `shop_errors_total: the type prometheus.Counter becomes`
}

// Listener keeps its metrics in fields: a vector by value, and a gauge vector it may not have.
type Listener struct {
	Parser         Parser
	Builds, Orders prometheus.CounterVec // want `shop_builds_total, shop_orders_total: Builds, Orders prometheus.CounterVec becomes one declaration each, Builds \*shopmetrics.ShopBuildsTotal, Orders \*shopmetrics.ShopOrdersTotal`
	InFlight       prometheus.Gauge      // want `shop_in_flight: the type prometheus.Gauge becomes \*shopmetrics.ShopInFlight`
	Errs           prometheus.Counter    // want `shop_errors_total: the type prometheus.Counter becomes \*shopmetrics.ShopErrorsTotal`
	Queue          *prometheus.GaugeVec  // want `shop_queue_length: the type \*prometheus.GaugeVec becomes \*shopmetrics.ShopQueueLength`
}

// Handle passes the metrics on through the interface.
func (l *Listener) Handle(s string) {
	l.Parser.Parse(s, l.Builds, l.Orders, l.InFlight, l.Errs)
	if l.Queue != nil {
		l.Queue.WithLabelValues(s).Set(1) // want `shop_queue_length: Set becomes l.Queue.Record\(context.Background\(\), 1, s\)`
	}
}
