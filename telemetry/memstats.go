package telemetry

import (
	"runtime"

	"github.com/prometheus/client_golang/prometheus"
)

// memStatsCollector serves the two documented go_memstats_* families that client_golang's Go
// collector dropped for Go ≥ 1.17 (client_golang#842): go_memstats_lookups_total and
// go_memstats_gc_cpu_fraction. Dashboards built on Teleport's list still query them.
//
// Each collection calls runtime.ReadMemStats, a short stop-the-world pause, once per scrape.
type memStatsCollector struct {
	lookups, gcCPUFraction *prometheus.Desc
}

func newMemStatsCollector() *memStatsCollector {
	return &memStatsCollector{
		lookups: prometheus.NewDesc("go_memstats_lookups_total",
			"Total number of pointer lookups.", nil, nil),
		gcCPUFraction: prometheus.NewDesc("go_memstats_gc_cpu_fraction",
			"The fraction of this program's available CPU time used by the GC since the program started.", nil, nil),
	}
}

// Describe implements prometheus.Collector.
func (c *memStatsCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.lookups
	ch <- c.gcCPUFraction
}

// Collect implements prometheus.Collector.
func (c *memStatsCollector) Collect(ch chan<- prometheus.Metric) {
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	ch <- prometheus.MustNewConstMetric(c.lookups, prometheus.CounterValue, float64(ms.Lookups))
	ch <- prometheus.MustNewConstMetric(c.gcCPUFraction, prometheus.GaugeValue, ms.GCCPUFraction)
}
