package server

import (
	"context"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
)

// TestServe defines the metrics again, with the same labels in the same order as the service:
// both definitions reach New's parameters, and take one rewrite.
func TestServe(t *testing.T) {
	reqs := prometheus.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"method", "code"})      // want `shop_requests_total: prometheus.NewCounterVec becomes &shopmetrics.Default.ShopRequestsTotal`
	lat := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "shop_request_duration_seconds"}, []string{"method"}) // want `shop_request_duration_seconds: prometheus.NewHistogramVec becomes`
	New(reqs, lat).Serve(context.Background(), "200")
}
