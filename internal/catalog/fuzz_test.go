package catalog

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParse feeds the loader arbitrary bytes, seeded with the good and every bad fixture: it
// must never panic, and must either return a catalogue or problems, never both or neither.
func FuzzParse(f *testing.F) {
	seeds, _ := filepath.Glob("testdata/bad/*.yaml")
	seeds = append(seeds, "testdata/good.yaml", "testdata/lifecycle.yaml", "../../instruments.yaml")
	for _, s := range seeds {
		data, err := os.ReadFile(s)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		c, err := Parse("fuzz.yaml", data)
		if (c == nil) == (err == nil) {
			t.Fatalf("Parse returned catalogue %v and error %v", c, err)
		}
		if err != nil && err.Error() == "" {
			t.Fatal("empty error")
		}
	})
}
