package main

import (
	"fmt"
	"strings"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/livecheck"
)

// globFlags is a repeatable flag of family-name globs (live-check's -enable and -disable, the
// operator's switches the pipeline mirrors): each use adds a catalog.Glob, checked as the flag
// is parsed so that a bad one is a usage error naming the flag.
type globFlags []catalog.Glob

// String lists the globs as given, for the flag package's defaults.
func (g *globFlags) String() string {
	if g == nil {
		return ""
	}
	parts := make([]string, len(*g))
	for i, glob := range *g {
		parts[i] = glob.String()
	}
	return strings.Join(parts, ", ")
}

// Set adds one glob.
func (g *globFlags) Set(expr string) error {
	glob, err := catalog.CompileGlob(expr)
	if err != nil {
		return err
	}
	*g = append(*g, glob)
	return nil
}

// budgetLine says how much of its series budget one family uses, located at its declaration.
func budgetLine(file string, b livecheck.Budget) string {
	served := ""
	if b.Served != b.Family {
		served = " (served as " + b.Served + ")"
	}
	overflow := ""
	if b.Overflow {
		overflow = ", and an overflow series"
	}
	return fmt.Sprintf("%s:%d: budget %s%s: %d of %d series (%d %%)%s", file, b.Line, b.Family, served, b.Series, b.MaxSeries, b.Percent(), overflow)
}
