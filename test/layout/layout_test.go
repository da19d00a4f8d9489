// Package layout_test holds the repository's import layers to the architecture README draws:
// cmd on top, then router, then the telemetry pipeline, with probes and internal at the ground,
// and the generic pipeline never importing a metric catalogue.
package layout_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"os/exec"
	"slices"
	"strings"
	"testing"
)

const module = "github.com/telediag/telediag"

// floors ranks the top-level folders: a package may import packages of its own folder and of
// folders on a lower floor, never of one above it.
var floors = map[string]int{
	"probes":    1,
	"internal":  1,
	"telemetry": 2,
	"router":    3,
	"cmd":       4,
	"test":      5,
}

type pkg struct {
	ImportPath string
	GoFiles    []string
	Imports    []string
}

// listPackages returns every package of the module with its non-test imports.
func listPackages(t *testing.T) []pkg {
	t.Helper()
	cmd := exec.Command("go", "list", "-json=ImportPath,GoFiles,Imports", module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []pkg
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p pkg
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 10 {
		t.Fatalf("go list found %d packages of %s", len(pkgs), module)
	}
	return pkgs
}

// folder is the top-level folder of a package of the module ("" for the root or another module).
func folder(importPath string) string {
	rel, ok := strings.CutPrefix(importPath, module+"/")
	if !ok {
		return ""
	}
	top, _, _ := strings.Cut(rel, "/")
	return top
}

// isCatalogue reports whether a package is a generated metric catalogue.
func isCatalogue(p pkg) bool { return slices.Contains(p.GoFiles, "instruments_gen.go") }

// TestImportsFormLayers: no package imports one on a floor above its own, so the imports read
// one way, with cmd on top.
func TestImportsFormLayers(t *testing.T) {
	for _, p := range listPackages(t) {
		from := folder(p.ImportPath)
		floor, ok := floors[from]
		if !ok {
			t.Errorf("%s: top-level folder %q has no floor in this test; give it one", p.ImportPath, from)
			continue
		}
		for _, imp := range p.Imports {
			to := folder(imp)
			if to == "" || to == from {
				continue
			}
			if floors[to] >= floor {
				t.Errorf("%s (%s, floor %d) imports %s (%s, floor %d): an import that does not run down", p.ImportPath, from, floor, imp, to, floors[to])
			}
		}
	}
}

// TestPipelineImportsNoCatalogue: catalogues sit on top of the generic pipeline. No package of
// the pipeline, the probes, the router or the generator's internals imports a generated
// catalogue; only commands and tests do.
func TestPipelineImportsNoCatalogue(t *testing.T) {
	pkgs := listPackages(t)
	catalogues := map[string]bool{}
	for _, p := range pkgs {
		if isCatalogue(p) {
			catalogues[p.ImportPath] = true
		}
	}
	if !catalogues[module+"/telemetry/teleport"] {
		t.Fatalf("telemetry/teleport is not seen as a catalogue (no instruments_gen.go?): %v", catalogues)
	}
	for _, p := range pkgs {
		if f := folder(p.ImportPath); f == "cmd" || f == "test" {
			continue
		}
		for _, imp := range p.Imports {
			if catalogues[imp] {
				t.Errorf("%s imports the catalogue %s: the pipeline must know no catalogue", p.ImportPath, imp)
			}
		}
	}
}
