package instrumenttest

import (
	"sync"
	"sync/atomic"

	"go.opentelemetry.io/otel/metric"
)

// CallbackCounter is a MeterProvider that passes everything to the one it wraps and counts the
// callbacks registered through its Meters and not yet unregistered: what a released catalogue
// must bring back to where it was.
type CallbackCounter struct {
	metric.MeterProvider
	live *atomic.Int64
}

// CountCallbacks wraps mp. The instruments its Meters create are mp's own, so mp's readers see
// them as usual.
func CountCallbacks(mp metric.MeterProvider) *CallbackCounter {
	return &CallbackCounter{MeterProvider: mp, live: new(atomic.Int64)}
}

// Meter returns the wrapped provider's Meter, counting its callback registrations.
func (c *CallbackCounter) Meter(name string, opts ...metric.MeterOption) metric.Meter {
	return countingMeter{Meter: c.MeterProvider.Meter(name, opts...), live: c.live}
}

// Live is the number of callbacks registered and not yet unregistered.
func (c *CallbackCounter) Live() int { return int(c.live.Load()) }

type countingMeter struct {
	metric.Meter
	live *atomic.Int64
}

func (m countingMeter) RegisterCallback(f metric.Callback, instruments ...metric.Observable) (metric.Registration, error) {
	r, err := m.Meter.RegisterCallback(f, instruments...)
	if err != nil {
		return r, err
	}
	m.live.Add(1)
	return &countedRegistration{Registration: r, live: m.live}, nil
}

type countedRegistration struct {
	metric.Registration
	live *atomic.Int64
	once sync.Once
}

// Unregister counts the callback as gone only when the SDK unregistered it: a failed
// Unregister leaves it live, and the count says so.
func (r *countedRegistration) Unregister() error {
	err := r.Registration.Unregister()
	if err == nil {
		r.once.Do(func() { r.live.Add(-1) })
	}
	return err
}
