package migrate

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/codegen"
)

// CatalogueFile is the name a generated package's catalogue has beside it.
const CatalogueFile = "instruments.yaml"

// FindCatalogue finds the catalogue to migrate pkgs to: the instruments.yaml beside the
// generated code (codegen.GoFile) of a package pkgs import, else the only one in their main
// module (test data, vendored code and nested modules aside). A generated package whose
// catalogue is elsewhere (instrumentgen -o DIR ../instruments.yaml) is matched to it by the
// //go:generate line of the main module that generates it. More than one is an error that
// names them, for -catalog to choose.
func FindCatalogue(pkgs []*packages.Package) (string, error) {
	root := ""
	for _, p := range pkgs {
		if p.Module != nil && p.Module.Main {
			root = p.Module.Dir
			break
		}
	}
	var recs []Generated
	if root != "" {
		var err error
		if recs, err = GenerateRecords(root); err != nil {
			return "", fmt.Errorf("look for //go:generate lines under %s: %w", root, err)
		}
	}
	// recorded adds the catalogues the records generate into dir, that exist.
	recorded := func(dir string, into map[string]bool) {
		abs, err := filepath.Abs(dir)
		if err != nil {
			return
		}
		for _, g := range recs {
			if g.Dir != abs {
				continue
			}
			if _, err := os.Stat(g.Catalogue); err == nil {
				into[g.Catalogue] = true
			}
		}
	}
	imported := map[string]bool{}
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		if len(p.GoFiles) == 0 {
			return
		}
		dir := filepath.Dir(p.GoFiles[0])
		if isCatalogueDir(dir) {
			imported[filepath.Join(dir, CatalogueFile)] = true
		} else if _, err := os.Stat(filepath.Join(dir, codegen.GoFile)); err == nil {
			recorded(dir, imported)
		}
	})
	if files := keys(imported); len(files) == 1 {
		return files[0], nil
	} else if len(files) > 1 {
		return "", fmt.Errorf("the packages import several generated catalogues (%s): pass -catalog", strings.Join(files, ", "))
	}
	if root == "" {
		return "", fmt.Errorf("no main module to look for %s in: pass -catalog", CatalogueFile)
	}
	found := map[string]bool{}
	for _, g := range recs {
		if _, err := os.Stat(filepath.Join(g.Dir, codegen.GoFile)); err == nil && !isCatalogueDir(g.Dir) {
			recorded(g.Dir, found)
		}
	}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		name := d.Name()
		if path != root {
			if name == "testdata" || name == "vendor" || strings.HasPrefix(name, ".") || strings.HasPrefix(name, "_") {
				return filepath.SkipDir
			}
			if _, err := os.Stat(filepath.Join(path, "go.mod")); err == nil {
				return filepath.SkipDir // another module
			}
		}
		if isCatalogueDir(path) {
			found[filepath.Join(path, CatalogueFile)] = true
		}
		return nil
	})
	if err != nil {
		return "", fmt.Errorf("look for %s under %s: %w", CatalogueFile, root, err)
	}
	switch files := keys(found); len(files) {
	case 0:
		return "", fmt.Errorf("no %s with its generated %s beside it in %s, nor a //go:generate line that generates one elsewhere (instrumentgen -o DIR FILE): generate the catalogue first (go generate), or pass -catalog FILE (and -generated DIR when its package is elsewhere)", CatalogueFile, codegen.GoFile, root)
	case 1:
		return files[0], nil
	default:
		return "", fmt.Errorf("several catalogues in %s (%s): pass -catalog", root, strings.Join(files, ", "))
	}
}

func isCatalogueDir(dir string) bool {
	for _, f := range []string{CatalogueFile, codegen.GoFile} {
		if _, err := os.Stat(filepath.Join(dir, f)); err != nil {
			return false
		}
	}
	return true
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TargetFor is the generated package of cat: the one beside the catalogue, else the one a
// //go:generate line of its module generates from it with -o (generatedDir); its import path
// and name, as the go command reports them.
func TargetFor(cat *catalog.Catalog, env []string) (*Target, error) {
	dir, err := generatedDir(cat.File)
	if err != nil {
		return nil, err
	}
	return TargetIn(cat, dir, env)
}

// TargetIn is the package generated from cat in dir (instrumentgen -o DIR).
func TargetIn(cat *catalog.Catalog, dir string, env []string) (*Target, error) {
	if _, err := os.Stat(filepath.Join(dir, codegen.GoFile)); err != nil {
		return nil, fmt.Errorf("%s: no %s in %s: generate the package there first (instrumentgen -o %s %s)", cat.File, codegen.GoFile, dir, dir, cat.File)
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	pkgs, err := packages.Load(&packages.Config{Mode: packages.NeedName, Dir: abs, Env: env}, ".")
	if err != nil {
		return nil, fmt.Errorf("%s: the generated package: %w", cat.File, err)
	}
	if len(pkgs) != 1 || pkgs[0].PkgPath == "" || pkgs[0].Name == "" {
		return nil, fmt.Errorf("%s: the go command finds no package in %s", cat.File, dir)
	}
	for _, e := range pkgs[0].Errors {
		return nil, fmt.Errorf("%s: the generated package: %v", cat.File, e)
	}
	t := &Target{Catalog: cat, Path: pkgs[0].PkgPath, Name: pkgs[0].Name, Dir: abs}
	return t, t.check()
}

// EnsureSupportFile writes SupportFile into the target's directory unless the package declares
// Default already; it returns the file written, or "". A file of that name in the way, which
// declares no Default, is an error: it is never overwritten.
func EnsureSupportFile(t *Target) (string, error) {
	dir := t.Dir
	if dir == "" {
		dir = filepath.Dir(t.Catalog.File)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", err
	}
	decl := "\nvar " + defaultVar + " "
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), ".go") || strings.HasSuffix(e.Name(), "_test.go") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			return "", err
		}
		if strings.Contains(string(data), decl) {
			return "", nil
		}
	}
	path := filepath.Join(dir, SupportFileName)
	if _, err := os.Stat(path); err == nil {
		return "", fmt.Errorf("%s exists and declares no %s: move it, or declare %s and %s yourself (docs/migrating.md)", path, defaultVar, defaultVar, setDefaultFunc)
	}
	return path, os.WriteFile(path, SupportFile(t.Name), 0o644)
}
