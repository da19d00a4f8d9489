package instrument

import (
	"context"
	"errors"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
)

// RecorderInstrument is the synchronous SDK instrument a Recorder records into:
// metric.Int64Histogram, metric.Float64Histogram, metric.Int64Gauge or metric.Float64Gauge.
type RecorderInstrument[N Number] interface {
	Record(ctx context.Context, val N, options ...metric.RecordOption)
}

// Recorder is a histogram or gauge whose label values are looked up in a cache of prebuilt
// attribute options, so recording with labels given per call allocates nothing once a series
// is known. Each value still goes through the SDK, which aggregates it.
//
// A nil *Recorder records nothing.
type Recorder[N Number, K comparable] struct {
	inst   RecorderInstrument[N]
	attrs  func(K) attribute.Set
	series *seriesCache[K, []metric.RecordOption]
}

// NewRecorder wraps inst, the instrument called name created from g's Meter; g's options bound
// its cache. attrs turns label values into the series' attribute set; it is called once per
// cached series.
func NewRecorder[N Number, K comparable](g *Group, name string, inst RecorderInstrument[N], attrs func(K) attribute.Set) (*Recorder[N, K], error) {
	if g == nil || inst == nil || attrs == nil {
		return nil, errors.New("instrument: NewRecorder needs a group, an instrument and an attribute function")
	}
	return &Recorder[N, K]{
		inst:  inst,
		attrs: attrs,
		series: newSeriesCache(name, g.cfg, func(k K) *[]metric.RecordOption {
			o := recordOptions(attrs(k))
			return &o
		}),
	}, nil
}

// Record records val for the series with label values k.
func (r *Recorder[N, K]) Record(ctx context.Context, val N, k K) {
	if r == nil {
		return
	}
	if o := r.series.get(k); o != nil {
		r.inst.Record(ctx, val, *o...)
		return
	}
	r.inst.Record(ctx, val, metric.WithAttributeSet(r.attrs(k)))
}

// RecordSet records val for the series with attribute set set, for a caller that already holds
// one. It allocates the option that carries set; Record with label values does not.
func (r *Recorder[N, K]) RecordSet(ctx context.Context, val N, set attribute.Set) {
	if r == nil {
		return
	}
	r.inst.Record(ctx, val, metric.WithAttributeSet(set))
}

// Bind returns the series with label values k, for a hot path.
func (r *Recorder[N, K]) Bind(k K) RecorderBound[N] {
	if r == nil {
		return RecorderBound[N]{}
	}
	if o := r.series.get(k); o != nil {
		return RecorderBound[N]{inst: r.inst, opts: *o}
	}
	return RecorderBound[N]{inst: r.inst, opts: recordOptions(r.attrs(k))}
}

func recordOptions(set attribute.Set) []metric.RecordOption {
	return []metric.RecordOption{metric.WithAttributeSet(set)}
}

// RecorderBound is one series of a Recorder. Its Record allocates nothing; the zero value
// records nothing.
type RecorderBound[N Number] struct {
	inst RecorderInstrument[N]
	opts []metric.RecordOption
}

// Record records val for the series.
func (b RecorderBound[N]) Record(ctx context.Context, val N) {
	if b.inst != nil {
		b.inst.Record(ctx, val, b.opts...)
	}
}
