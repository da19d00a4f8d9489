// Package promauto is a stub of client_golang's.
package promauto

import "github.com/prometheus/client_golang/prometheus"

func NewCounter(opts prometheus.CounterOpts) prometheus.Counter { return nil }
func NewCounterVec(opts prometheus.CounterOpts, labelNames []string) *prometheus.CounterVec {
	return nil
}
func NewGauge(opts prometheus.GaugeOpts) prometheus.Gauge { return nil }
func NewGaugeVec(opts prometheus.GaugeOpts, labelNames []string) *prometheus.GaugeVec {
	return nil
}
func NewHistogram(opts prometheus.HistogramOpts) prometheus.Histogram { return nil }
func NewHistogramVec(opts prometheus.HistogramOpts, labelNames []string) *prometheus.HistogramVec {
	return nil
}
func NewSummary(opts prometheus.SummaryOpts) prometheus.Summary { return nil }
func NewSummaryVec(opts prometheus.SummaryOpts, labelNames []string) *prometheus.SummaryVec {
	return nil
}
func NewGaugeFunc(opts prometheus.GaugeOpts, function func() float64) prometheus.GaugeFunc {
	return nil
}

type Factory struct{ r prometheus.Registerer }

func With(r prometheus.Registerer) Factory { return Factory{r} }

func (f Factory) NewCounter(opts prometheus.CounterOpts) prometheus.Counter { return nil }
func (f Factory) NewCounterVec(opts prometheus.CounterOpts, labelNames []string) *prometheus.CounterVec {
	return nil
}
func (f Factory) NewHistogramVec(opts prometheus.HistogramOpts, labelNames []string) *prometheus.HistogramVec {
	return nil
}
