package catalog

import (
	"math"
	"testing"
	"time"

	"github.com/telediag/telediag/telemetry/instrument"
)

// TestNativeDefaults holds the native defaults and schema range to telemetry/instrument's,
// which generated code hands the declaration to and which this package does not import, and
// SchemaForFactor to instrument.SchemaForFactor (client_golang's pickSchema) on factors across
// and beyond every schema.
func TestNativeDefaults(t *testing.T) {
	if DefaultNativeMaxBuckets != instrument.DefaultNativeMaxBuckets || DefaultNativeZeroThreshold != instrument.DefaultNativeZeroThreshold ||
		MinNativeSchema != instrument.MinNativeSchema || MaxNativeSchema != instrument.MaxNativeSchema ||
		MaxNativeBuckets != instrument.MaxNativeBuckets {
		t.Errorf("defaults %d, %v, schemas %d..%d differ from telemetry/instrument's", DefaultNativeMaxBuckets, DefaultNativeZeroThreshold, MinNativeSchema, MaxNativeSchema)
	}
	if DefaultNativeZeroThreshold != math.Ldexp(1, -128) {
		t.Errorf("DefaultNativeZeroThreshold %v is not 2^-128", DefaultNativeZeroThreshold)
	}
	factors := []float64{-1, 0, 1, 1.0000001, 1.001, 1.002, 1.01, 1.1, 1.5, 2, 3, 4, 16, 256, 65536, 1e6, 1e300, math.Inf(1)}
	for s := MinNativeSchema; s <= MaxNativeSchema; s++ {
		f := (&Native{Schema: int32(s)}).Factor()
		factors = append(factors, f, math.Nextafter(f, 0), math.Nextafter(f, math.Inf(1)))
	}
	for _, f := range factors {
		if got, want := SchemaForFactor(f), instrument.SchemaForFactor(f); got != want {
			t.Errorf("SchemaForFactor(%v) = %d, instrument's %d", f, got, want)
		}
	}
}

// TestLoadNative: native: with a factor or a schema, with and without classic buckets, the
// defaults of what it leaves out, and every declaration one instrument.Native.Validate accepts.
func TestLoadNative(t *testing.T) {
	c, err := Load("testdata/native.yaml")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name    string
		buckets int
		want    Native
		text    string
	}{
		{"rpc_seconds", 3, Native{Schema: 3, BucketFactor: 1.1, MaxBuckets: 160, ZeroThreshold: DefaultNativeZeroThreshold, Line: 8},
			"schema 3 (bucket_factor 1.1), at most 160 buckets, zero threshold 2.938735877055719e-39, never reset"},
		{"payload_bytes", 0, Native{Schema: 0, MaxBuckets: 40, ZeroThreshold: 0, MinResetDuration: time.Hour, Line: 15},
			"schema 0, at most 40 buckets, zero threshold 0, reset after 1h0m0s at the earliest"},
		{"queue_seconds", 0, Native{Schema: -1, BucketFactor: 4, MaxBuckets: 160, ZeroThreshold: DefaultNativeZeroThreshold, Line: 25},
			"schema -1 (bucket_factor 4), at most 160 buckets, zero threshold 2.938735877055719e-39, never reset"},
	} {
		m := c.Metric(tc.name)
		if m.Native == nil || *m.Native != tc.want || len(m.Buckets) != tc.buckets {
			t.Errorf("%s: native %+v, %d buckets; want %+v, %d", tc.name, m.Native, len(m.Buckets), tc.want, tc.buckets)
			continue
		}
		if got := m.Native.String(); got != tc.text {
			t.Errorf("%s: String() = %q, want %q", tc.name, got, tc.text)
		}
		n := instrument.Native{Schema: m.Native.Schema, MaxBuckets: m.Native.MaxBuckets, ZeroThreshold: m.Native.ZeroThreshold, MinResetDuration: m.Native.MinResetDuration}
		if err := n.Validate(); err != nil {
			t.Errorf("%s: the catalogue accepts what instrument refuses: %v", tc.name, err)
		}
	}
	if c.Metric("rpc_seconds").Native.Factor() != math.Pow(2, 0.125) {
		t.Error("Factor of schema 3 is not 2^(1/8)")
	}
}
