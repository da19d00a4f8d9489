package catalog

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"
)

// Native is a histogram's native buckets, its `native:` declaration: Prometheus's native
// histogram, OTel's base-2 exponential histogram. The fields are the effective values, defaults
// applied; generated code hands them to telemetry/instrument's Native (Group.DeclareNative),
// whose documentation says how telediag serves them.
type Native struct {
	// Schema is the highest resolution, MinNativeSchema to MaxNativeSchema: bucket boundaries
	// are powers of 2^(2^-Schema). Declared as is, or computed from BucketFactor.
	Schema int32
	// BucketFactor is the factor as declared (client_golang's NativeHistogramBucketFactor);
	// 0 when the entry declares schema instead.
	BucketFactor float64
	// MaxBuckets bounds the span of buckets per sign, from the lowest populated one to the
	// highest, as OTel's MaxSize does; DefaultNativeMaxBuckets when the entry leaves it out.
	MaxBuckets int
	// ZeroThreshold: values whose absolute value is at most this are counted in the zero
	// bucket; DefaultNativeZeroThreshold when the entry leaves it out.
	ZeroThreshold float64
	// MinResetDuration: a series that would lose resolution at least this long after it
	// started is reset instead (client_golang's NativeHistogramMinResetDuration); 0 never.
	MinResetDuration time.Duration
	// Line is where the native declaration's mapping starts: its first key, or the line of
	// native: itself when written inline ({schema: 3}).
	Line int
}

// The defaults of a native declaration and the schemas Prometheus represents: those of
// telemetry/instrument (DefaultNativeMaxBuckets, DefaultNativeZeroThreshold, MinNativeSchema,
// MaxNativeSchema), which this package does not import; TestNativeDefaults holds them equal.
// The zero threshold is client_golang's DefNativeHistogramZeroThreshold, 2^-128; the span of
// buckets is OTel's default MaxSize.
const (
	DefaultNativeMaxBuckets    = 160
	DefaultNativeZeroThreshold = 2.938735877055719e-39
	MinNativeSchema            = -4
	MaxNativeSchema            = 8
)

// MaxNativeBuckets is the largest max_buckets (telemetry/instrument's MaxNativeBuckets;
// TestNativeDefaults holds them equal): the fast path keeps a ring of max_buckets counts per
// sign and phase for every series from its first value, so the bound is a bound on memory.
const MaxNativeBuckets = 1024

// SchemaForFactor is client_golang's pickSchema (telemetry/instrument's SchemaForFactor): the
// schema whose bucket growth factor is the largest not above factor, clamped to the schemas
// Prometheus represents; a factor of at most 1 gives the highest.
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

// Factor is the growth factor of the schema's buckets, 2^(2^-Schema).
func (n *Native) Factor() float64 { return math.Pow(2, math.Pow(2, -float64(n.Schema))) }

// String describes the declaration for documentation and comments: "schema 3 (bucket_factor
// 1.1), at most 160 buckets, zero threshold 2.938735877055719e-39, never reset".
func (n *Native) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "schema %d", n.Schema)
	if n.BucketFactor != 0 {
		fmt.Fprintf(&b, " (bucket_factor %s)", formatFloat(n.BucketFactor))
	}
	fmt.Fprintf(&b, ", at most %d buckets, zero threshold %s, ", n.MaxBuckets, formatFloat(n.ZeroThreshold))
	if n.MinResetDuration == 0 {
		b.WriteString("never reset")
	} else {
		fmt.Fprintf(&b, "reset after %s at the earliest", n.MinResetDuration)
	}
	return b.String()
}

// nativeKeys are the keys of a native declaration.
var nativeKeys = []string{"bucket_factor", "schema", "max_buckets", "zero_threshold", "min_reset_duration"}

