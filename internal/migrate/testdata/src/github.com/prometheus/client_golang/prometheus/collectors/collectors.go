// Package collectors is a stub of client_golang's.
package collectors

import "github.com/prometheus/client_golang/prometheus"

func NewGoCollector(opts ...func(o *int)) prometheus.Collector { return nil }

type ProcessCollectorOpts struct{}

func NewProcessCollector(opts ProcessCollectorOpts) prometheus.Collector { return nil }
func NewBuildInfoCollector() prometheus.Collector                        { return nil }
