package migrate

import (
	"fmt"
	"strings"

	"golang.org/x/tools/go/packages"
)

// LoadMode is what the fixer needs of the packages it rewrites and of their dependencies: the
// syntax of all, so that the plan follows a metric through every package given and the
// checker's analysis of one package sees the others' facts.
const LoadMode = packages.NeedName | packages.NeedFiles | packages.NeedCompiledGoFiles | packages.NeedImports |
	packages.NeedTypes | packages.NeedTypesSizes | packages.NeedSyntax | packages.NeedTypesInfo |
	packages.NeedDeps | packages.NeedModule

// Load loads the packages of patterns in dir, their tests included, with env added to the
// process's environment. It fails on a package that does not load or type-check: the fixer
// reads types, and a rewrite of code that does not build cannot be checked.
func Load(dir string, env []string, patterns ...string) ([]*packages.Package, error) {
	cfg := &packages.Config{Mode: LoadMode, Dir: dir, Tests: true, Env: env}
	pkgs, err := packages.Load(cfg, patterns...)
	if err != nil {
		return nil, fmt.Errorf("load %v: %w", patterns, err)
	}
	if len(pkgs) == 0 {
		return nil, fmt.Errorf("no package matches %v", patterns)
	}
	var errs []string
	packages.Visit(pkgs, nil, func(p *packages.Package) {
		for _, e := range p.Errors {
			errs = append(errs, e.Error())
		}
	})
	// The test binaries' generated main packages are the go command's, not the code's.
	kept := pkgs[:0]
	for _, p := range pkgs {
		if !(p.Name == "main" && strings.HasSuffix(p.ID, ".test")) {
			kept = append(kept, p)
		}
	}
	pkgs = kept
	if len(errs) > 0 {
		if len(errs) > 10 {
			errs = append(errs[:10], fmt.Sprintf("and %d more", len(errs)-10))
		}
		return nil, fmt.Errorf("the packages do not build, so they cannot be rewritten:\n%s", join(errs))
	}
	return pkgs, nil
}

func join(lines []string) string {
	out := ""
	for i, l := range lines {
		if i > 0 {
			out += "\n"
		}
		out += "\t" + l
	}
	return out
}