// native reads a generated histogram's native declaration; nil when it has a problem (which is
// recorded).
func (p *parser) native(n *yaml.Node, about Problem) *Native {
	if n.Kind != yaml.MappingNode {
		p.addf(n.Line, about, ProblemSyntax, "native must be a mapping with bucket_factor or schema, and optionally max_buckets, zero_threshold and min_reset_duration, not a %s", kindName(n))
		return nil
	}
	f := p.fields(n, about, nativeKeys)
	out := &Native{MaxBuckets: DefaultNativeMaxBuckets, ZeroThreshold: DefaultNativeZeroThreshold, Line: n.Line}
	ok := len(f) == len(n.Content)/2 // an unknown or repeated key is already a problem
	factor, hasFactor := f["bucket_factor"]
	schema, hasSchema := f["schema"]
	switch {
	case hasFactor && hasSchema:
		p.addf(schema.Line, about, ProblemKey, "native: bucket_factor (line %d) and schema both given: declare exactly one (schema %s is the factor %s)", factor.Line, schema.Value, schemaFactorText(schema.Value))
		ok = false
	case hasFactor:
		v, vok := p.number(factor, about, "native.bucket_factor")
		switch {
		case !vok:
			ok = false
		case !(v > 1) || math.IsInf(v, 0):
			p.addf(factor.Line, about, ProblemValue, "native.bucket_factor must be a finite number above 1, not %s: each bucket's upper bound is at most this times its lower (client_golang's NativeHistogramBucketFactor; 1.1 gives schema 3)", factor.Value)
			ok = false
		default:
			out.BucketFactor, out.Schema = v, SchemaForFactor(v)
		}
	case hasSchema:
		v, vok := p.number(schema, about, "native.schema")
		switch {
		case !vok:
			ok = false
		case v != math.Trunc(v) || v < MinNativeSchema || v > MaxNativeSchema:
			p.addf(schema.Line, about, ProblemValue, "native.schema must be a whole number from %d to %d, not %s: Prometheus represents no other", MinNativeSchema, MaxNativeSchema, schema.Value)
			ok = false
		default:
			out.Schema = int32(v)
		}
	default:
		p.addf(n.Line, about, ProblemKey, "native: missing bucket_factor or schema: declare one (bucket_factor: 1.1, client_golang's usual, is schema 3)")
		ok = false
	}
	if mb, has := f["max_buckets"]; has {
		v, vok := p.number(mb, about, "native.max_buckets")
		switch {
		case !vok:
			ok = false
		case v != math.Trunc(v) || v < 2 || v > MaxNativeBuckets:
			p.addf(mb.Line, about, ProblemValue, "native.max_buckets must be a whole number from 2 to %d, not %s: the exponential aggregation needs two buckets to lower the resolution into, and every series keeps room for max_buckets from its first value", MaxNativeBuckets, mb.Value)
			ok = false
		default:
			out.MaxBuckets = int(v)
		}
	}
	if zt, has := f["zero_threshold"]; has {
		v, vok := p.number(zt, about, "native.zero_threshold")
		switch {
		case !vok:
			ok = false
		case v < 0 || math.IsInf(v, 0) || math.IsNaN(v):
			p.addf(zt.Line, about, ProblemValue, "native.zero_threshold must be a finite number, 0 or more, not %s: values whose absolute value is at most this count in the zero bucket", zt.Value)
			ok = false
		default:
			out.ZeroThreshold = v
		}
	}
	if rd, has := f["min_reset_duration"]; has {
		d, err := time.ParseDuration(rd.Value)
		switch {
		case rd.Kind != yaml.ScalarNode || (rd.Tag != "!!str" && rd.Value != "0") || err != nil:
			p.addf(rd.Line, about, ProblemValue, "native.min_reset_duration must be a duration such as 1h or 30m, or 0 (never), not %q", rd.Value)
			ok = false
		case d < 0:
			p.addf(rd.Line, about, ProblemValue, "native.min_reset_duration must be 0 (never) or more, not %s", rd.Value)
			ok = false
		default:
			out.MinResetDuration = d
		}
	}
	if !ok {
		return nil
	}
	return out
}

// schemaFactorText is the factor of a schema written as text, for a message; "?" when it is
// not a schema.
func schemaFactorText(s string) string {
	v, err := strconv.Atoi(s)
	if err != nil || v < MinNativeSchema || v > MaxNativeSchema {
		return "?"
	}
	n := Native{Schema: int32(v)}
	return strconv.FormatFloat(n.Factor(), 'g', 6, 64)
}
