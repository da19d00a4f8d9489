// Package metrics defines the metrics, as many services do, for the others to use.
package metrics

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Requests counts the answers.
var Requests = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"method", "code"}) // want `shop_requests_total: promauto.NewCounterVec becomes &shopmetrics.Default.ShopRequestsTotal`
