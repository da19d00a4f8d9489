package instrument

import (
	"context"

	"go.opentelemetry.io/otel/attribute"
	"go.opentelemetry.io/otel/metric"
	"go.opentelemetry.io/otel/metric/embedded"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
)

// The counters, up-down counters and gauges of a FastPath's meters: created in the SDK as
// usual (conflicts detected, the instrument registered with every reader), and, when the fast
// path applies (FastPath.resolve), recording into a valueStream whose cells telediag owns,
// so that a deleted series leaves every reader. The SDK's own aggregation of the instrument
// then stays empty and reports nothing.

// Int64Counter creates the counter in the SDK and, when the fast path applies, returns an
// instrument recording on it.
func (m *pathMeter) Int64Counter(name string, opts ...metric.Int64CounterOption) (metric.Int64Counter, error) {
	inst, err := m.Meter.Int64Counter(name, opts...)
	if err != nil {
		return inst, err
	}
	cfg := metric.NewInt64CounterConfig(opts...)
	if v := valueStreamFor[int64](m.path, m.scope, sdkmetric.InstrumentKindCounter, name, cfg.Description(), cfg.Unit(), allowedKeys(opts)); v != nil {
		return &fastValue[int64]{v: v}, nil
	}
	return inst, nil
}

// Float64Counter creates the counter in the SDK and, when the fast path applies, returns an
// instrument recording on it.
func (m *pathMeter) Float64Counter(name string, opts ...metric.Float64CounterOption) (metric.Float64Counter, error) {
	inst, err := m.Meter.Float64Counter(name, opts...)
	if err != nil {
		return inst, err
	}
	cfg := metric.NewFloat64CounterConfig(opts...)
	if v := valueStreamFor[float64](m.path, m.scope, sdkmetric.InstrumentKindCounter, name, cfg.Description(), cfg.Unit(), allowedKeys(opts)); v != nil {
		return &fastValue[float64]{v: v}, nil
	}
	return inst, nil
}

// Int64UpDownCounter creates the up-down counter in the SDK and, when the fast path applies,
// returns an instrument recording on it.
func (m *pathMeter) Int64UpDownCounter(name string, opts ...metric.Int64UpDownCounterOption) (metric.Int64UpDownCounter, error) {
	inst, err := m.Meter.Int64UpDownCounter(name, opts...)
	if err != nil {
		return inst, err
	}
	cfg := metric.NewInt64UpDownCounterConfig(opts...)
	if v := valueStreamFor[int64](m.path, m.scope, sdkmetric.InstrumentKindUpDownCounter, name, cfg.Description(), cfg.Unit(), allowedKeys(opts)); v != nil {
		return &fastValue[int64]{v: v}, nil
	}
	return inst, nil
}

// Float64UpDownCounter creates the up-down counter in the SDK and, when the fast path applies,
// returns an instrument recording on it.
func (m *pathMeter) Float64UpDownCounter(name string, opts ...metric.Float64UpDownCounterOption) (metric.Float64UpDownCounter, error) {
	inst, err := m.Meter.Float64UpDownCounter(name, opts...)
	if err != nil {
		return inst, err
	}
	cfg := metric.NewFloat64UpDownCounterConfig(opts...)
	if v := valueStreamFor[float64](m.path, m.scope, sdkmetric.InstrumentKindUpDownCounter, name, cfg.Description(), cfg.Unit(), allowedKeys(opts)); v != nil {
		return &fastValue[float64]{v: v}, nil
	}
	return inst, nil
}

// Int64Gauge creates the gauge in the SDK and, when the fast path applies, returns an
// instrument recording on it.
func (m *pathMeter) Int64Gauge(name string, opts ...metric.Int64GaugeOption) (metric.Int64Gauge, error) {
	inst, err := m.Meter.Int64Gauge(name, opts...)
	if err != nil {
		return inst, err
	}
	cfg := metric.NewInt64GaugeConfig(opts...)
	if v := valueStreamFor[int64](m.path, m.scope, sdkmetric.InstrumentKindGauge, name, cfg.Description(), cfg.Unit(), allowedKeys(opts)); v != nil {
		return &fastValue[int64]{v: v}, nil
	}
	return inst, nil
}

// Float64Gauge creates the gauge in the SDK and, when the fast path applies, returns an
// instrument recording on it.
func (m *pathMeter) Float64Gauge(name string, opts ...metric.Float64GaugeOption) (metric.Float64Gauge, error) {
	inst, err := m.Meter.Float64Gauge(name, opts...)
	if err != nil {
		return inst, err
	}
	cfg := metric.NewFloat64GaugeConfig(opts...)
	if v := valueStreamFor[float64](m.path, m.scope, sdkmetric.InstrumentKindGauge, name, cfg.Description(), cfg.Unit(), allowedKeys(opts)); v != nil {
		return &fastValue[float64]{v: v}, nil
	}
	return inst, nil
}

// fastValue is the OTel instrument of a counter, up-down counter or gauge on the fast path:
// what the meter returns, and what a generated catalogue's Inst() gives out. Its Add and Record
// resolve the attributes of their options as the SDK does and measure into the stream's
// cells; Counter and Recorder bypass it with their own caches of cells by label values.
type fastValue[N Number] struct {
	embedded.Int64Counter
	embedded.Float64Counter
	embedded.Int64UpDownCounter
	embedded.Float64UpDownCounter
	embedded.Int64Gauge
	embedded.Float64Gauge
	v *valueStream[N]
}

// Add adds incr with the attributes of options (a counter or an up-down counter).
func (f *fastValue[N]) Add(ctx context.Context, incr N, options ...metric.AddOption) {
	if len(options) == 0 {
		f.v.measureEmpty(ctx, incr)
		return
	}
	f.v.measure(ctx, incr, optionAttributes(metric.NewAddConfig(options).Attributes(), options))
}

// Record records val with the attributes of options (a gauge).
func (f *fastValue[N]) Record(ctx context.Context, val N, options ...metric.RecordOption) {
	if len(options) == 0 {
		f.v.measureEmpty(ctx, val)
		return
	}
	f.v.measure(ctx, val, optionAttributes(metric.NewRecordConfig(options).Attributes(), options))
}

// Enabled reports true: some reader gets the stream, or it would take the SDK's path.
func (*fastValue[N]) Enabled(context.Context) bool { return true }

// optionAttributes resolves the attributes of an Add's or a Record's options as the SDK does:
// the options' set, then any raw attributes an option carries, later keys winning.
func optionAttributes[O any](set attribute.Set, options []O) attribute.Set {
	var raw []attribute.KeyValue
	for _, o := range options {
		if r, ok := any(o).(rawAttributesOption); ok {
			raw = append(raw, r.RawAttributes()...)
		}
	}
	if len(raw) == 0 {
		return set
	}
	return attribute.NewSet(append(set.ToSlice(), raw...)...)
}

// valueOf returns the fast sum or gauge stream behind inst, or nil when inst records through
// the SDK.
func valueOf[N Number](inst any) *valueStream[N] {
	if f, ok := inst.(*fastValue[N]); ok {
		return f.v
	}
	return nil
}
