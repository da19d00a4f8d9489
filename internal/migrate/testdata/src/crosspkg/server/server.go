// Package server is given its metrics as client_golang types, by a package that imports it.
package server

import (
	"context"

	"github.com/prometheus/client_golang/prometheus"
)

// Server keeps its metrics in fields.
type Server struct {
	requests *prometheus.CounterVec // want `shop_requests_total: the type \*prometheus.CounterVec becomes \*shopmetrics.ShopRequestsTotal`
	ok       prometheus.Counter     // want `shop_requests_total: the type prometheus.Counter becomes shopmetrics.ShopRequestsTotalBound`
	latency  prometheus.ObserverVec // want `shop_request_duration_seconds: the type prometheus.ObserverVec becomes \*shopmetrics.ShopRequestDurationSeconds`
}

// New is given the metrics by main.
func New(requests *prometheus.CounterVec, latency prometheus.ObserverVec) *Server { // want `the type \*prometheus.CounterVec becomes` `the type prometheus.ObserverVec becomes`
	return &Server{requests: requests, ok: requests.WithLabelValues("GET", "200"), latency: latency} // want `shop_requests_total: a kept child becomes requests.Bind\("200", "GET"\)`
}

// Serve records.
func (s *Server) Serve(ctx context.Context, code string) {
	s.requests.WithLabelValues("GET", code).Inc()   // want `shop_requests_total: Inc becomes s.requests.Add\(ctx, 1, code, "GET"\)`
	s.ok.Inc()                                      // want `shop_requests_total: Inc becomes s.ok.Add\(ctx, 1\)`
	s.latency.WithLabelValues("GET").Observe(0.125) // want `shop_request_duration_seconds: Observe becomes s.latency.Record\(ctx, 0.125, "GET"\)`
	count(ctx, s.ok)
}

func count(ctx context.Context, c prometheus.Counter) { // want `shop_requests_total: the type prometheus.Counter becomes shopmetrics.ShopRequestsTotalBound`
	c.Inc() // want `shop_requests_total: Inc becomes c.Add\(ctx, 1\)`
}

// Requests hands the vector on.
func (s *Server) Requests() *prometheus.CounterVec { return s.requests } // want `the type \*prometheus.CounterVec becomes \*shopmetrics.ShopRequestsTotal`
