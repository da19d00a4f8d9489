// Package prometheus is a stub of client_golang's: the API shape the fixer reads.
package prometheus

import "time"

type Labels map[string]string

type Opts struct {
	Namespace   string
	Subsystem   string
	Name        string
	Help        string
	ConstLabels Labels
}

type CounterOpts Opts
type GaugeOpts Opts
type UntypedOpts Opts

type HistogramOpts struct {
	Namespace   string
	Subsystem   string
	Name        string
	Help        string
	ConstLabels Labels
	Buckets     []float64

	NativeHistogramBucketFactor    float64
	NativeHistogramMaxBucketNumber uint32
}

type SummaryOpts struct {
	Namespace   string
	Subsystem   string
	Name        string
	Help        string
	ConstLabels Labels
	Objectives  map[float64]float64
}

type Desc struct{}
type Metric interface{ Desc() *Desc }
type Collector interface{ Describe(chan<- *Desc) }

type Counter interface {
	Metric
	Collector
	Inc()
	Add(float64)
	AddWithExemplar(float64, Labels)
}

type Gauge interface {
	Metric
	Collector
	Set(float64)
	Inc()
	Dec()
	Add(float64)
	Sub(float64)
	SetToCurrentTime()
}

type Observer interface{ Observe(float64) }

type ExemplarObserver interface {
	ObserveWithExemplar(value float64, exemplar Labels)
}

type ExemplarAdder interface {
	AddWithExemplar(value float64, exemplar Labels)
}

type Histogram interface {
	Metric
	Collector
	Observe(float64)
}

type Summary interface {
	Metric
	Collector
	Observe(float64)
}

type CounterFunc interface {
	Metric
	Collector
}

type GaugeFunc interface {
	Metric
	Collector
}

type metricVec struct{}

func (m *metricVec) Delete(labels Labels) bool            { return false }
func (m *metricVec) DeleteLabelValues(lvs ...string) bool { return false }
func (m *metricVec) DeletePartialMatch(labels Labels) int { return 0 }
func (m *metricVec) Reset()                               {}
func (m *metricVec) Describe(ch chan<- *Desc)             {}

type CounterVec struct{ *metricVec }

func (v *CounterVec) WithLabelValues(lvs ...string) Counter                   { return nil }
func (v *CounterVec) With(labels Labels) Counter                              { return nil }
func (v *CounterVec) MustCurryWith(labels Labels) *CounterVec                 { return v }
func (v *CounterVec) GetMetricWithLabelValues(lvs ...string) (Counter, error) { return nil, nil }

type GaugeVec struct{ *metricVec }

func (v *GaugeVec) WithLabelValues(lvs ...string) Gauge { return nil }
func (v *GaugeVec) With(labels Labels) Gauge            { return nil }

type ObserverVec interface {
	WithLabelValues(...string) Observer
	With(Labels) Observer
	Collector
}

type HistogramVec struct{ *metricVec }

func (v *HistogramVec) WithLabelValues(lvs ...string) Observer { return nil }
func (v *HistogramVec) With(labels Labels) Observer            { return nil }

type SummaryVec struct{ *metricVec }

func (v *SummaryVec) WithLabelValues(lvs ...string) Observer { return nil }
func (v *SummaryVec) With(labels Labels) Observer            { return nil }

func NewCounter(opts CounterOpts) Counter                                   { return nil }
func NewCounterVec(opts CounterOpts, labelNames []string) *CounterVec       { return nil }
func NewGauge(opts GaugeOpts) Gauge                                         { return nil }
func NewGaugeVec(opts GaugeOpts, labelNames []string) *GaugeVec             { return nil }
func NewHistogram(opts HistogramOpts) Histogram                             { return nil }
func NewHistogramVec(opts HistogramOpts, labelNames []string) *HistogramVec { return nil }
func NewSummary(opts SummaryOpts) Summary                                   { return nil }
func NewSummaryVec(opts SummaryOpts, labelNames []string) *SummaryVec       { return nil }
func NewGaugeFunc(opts GaugeOpts, function func() float64) GaugeFunc        { return nil }
func NewCounterFunc(opts CounterOpts, function func() float64) CounterFunc  { return nil }

type Registerer interface {
	Register(Collector) error
	MustRegister(...Collector)
}

type Gatherer interface{ Gather() error }

type Registry struct{}

func (r *Registry) Register(c Collector) error   { return nil }
func (r *Registry) MustRegister(cs ...Collector) {}
func (r *Registry) Gather() error                { return nil }

func NewRegistry() *Registry         { return &Registry{} }
func NewPedanticRegistry() *Registry { return &Registry{} }

var (
	DefaultRegisterer Registerer = NewRegistry()
	DefaultGatherer   Gatherer   = NewRegistry()
)

func Register(c Collector) error   { return nil }
func MustRegister(cs ...Collector) {}
func Unregister(c Collector) bool  { return true }

func NewGoCollector() Collector { return nil }

type ProcessCollectorOpts struct{}

func NewProcessCollector(opts ProcessCollectorOpts) Collector { return nil }

type Timer struct{}

func NewTimer(o Observer) *Timer                                           { return &Timer{} }
func (t *Timer) ObserveDuration() time.Duration                            { return 0 }
func (t *Timer) ObserveDurationWithExemplar(exemplar Labels) time.Duration { return 0 }

func ExponentialBuckets(start, factor float64, count int) []float64 { return nil }

var DefBuckets = []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}

func WrapRegistererWith(labels Labels, reg Registerer) Registerer       { return reg }
func WrapRegistererWithPrefix(prefix string, reg Registerer) Registerer { return reg }
