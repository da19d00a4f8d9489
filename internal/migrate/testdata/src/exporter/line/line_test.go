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

// TestGathered looks a migrated metric up in what the default registry gathers, as
// statsd_exporter's relay test does: after the rewrite it finds nothing there.
func TestGathered(t *testing.T) {
	if err := prometheus.DefaultGatherer.Gather(); err != nil {
		t.Fatal(err)
	}
	lookup(t, "shop_errors_total") // want `shop_errors_total is looked up by name where the package reads a client_golang registry \(prometheus.DefaultGatherer.Gather at testdata/src/exporter/line/line_test.go:\d+\), which the migrated metric leaves: read it from the generated instruments through an OTel reader \(instrumenttest.Collect\) instead`
}

func lookup(t *testing.T, name string) { t.Log(name) }
