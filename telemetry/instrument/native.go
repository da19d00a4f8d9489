package instrument

import (
	"fmt"
	"math"
	"time"

	"go.opentelemetry.io/otel/sdk/instrumentation"
)

// Native declares a histogram's native buckets: Prometheus's native histogram, OTel's base-2
// exponential histogram. A catalogue declares it with `native:` (docs/catalogue.md), beside
// or instead of classic buckets; generated code hands it to Group.DeclareNative before it
// creates the histogram.
//
// The fields are client_golang's options of the same names, so that a migrated service keeps
// what it declared; how telediag applies them is OTel's exponential aggregation
// (sdkmetric.AggregationBase2ExponentialHistogram with MaxScale Schema and MaxSize
// MaxBuckets), so that what a collector receives over OTLP is what the SDK would send:
//
//   - Schema is the highest resolution, -4 to 8: bucket boundaries are powers of
//     2^(2^-Schema). A series starts there and loses resolution (the schema goes down by as
//     much as needed) only when its buckets would span more than MaxBuckets.
//   - MaxBuckets bounds the span of buckets, per sign, from the lowest to the highest
//     populated one, as OTel's MaxSize does. client_golang bounds the number of populated
//     buckets instead; for the values of one service the two mostly agree, and the schema is
//     never higher than declared either way.
//   - ZeroThreshold: values whose absolute value is at most this are counted in the zero
//     bucket. OTel's aggregation counts only exact zeros (a threshold of 0).
//   - MinResetDuration: when a series would lose resolution and at least this long passed
//     since it started (or was last reset), it is reset instead, as client_golang's
//     NativeHistogramMinResetDuration does; 0 never resets.
type Native struct {
	Schema           int32
	MaxBuckets       int
	ZeroThreshold    float64
	MinResetDuration time.Duration
}

// Defaults of a Native field left zero by a catalogue: client_golang's (its
// DefNativeHistogramZeroThreshold, 2^-128) for the zero threshold, OTel's (the SDK's MaxSize)
// for the span of buckets.
const (
	DefaultNativeMaxBuckets    = 160
	DefaultNativeZeroThreshold = 2.938735877055719e-39
)

// MaxNativeBuckets is the largest MaxBuckets: a native series keeps a ring of MaxBuckets
// counts per sign and phase from its first value (8 bytes each), so that recording into any
// bucket within the span is one atomic add; the bound is a bound on memory. A View's
// exponential aggregation with a larger MaxSize takes the SDK's path, which grows its buckets.
const MaxNativeBuckets = 1024

// Native schemas Prometheus can represent.
const (
	MinNativeSchema = -4
	MaxNativeSchema = 8
)

// Validate reports a declaration Prometheus or the record path cannot honour.
func (n Native) Validate() error {
	switch {
	case n.Schema < MinNativeSchema || n.Schema > MaxNativeSchema:
		return fmt.Errorf("native schema %d: want %d to %d", n.Schema, MinNativeSchema, MaxNativeSchema)
	case n.MaxBuckets < 2 || n.MaxBuckets > MaxNativeBuckets:
		// OTel's aggregation needs two buckets to downscale into (the SDK ignores a View
		// asking for fewer).
		return fmt.Errorf("native max_buckets %d: want 2 to %d", n.MaxBuckets, MaxNativeBuckets)
	case n.ZeroThreshold < 0 || math.IsNaN(n.ZeroThreshold) || math.IsInf(n.ZeroThreshold, 0):
		return fmt.Errorf("native zero_threshold %v: want a finite number, 0 or more", n.ZeroThreshold)
	case n.MinResetDuration < 0:
		return fmt.Errorf("native min_reset_duration %v: want 0 (never) or more", n.MinResetDuration)
	}
	return nil
}

// SchemaForFactor is client_golang's pickSchema: the schema whose bucket growth factor is
// the largest not above factor (a factor of at most 1 gives the highest schema), so that a
// catalogue may declare client_golang's NativeHistogramBucketFactor.
func SchemaForFactor(factor float64) int32 {
	if factor <= 1 {
		return MaxNativeSchema
	}
	floor := math.Floor(math.Log2(math.Log2(factor)))
	switch {
	case -floor > MaxNativeSchema:
		return MaxNativeSchema
	case -floor < MinNativeSchema:
		return MinNativeSchema
	}
	return int32(-floor)
}

// DeclareNative declares the native buckets of the histogram called name, which the caller
// creates next from g's Meter. It reports whether the Meter's provider serves native buckets
// (a FastPath's, telemetry.New's, when the path applies); on any other provider the histogram
// is a classic one, and without classic buckets the SDK gives it its default boundaries:
// such a provider needs a View with sdkmetric.AggregationBase2ExponentialHistogram for
// native buckets. A nil group declares nothing.
func (g *Group) DeclareNative(name string, n Native) bool {
	if g == nil || g.settings.declareNative == nil {
		return false
	}
	return g.settings.declareNative(name, n)
}

// nativeKey is a declared native histogram: the instrument's scope and name, as the SDK
// identifies an instrument.
type nativeKey struct {
	scope instrumentation.Scope
	name  string
}

// declareNative notes n for the histogram called name created next from a meter of scope.
func (p *FastPath) declareNative(scope instrumentation.Scope, name string, n Native) bool {
	if n.Validate() != nil {
		return false
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.natives == nil {
		p.natives = map[nativeKey]Native{}
	}
	p.natives[nativeKey{scope: scope, name: name}] = n
	return true
}

// nativeFor returns the native buckets declared for the histogram called name from a meter of
// scope. p.mu is held.
func (p *FastPath) nativeFor(scope instrumentation.Scope, name string) (Native, bool) {
	n, ok := p.natives[nativeKey{scope: scope, name: name}]
	return n, ok
}
