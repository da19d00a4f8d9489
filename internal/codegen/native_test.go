package codegen

import (
	"regexp"
	"strings"
	"testing"

	"github.com/telediag/telediag/internal/catalog"
)

// TestNativeGenerated: a native histogram's constructor declares its native buckets with
// g.DeclareNative, the catalogue's values in an instrument.Native literal, just before it creates
// the histogram; passes bucket boundaries only when classic buckets are declared; and its doc
// comment and the docs' row state the declaration.
func TestNativeGenerated(t *testing.T) {
	c, err := catalog.Load("testdata/native.yaml")
	if err != nil {
		t.Fatal(err)
	}
	out, err := generate(c, Options{Package: "p", Scope: "s", Source: "native.yaml", DocsSource: "native.yaml"})
	if err != nil {
		t.Fatal(err)
	}
	src := string(out.Go)
	for _, tc := range []struct {
		typ, name, native string
		buckets           bool
		doc               string
	}{
		{"RpcSeconds", "rpc_seconds", "instrument.Native{Schema: 3, MaxBuckets: 160, ZeroThreshold: 2.938735877055719e-39, MinResetDuration: 0 /* 0s */}", true,
			"// Unit: s. Buckets: explicit.\n//\n// Native buckets: schema 3 (bucket_factor 1.1), at most 160 buckets, zero threshold\n// 2.938735877055719e-39, never reset.\n"},
		{"PayloadBytes", "payload_bytes", "instrument.Native{Schema: 0, MaxBuckets: 40, ZeroThreshold: 0, MinResetDuration: 3600000000000 /* 1h0m0s */}", false,
			"// Unit: By.\n//\n// Native buckets: schema 0, at most 40 buckets, zero threshold 0, reset after 1h0m0s at the\n// earliest, without classic buckets.\n"},
	} {
		ctor := regexp.MustCompile(`(?s)func new` + tc.typ + `\(.*?\n}\n`).FindString(src)
		if ctor == "" {
			t.Fatalf("no constructor new%s in\n%s", tc.typ, src)
		}
		decl := "\tg.DeclareNative(\"" + tc.name + "\", " + tc.native + ")\n\ti, err := m.Float64Histogram(\"" + tc.name + "\","
		if !strings.Contains(ctor, decl) {
			t.Errorf("new%s does not declare %s just before creating the histogram:\n%s", tc.typ, tc.native, ctor)
		}
		if got := strings.Contains(ctor, "metric.WithExplicitBucketBoundaries("); got != tc.buckets {
			t.Errorf("new%s passes bucket boundaries: %v, want %v:\n%s", tc.typ, got, tc.buckets, ctor)
		}
		if !strings.Contains(src, tc.doc) {
			t.Errorf("the doc comment of %s lacks %q", tc.typ, tc.doc)
		}
	}
	for _, want := range []string{
		"| `rpc_seconds` | histogram | `s` |  | explicit: 3 buckets, 0.1 … 10; native: schema 3 (bucket_factor 1.1), at most 160 buckets, zero threshold 2.938735877055719e-39, never reset |",
		"| `payload_bytes` | histogram | `By` |  | native: schema 0, at most 40 buckets, zero threshold 0, reset after 1h0m0s at the earliest |",
	} {
		if !strings.Contains(string(out.Docs), want) {
			t.Errorf("docs lack %q:\n%s", want, out.Docs)
		}
	}
}
