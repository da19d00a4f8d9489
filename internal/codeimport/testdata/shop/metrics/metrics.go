// Package metrics defines the shop's metrics; package main records into them.
package metrics

import (
	"flag"
	"fmt"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

const namespace = "shop"

var (
	bucketStart = flag.Float64("bucket-start", 1, "the first bucket")
	extraLabels = flag.String("labels", "zone", "labels of shop_computed_labels")
	prefix      = flag.String("prefix", "shop", "a prefix")
)

// commonLabels is never written: its literal is its value.
var commonLabels = []string{"zone", "az"}

// Requests declares its labels out of order: a scrape would sort them.
var Requests = promauto.NewCounterVec(prometheus.CounterOpts{
	Namespace: namespace,
	Name:      "requests_total",
	Help:      "Requests answered.",
}, []string{"type", "metric_name"})

// InFlight is moved with Inc and Dec from package main: an up-down counter.
var InFlight = promauto.NewGauge(prometheus.GaugeOpts{Name: "shop_in_flight_requests", Help: "Requests being answered."})

// Temperature is only Set: a gauge.
var Temperature = promauto.NewGauge(prometheus.GaugeOpts{Name: "shop_temperature_celsius", Help: "Temperature of the shop."})

// Latency uses DefBuckets.
var Latency = promauto.NewHistogramVec(prometheus.HistogramOpts{
	Name:    "shop_request_duration_seconds",
	Help:    "Time to answer.",
	Buckets: prometheus.DefBuckets,
}, commonLabels)

// Sizes uses LinearBuckets.
var Sizes = promauto.NewHistogram(prometheus.HistogramOpts{
	Name:    "shop_request_size_bytes",
	Help:    "Request sizes.",
	Buckets: prometheus.LinearBuckets(100, 100, 5),
})

// Waits uses ExponentialBuckets.
var Waits = promauto.NewHistogram(prometheus.HistogramOpts{
	Name:    "shop_wait_seconds",
	Help:    "Time waited.",
	Buckets: prometheus.ExponentialBuckets(0.001, 2, 10),
})

// Spans uses ExponentialBucketsRange.
var Spans = promauto.NewHistogram(prometheus.HistogramOpts{
	Name:    "shop_span_seconds",
	Help:    "Span lengths.",
	Buckets: prometheus.ExponentialBucketsRange(0.01, 10, 6),
})

// Defaults sets no Buckets.
var Defaults = promauto.NewHistogram(prometheus.HistogramOpts{Name: "shop_default_seconds", Help: "Default buckets."})

// Computed computes its help and buckets at run time.
var Computed = promauto.NewHistogram(prometheus.HistogramOpts{
	Name:    "shop_computed_seconds",
	Help:    fmt.Sprintf("Computed with a start of %v.", *bucketStart),
	Buckets: prometheus.LinearBuckets(*bucketStart, 1, 3),
})

// ComputedLabels takes its labels from a flag.
var ComputedLabels = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_computed_labels_total", Help: "Labels from a flag."}, strings.Split(*extraLabels, ","))

// ComputedName's name comes from a flag.
var ComputedName = promauto.NewCounter(prometheus.CounterOpts{Name: *prefix + "_computed_total", Help: "A computed name."})

// Native has native buckets besides its classic ones.
var Native = promauto.NewHistogram(prometheus.HistogramOpts{
	Name:                        "shop_native_seconds",
	Help:                        "Native and classic.",
	Buckets:                     []float64{0.1, 1, 10},
	NativeHistogramBucketFactor: 1.1,
})

// NativeOnly has native buckets alone, with every native option client_golang has.
var NativeOnly = promauto.NewHistogram(prometheus.HistogramOpts{
	Name:                            "shop_native_only_bytes",
	Help:                            "Native only.",
	NativeHistogramBucketFactor:     2,
	NativeHistogramMaxBucketNumber:  100,
	NativeHistogramZeroThreshold:    prometheus.NativeHistogramZeroThresholdZero,
	NativeHistogramMinResetDuration: time.Hour,
	NativeHistogramMaxZeroThreshold: 0.001,
	NativeHistogramMaxExemplars:     10,
})

// Payload is a summary with objectives and a window.
var Payload = promauto.NewSummaryVec(prometheus.SummaryOpts{
	Name:       "shop_payload_bytes",
	Help:       "Payload sizes.",
	Objectives: map[float64]float64{0.5: 0.05, 0.99: 0.001},
	MaxAge:     5 * time.Minute,
}, []string{"route"})

// Uptime is read at collection.
var Uptime = promauto.NewGaugeFunc(prometheus.GaugeOpts{Name: "shop_uptime_seconds", Help: "Time since start."}, func() float64 { return 1 })

// Orders is read at collection.
var Orders = promauto.NewCounterFunc(prometheus.CounterOpts{Name: "shop_orders_total", Help: "Orders placed."}, func() float64 { return 1 })

// Never is defined and never touched: a scrape does not show it.
var Never = promauto.NewCounterVec(prometheus.CounterOpts{Name: "shop_never_total", Help: "Never touched."}, []string{"reason"})
