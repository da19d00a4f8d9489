package metrics

import "github.com/prometheus/client_golang/prometheus"

// cacheCollector is a custom collector: its families are observable.
type cacheCollector struct {
	size, hits *prometheus.Desc
}

// NewCacheCollector describes the cache.
func NewCacheCollector() prometheus.Collector {
	return &cacheCollector{
		size: prometheus.NewDesc("shop_cache_entries", "Entries in the cache.", []string{"cache"}, nil),
		hits: prometheus.NewDesc(prometheus.BuildFQName(namespace, "cache", "hits_total"), "Cache hits.", []string{"result", "cache"}, prometheus.Labels{"tier": "l1"}),
	}
}

func (c *cacheCollector) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.size
	ch <- c.hits
}

func (c *cacheCollector) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstMetric(c.size, prometheus.GaugeValue, 3, "main")
	ch <- prometheus.MustNewConstMetric(c.hits, prometheus.CounterValue, 10, "hit", "main")
}
