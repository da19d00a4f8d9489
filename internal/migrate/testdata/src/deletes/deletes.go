// Package deletes has every series deletion the fixer rewrites: DeleteLabelValues and Delete
// become Delete with the values in the catalogue's order, DeletePartialMatch and Reset their
// namesakes, and the results keep client_golang's types.
package deletes

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The labels are declared method first; the catalogue declares code first.
var requests = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_requests_total"}, []string{"method", "code"}) // want `shop_requests_total: promauto.NewCounterVec becomes &shopmetrics.Default.ShopRequestsTotal`

var orders = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_orders_total"}, []string{"outcome"}) // want `shop_orders_total: promauto.NewCounterVec becomes`

var queue = promauto.NewGaugeVec(prometheus.GaugeOpts{Name: "shop_queue_length"}, []string{"queue"}) // want `shop_queue_length: promauto.NewGaugeVec becomes`

var latency = promauto.NewHistogramVec(prometheus.HistogramOpts{Name: "shop_request_duration_seconds", Buckets: []float64{0.1, 1}}, []string{"method"}) // want `shop_request_duration_seconds: promauto.NewHistogramVec becomes`

func forget(r *http.Request, selected prometheus.Labels) int {
	requests.DeleteLabelValues(r.Method, "200")                                             // want `shop_requests_total: DeleteLabelValues becomes requests.Delete\("200", r.Method\)`
	requests.Delete(prometheus.Labels{"method": "GET", "code": "404"})                      // want `shop_requests_total: Delete becomes requests.Delete\("404", "GET"\)`
	requests.DeleteLabelValues(strings.ToUpper(r.Method), strconv.Itoa(201))                // want `shop_requests_total: DeleteLabelValues becomes requests.Delete\(strconv.Itoa\(201\), strings.ToUpper\(r.Method\)\)`
	gone := requests.DeleteLabelValues(r.Method, "500") && orders.DeleteLabelValues("ok")   // want `shop_requests_total: DeleteLabelValues becomes requests.Delete\("500", r.Method\)` `shop_orders_total: DeleteLabelValues becomes orders.Delete\("ok"\)`
	if outcome := r.URL.Query().Get("outcome"); gone && orders.DeleteLabelValues(outcome) { // want `shop_orders_total: DeleteLabelValues becomes orders.Delete\(shopmetrics.OutcomeAttr\(outcome\)\)`
		return 0
	}
	n := queue.DeletePartialMatch(prometheus.Labels{"queue": "mail"}) // want `shop_queue_length: DeletePartialMatch becomes queue.DeletePartialMatch\(map\[string\]string{"queue": "mail"}\)`
	n += queue.DeletePartialMatch(selected)                           // want `shop_queue_length: DeletePartialMatch becomes queue.DeletePartialMatch\(map\[string\]string\(selected\)\)`
	latency.Reset()                                                   // want `shop_request_duration_seconds: Reset becomes latency.Reset\(\)`
	queue.Reset()                                                     // want `shop_queue_length: Reset becomes queue.Reset\(\)`
	return n
}
