package refusals

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Names the options do not say: a helper's parameter, and a wrapped registerer's prefix or
// labels. Each is reported at the definition, with where the name comes from.

func newErrors(name string) prometheus.Counter {
	return promauto.NewCounter(prometheus.CounterOpts{Name: name}) // want `a metric: promauto.NewCounter stays on client_golang: promauto.NewCounter: Name is not a constant, so the exposed name cannot be read: it is newErrors's parameter name, which its callers give \(testdata/src/refusals/names.go:\d+ gives "shop_errors_total"; testdata/src/refusals/names.go:\d+ gives "shop_builds_total"\): the fixer does not follow names into helper functions`
}

var (
	helped      = newErrors("shop_errors_total")
	helpedAgain = newErrors("shop_builds_total")
)

var prefixed = prometheus.WrapRegistererWithPrefix("shop_", prometheus.DefaultRegisterer)

// Without the wrapper's prefix, errors_total is no name of the catalogue's; with a name of the
// catalogue's, the wrapper's labels would be lost. Both say why.
var (
	wrappedPrefix     = promauto.With(prefixed).NewCounter(prometheus.CounterOpts{Name: "errors_total"})                                                                                                // want `promauto.NewCounter stays on client_golang: it is registered through prometheus.WrapRegistererWithPrefix at testdata/src/refusals/names.go:\d+, which prefixes with "shop_" the names of what it registers`
	wrappedLabels     = promauto.With(prometheus.WrapRegistererWith(prometheus.Labels{"version": "1.2.3"}, prometheus.DefaultRegisterer)).NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"}) // want `it is registered through prometheus.WrapRegistererWith at testdata/src/refusals/names.go:\d+, which adds the labels prometheus.Labels{"version": "1.2.3"} to what it registers`
	registeredWrapped = prometheus.NewCounter(prometheus.CounterOpts{Name: "shop_errors_total"})                                                                                                        // want `shop_errors_total: prometheus.NewCounter stays on client_golang: it is registered through prometheus.WrapRegistererWithPrefix`
)

func registerWrapped() {
	prefixed.MustRegister(registeredWrapped) // want `shop_errors_total: it is registered through prometheus.WrapRegistererWithPrefix at testdata/src/refusals/names.go:\d+`
	helped.Inc()
	helpedAgain.Inc()
	wrappedPrefix.Inc()
	wrappedLabels.Inc()
}

// A helper whose callers compute the name makes a family at run time: the reason stays that
// the name is no constant.
func newRuntime(name string) prometheus.Counter {
	return promauto.NewCounter(prometheus.CounterOpts{Name: name}) // want `a metric: promauto.NewCounter stays on client_golang: promauto.NewCounter: Name is not a constant, so the exposed name cannot be read$`
}

var runtimePrefix = "upstream"

var runtimeMade = newRuntime(runtimePrefix + "_lines_total")
