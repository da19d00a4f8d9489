package catalog

import (
	"fmt"
	"strings"
)

// The UCUM subset metric units use (the OTel semantic conventions' choice): a unit is "1", an
// annotation such as {request}, or terms joined by "/", where a term is an atom with an optional
// prefix and an optional annotation. Full UCUM has hundreds of atoms; these are the ones a
// diagnostics catalogue needs, and anything else is more likely a typo (ms for s, b for By)
// than a real unit.
var (
	// prefixableAtoms take SI (and, for By and bit, binary) prefixes.
	prefixableAtoms = map[string]bool{"s": true, "By": true, "bit": true, "Hz": true, "m": true, "g": true, "W": true, "J": true, "V": true, "A": true}
	// plainAtoms take no prefix.
	plainAtoms  = map[string]bool{"1": true, "%": true, "min": true, "h": true, "d": true, "Cel": true, "K": true}
	siPrefixes  = []string{"k", "M", "G", "T", "P", "m", "u", "n", "p"}
	binPrefixes = []string{"Ki", "Mi", "Gi", "Ti", "Pi"}
)

// ValidateUnit reports whether u is a UCUM unit of the subset metrics use, such as s, ms, By,
// KiBy, 1, %, {request} or By/s.
func ValidateUnit(u string) error {
	if u == "" {
		return fmt.Errorf("unit is empty: use \"1\" for a dimensionless value or an annotation such as {request}")
	}
	for _, term := range strings.Split(u, "/") {
		if err := validateTerm(term); err != nil {
			return fmt.Errorf("invalid unit %q: %v (examples: s, ms, By, 1, %%, {request}, By/s)", u, err)
		}
	}
	return nil
}

func validateTerm(t string) error {
	if t == "" {
		return fmt.Errorf("empty term")
	}
	if i := strings.IndexByte(t, '{'); i >= 0 {
		if !strings.HasSuffix(t, "}") {
			return fmt.Errorf("annotation %q is not closed by }", t[i:])
		}
		ann := t[i+1 : len(t)-1]
		if ann == "" {
			return fmt.Errorf("annotation {} is empty")
		}
		for _, r := range ann {
			if r < '!' || r > '~' || r == '{' || r == '}' {
				return fmt.Errorf("annotation {%s} may hold only printable ASCII without spaces or braces", ann)
			}
		}
		t = t[:i]
		if t == "" {
			return nil // a bare annotation stands for "1"
		}
	}
	if plainAtoms[t] || prefixableAtoms[t] {
		return nil
	}
	for _, prefixes := range [][]string{siPrefixes, binPrefixes} {
		for _, p := range prefixes {
			atom, ok := strings.CutPrefix(t, p)
			if !ok || !prefixableAtoms[atom] {
				continue
			}
			if len(p) == 2 && atom != "By" && atom != "bit" {
				return fmt.Errorf("binary prefix %s applies only to By and bit", p)
			}
			return nil
		}
	}
	return fmt.Errorf("%q is not a known UCUM unit", t)
}
