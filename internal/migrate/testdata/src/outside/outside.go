// Package outside is a dependency the fixer is not given: it cannot change its types.
package outside

import "github.com/prometheus/client_golang/prometheus"

// Use takes a client_golang vector.
func Use(c *prometheus.CounterVec) {}
