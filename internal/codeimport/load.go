package codeimport

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"golang.org/x/tools/go/packages"
)

// loadMode is what the analysis reads: the syntax and full type information of the packages the
// patterns match; their dependencies come from export data, so client_golang itself is not
// parsed.
const loadMode = packages.NeedName | packages.NeedFiles | packages.NeedSyntax |
	packages.NeedTypes | packages.NeedTypesInfo | packages.NeedImports

// maxLoadErrors bounds the errors a failed load lists: the first ones name the problem.
const maxLoadErrors = 10

// Load loads the Go packages patterns match and finds the metric families they define. A
// relative pattern is read from dir (the current directory when empty), and each pattern is
// loaded in the module its directory belongs to, as `go list` run there would: a service's
// directory named from elsewhere loads with the service's go.mod, not the caller's. Positions
// in notes are relative to dir.
//
// Packages that do not compile are an error, listing the compiler's errors at FILE:LINE: a
// family's kind and labels are read from the types, which such a package does not have.
func Load(ctx context.Context, dir string, patterns []string) (*Code, error) {
	if len(patterns) == 0 {
		return nil, errors.New("codeimport: no package pattern to load")
	}
	if dir == "" {
		wd, err := os.Getwd()
		if err != nil {
			return nil, fmt.Errorf("codeimport: the current directory: %w", err)
		}
		dir = wd
	}
	if abs, err := filepath.Abs(dir); err == nil {
		dir = abs
	}
	groups, err := groupByModule(dir, patterns)
	if err != nil {
		return nil, err
	}
	var codes []*Code
	for _, g := range groups {
		cfg := &packages.Config{Context: ctx, Mode: loadMode, Dir: g.dir}
		pkgs, err := packages.Load(cfg, g.patterns...)
		if err != nil {
			return nil, fmt.Errorf("codeimport: load %s in %s: %w", strings.Join(g.patterns, " "), g.dir, err)
		}
		if err := loadErrors(pkgs, dir); err != nil {
			return nil, err
		}
		if len(pkgs) == 0 {
			return nil, fmt.Errorf("codeimport: %s in %s matched no package", strings.Join(g.patterns, " "), g.dir)
		}
		codes = append(codes, Analyze(pkgs, dir))
	}
	code := merge(codes)
	code.Patterns = slices.Clone(patterns)
	return code, nil
}

// loadGroup is the patterns loaded together, in the module directory they belong to.
type loadGroup struct {
	dir      string
	patterns []string
}

// groupByModule finds the module of each pattern's directory and rewrites the pattern relative
// to the module's root; patterns of one module are loaded together, so that a metric defined in
// one package and used in another is one types.Object. A pattern that names no directory (an
// import path) is loaded in dir's module as it is.
func groupByModule(dir string, patterns []string) ([]loadGroup, error) {
	var groups []loadGroup
	add := func(root, pattern string) {
		for i := range groups {
			if groups[i].dir == root {
				groups[i].patterns = append(groups[i].patterns, pattern)
				return
			}
		}
		groups = append(groups, loadGroup{dir: root, patterns: []string{pattern}})
	}
	for _, p := range patterns {
		base, suffix := p, ""
		if b, ok := strings.CutSuffix(p, "/..."); ok {
			base, suffix = b, "/..."
		} else if p == "..." {
			base, suffix = ".", "/..."
		}
		if !isPath(base) {
			add(dir, p)
			continue
		}
		abs := base
		if !filepath.IsAbs(abs) {
			abs = filepath.Join(dir, base)
		}
		info, err := os.Stat(abs)
		if err != nil {
			return nil, fmt.Errorf("codeimport: package pattern %q: %w", p, unwrapPath(err))
		}
		pkgDir := abs
		if !info.IsDir() {
			if suffix != "" || !strings.HasSuffix(abs, ".go") {
				return nil, fmt.Errorf("codeimport: package pattern %q: %s is a file, not a package directory or a .go file", p, base)
			}
			pkgDir = filepath.Dir(abs)
		}
		root := moduleRoot(pkgDir)
		if root == "" {
			add(dir, p)
			continue
		}
		rel, err := filepath.Rel(root, abs)
		if err != nil {
			return nil, fmt.Errorf("codeimport: package pattern %q: %w", p, err)
		}
		if rel == "." {
			add(root, "."+suffix)
		} else {
			add(root, "./"+filepath.ToSlash(rel)+suffix)
		}
	}
	return groups, nil
}

// isPath reports whether a pattern's base names a directory or file rather than an import path,
// as the go command tells them apart.
func isPath(base string) bool {
	return base == "." || base == ".." || filepath.IsAbs(base) ||
		strings.HasPrefix(base, "./") || strings.HasPrefix(base, "../") ||
		strings.HasSuffix(base, ".go") || dirExists(base)
}

func dirExists(p string) bool {
	info, err := os.Stat(p)
	return err == nil && info.IsDir()
}

// moduleRoot is the directory of the go.mod that governs dir, "" when there is none.
func moduleRoot(dir string) string {
	for d := filepath.Clean(dir); ; d = filepath.Dir(d) {
		if info, err := os.Stat(filepath.Join(d, "go.mod")); err == nil && !info.IsDir() {
			return d
		}
		if filepath.Dir(d) == d {
			return ""
		}
	}
}

// unwrapPath drops an *os.PathError's "stat PATH:", which the message names already.
func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// loadErrors is every error of the load (go list's, the parser's, the type checker's) as one
// error, or nil.
func loadErrors(pkgs []*packages.Package, dir string) error {
	var lines []string
	total := 0
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			total++
			if len(lines) < maxLoadErrors {
				lines = append(lines, relPos(e.Pos, dir)+e.Msg)
			}
		}
	})
	if total == 0 {
		return nil
	}
	if total > len(lines) {
		lines = append(lines, fmt.Sprintf("and %d more", total-len(lines)))
	}
	return fmt.Errorf("codeimport: the packages cannot be loaded and type-checked, and the import reads kinds and labels from their types; fix these first:\n\t%s", strings.Join(lines, "\n\t"))
}

// relPos makes a packages.Error position ("FILE:LINE:COL" or "") relative to dir, with the ": "
// that follows it.
func relPos(pos, dir string) string {
	if pos == "" || pos == "-" {
		return ""
	}
	if filepath.IsAbs(pos) {
		if rel, err := filepath.Rel(dir, pos); err == nil {
			pos = rel
		}
	}
	return pos + ": "
}

// merge joins the codes of several loads (modules) into one; a family defined in two is kept
// once, as mergeFamilies decides.
func merge(codes []*Code) *Code {
	if len(codes) == 1 {
		return codes[0]
	}
	out := &Code{}
	var all []*Family
	for _, c := range codes {
		all = append(all, c.Families...)
		out.Notes = append(out.Notes, c.Notes...)
	}
	out.Families, out.Notes = mergeFamilies(all, out.Notes)
	sortNotes(out.Notes)
	return out
}
