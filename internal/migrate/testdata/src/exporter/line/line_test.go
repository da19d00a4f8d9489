package line

import (
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

var (
	testBuilds = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shop_builds_total"}, []string{"version"}) // want `shop_builds_total: prometheus.NewCounterVec becomes &shopmetrics.Default.ShopBuildsTotal`
	testOrders = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shop_orders_total"}, []string{"outcome"}) // want `shop_orders_total: prometheus.NewCounterVec becomes`
	testFlight = prometheus.NewGauge(prometheus.GaugeOpts{Name: "shop_in_flight"})                                // want `shop_in_flight: prometheus.NewGauge becomes`
	testErrs   = prometheus.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                         // want `shop_errors_total: prometheus.NewCounter becomes`
)

func TestParse(t *testing.T) {
	prometheus.MustRegister(testErrs)                                       // want `the registration of shop_errors_total goes`
	new(Parser).Parse("v1", *testBuilds, *testOrders, testFlight, testErrs) // want `shop_builds_total: the vector by value \*testBuilds becomes testBuilds` `shop_orders_total: the vector by value \*testOrders becomes testOrders`
	prometheus.Unregister(testErrs)                                         // want `the unregistration of shop_errors_total goes: the generated instruments are not registered`
}
