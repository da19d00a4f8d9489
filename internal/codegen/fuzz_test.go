package codegen

import (
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/telediag/telediag/internal/catalog"
)

// FuzzGenerate holds the generator to its promise: whatever catalogue the loader accepts
// generates Go that parses and is formatted (generate runs go/format on its output, so a
// template that writes an illegal character, an unbalanced comment or a bad literal fails
// here), or is refused as catalogue problems at FILE:LINE — never an internal error. The
// compile, vet and test of hostile but valid catalogues is TestHostileLabelsCompileVetAndPass.
func FuzzGenerate(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/*.yaml")
	bad, _ := filepath.Glob("../catalog/testdata/bad/*.yaml")
	seeds = append(append(seeds, bad...), "../catalog/testdata/good.yaml", "../../instruments.yaml")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := catalog.Parse("fuzz.yaml", data)
		if err != nil {
			return
		}
		_, err = generate(c, Options{Source: "fuzz.yaml", DocsSource: "fuzz.yaml", Package: "fuzz", Scope: "example.com/fuzz"})
		var problems catalog.Problems
		if err != nil && !errors.As(err, &problems) {
			t.Fatalf("a catalogue the loader accepts fails to generate: %v", err)
		}
	})
}
