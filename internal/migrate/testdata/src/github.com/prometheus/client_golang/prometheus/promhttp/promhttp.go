// Package promhttp is a stub of client_golang's.
package promhttp

import (
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
)

type HandlerOpts struct {
	ErrorLog          any
	Registry          prometheus.Registerer
	EnableOpenMetrics bool
}

func Handler() http.Handler                                             { return nil }
func HandlerFor(reg prometheus.Gatherer, opts HandlerOpts) http.Handler { return nil }
