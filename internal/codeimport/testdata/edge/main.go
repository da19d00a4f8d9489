// Command edge defines metrics the ways the importer has to follow further than a literal.
package main

import (
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
)

// gaugeOpts are the options of edge_pool_size, in a variable nothing writes.
var gaugeOpts = prometheus.GaugeOpts{Namespace: "edge", Subsystem: "pool", Name: "size", Help: "Pool size."}

// poolSize is set through GetMetricWithLabelValues.
var poolSize = prometheus.NewGaugeVec(gaugeOpts, []string{"pool"})

// v2 declares constrained labels with client_golang's V2 API.
var v2 = prometheus.V2.NewCounterVec(prometheus.CounterVecOpts{
	CounterOpts:    prometheus.CounterOpts{Name: "edge_v2_total", Help: "V2."},
	VariableLabels: prometheus.ConstrainedLabels{{Name: "b"}, {Name: "a", Constraint: strings.ToLower}},
})

// curried is curried before it is counted.
var curried = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edge_curried_total", Help: "Curried."}, []string{"z", "a"})

// lastDuration is set by a timer through a method value.
var lastDuration = prometheus.NewGauge(prometheus.GaugeOpts{Name: "edge_last_duration_seconds", Help: "Last duration."})

// newQueue returns a gauge its callers move up and down.
func newQueue() prometheus.Gauge {
	return prometheus.NewGauge(prometheus.GaugeOpts{Name: "edge_queue_items", Help: "Items queued."})
}

var queue = newQueue()

// untyped is served untyped.
var untyped = prometheus.NewUntypedFunc(prometheus.UntypedOpts{Name: "edge_untyped", Help: "Untyped."}, func() float64 { return 1 })

// bytesTotal adds integers converted to float64: int.
var bytesTotal = prometheus.NewCounter(prometheus.CounterOpts{Name: "edge_read_bytes_total", Help: "Bytes read."})

// secondsTotal adds fractions: double.
var secondsTotal = prometheus.NewCounter(prometheus.CounterOpts{Name: "edge_busy_seconds_total", Help: "Busy time."})

// mixed is set and moved.
var mixed = prometheus.NewGauge(prometheus.GaugeOpts{Name: "edge_mixed", Help: "Set and moved."})

// idle is only registered.
var idle = prometheus.NewGauge(prometheus.GaugeOpts{Name: "edge_idle", Help: "Never recorded."})

// mutable is written after its declaration: its literal is not its value.
var mutable = []string{"a", "b"}

var mutated = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "edge_mutated_total", Help: "Labels written at run time."}, mutable)

// sizes has no buckets of its own: client_golang's DefBuckets.
var sizes = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "edge_empty_buckets_seconds", Help: "Empty buckets.", Buckets: []float64{}})

// plain is a summary of count and sum only.
var plain = prometheus.NewSummary(prometheus.SummaryOpts{Name: "edge_plain_seconds", Help: "No objectives."})

// quantiles are computed by a function: the importer does not run it.
func quantiles() map[float64]float64 { return map[float64]float64{0.5: 0.05, 0.9: 0.01} }

// computedSummary's objectives are computed.
var computedSummary = prometheus.NewSummary(prometheus.SummaryOpts{Name: "edge_computed_summary_seconds", Help: "Computed objectives.", Objectives: quantiles()})

// nativeFactor is computed by a function: the importer does not run it.
func nativeFactor() float64 { return 1.1 }

// computedNative's native-histogram factor is computed, and it has no classic buckets.
var computedNative = prometheus.NewHistogram(prometheus.HistogramOpts{Name: "edge_computed_native_seconds", Help: "Computed factor.", NativeHistogramBucketFactor: nativeFactor()})

// coll is a custom collector.
type coll struct {
	batch, unused, dyn, native *prometheus.Desc
	vt                         prometheus.ValueType
}

func newColl() *coll {
	return &coll{
		batch:  prometheus.NewDesc("edge_batch_seconds", "Batch durations.", nil, nil),
		unused: prometheus.NewDesc("edge_unused", "Described, never collected here.", nil, nil),
		dyn:    prometheus.NewDesc("edge_dynamic", "Of a computed type.", []string{"x"}, nil),
		native: prometheus.NewDesc("edge_native_batch_bytes", "Batch sizes, native.", nil, nil),
		vt:     prometheus.GaugeValue,
	}
}

func (c *coll) Describe(ch chan<- *prometheus.Desc) {
	ch <- c.batch
	ch <- c.unused
	ch <- c.dyn
	ch <- c.native
}

func (c *coll) Collect(ch chan<- prometheus.Metric) {
	ch <- prometheus.MustNewConstHistogram(c.batch, 3, 1.5, map[float64]uint64{1: 2, 0.5: 1})
	ch <- prometheus.MustNewConstMetric(c.dyn, c.vt, 1, "y")
	ch <- prometheus.MustNewConstNativeHistogram(c.native, 2, 300, map[int]int64{7: 1, 8: 1}, map[int]int64{}, 0, 0, 0.001, time.Time{})
}

func init() { mutable[0] = "c" }

func main() {
	reg := prometheus.NewRegistry()
	reg.MustRegister(poolSize, v2, curried, lastDuration, queue, untyped, bytesTotal, secondsTotal, mixed, idle, mutated, sizes, plain, computedSummary, computedNative, newColl())
	// client_golang's build-info collector: go_build_info is the collector's, not the code's.
	reg.MustRegister(collectors.NewBuildInfoCollector())
	if g, err := poolSize.GetMetricWithLabelValues("main"); err == nil {
		g.Set(4)
	}
	v2.WithLabelValues("x", "y").Inc()
	curried.MustCurryWith(prometheus.Labels{"z": "1"}).WithLabelValues("2").Inc()
	timer := prometheus.NewTimer(prometheus.ObserverFunc(lastDuration.Set))
	timer.ObserveDuration()
	queue.Inc()
	queue.Dec()
	n := len("abc")
	bytesTotal.Add(float64(n))
	secondsTotal.Add(time.Second.Seconds())
	mixed.Set(3)
	mixed.Inc()
	mutated.WithLabelValues("1", "2").Inc()
	sizes.Observe(1)
	plain.Observe(1)
	computedSummary.Observe(1)
}

// throughInterface reaches tally.count's parameter only through the counter interface, as
// statsd_exporter's metrics reach its registry's methods through an interface field.
var throughInterface = prometheus.NewGauge(prometheus.GaugeOpts{Name: "edge_through_interface", Help: "Moved through an interface."})

type counter interface{ count(g prometheus.Gauge) }

type tally struct{}

func (tally) count(g prometheus.Gauge) { g.Inc() }

func countThrough(c counter) { c.count(throughInterface) }

var _ = countThrough
