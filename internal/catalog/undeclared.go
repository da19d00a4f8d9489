package catalog

import (
	"fmt"
	"regexp"

	"gopkg.in/yaml.v3"
)

// Pattern is a regular expression (RE2 syntax) matched against whole metric family names: the
// catalogue's undeclared entries, live-check's -ignore and import's -include and -exclude all
// use it, so that one pattern means the same thing in each place.
//
// It is anchored at both ends: "myexporter_.*" matches myexporter_up but not
// other_myexporter_up. A partial match is what a user of grep expects and what a family
// list never wants: "http_.*" would also take a family of the service's own called
// backend_http_requests_total.
type Pattern struct {
	expr string
	re   *regexp.Regexp
}

// CompilePattern compiles expr, an RE2 regular expression, as a Pattern. The error quotes expr
// as written, not its anchored form.
func CompilePattern(expr string) (Pattern, error) {
	if expr == "" {
		return Pattern{}, fmt.Errorf("empty pattern: it would match no family name")
	}
	// Compiled alone first so that an error names what the user wrote; anchored, the message
	// would quote ^(?:…)$ instead.
	if _, err := regexp.Compile(expr); err != nil {
		return Pattern{}, fmt.Errorf("invalid regular expression (RE2): %w", err)
	}
	re, err := regexp.Compile(`^(?:` + expr + `)$`)
	if err != nil {
		return Pattern{}, fmt.Errorf("invalid regular expression (RE2): %w", err)
	}
	return Pattern{expr: expr, re: re}, nil
}

// Match reports whether name matches the pattern as a whole. The zero Pattern matches nothing.
func (p Pattern) Match(name string) bool { return p.re != nil && p.re.MatchString(name) }

// String is the pattern as written.
func (p Pattern) String() string { return p.expr }

// Undeclared is an entry of the catalogue's undeclared list: families the service serves
// knowingly without declaring them, such as those an exporter creates at run time for what it
// scrapes, whose names the catalogue cannot know in advance. live-check does not call a
// family that matches one undeclared; a family the catalogue declares must not match one.
type Undeclared struct {
	// Pattern matches the families' whole names.
	Pattern Pattern
	// Description says why these families are not declared.
	Description string
	// Line is where the entry begins.
	Line int
}

// UndeclaredFor returns the first undeclared entry whose pattern matches name, or nil.
func (c *Catalog) UndeclaredFor(name string) *Undeclared {
	for _, u := range c.Undeclared {
		if u.Pattern.Match(name) {
			return u
		}
	}
	return nil
}

// undeclaredKeys are the keys of an undeclared entry.
var undeclaredKeys = []string{"match", "description"}

// undeclaredProblem is what a problem about the undeclared entry whose match is expr is about.
func undeclaredProblem(expr string) Problem { return Problem{Subject: SubjectUndeclared, Value: expr} }

// parseUndeclared reads the top-level undeclared list: each entry a match pattern and a
// description, the pattern compiled here so that a bad one is reported at its line instead of
// when live-check first runs.
func (p *parser) parseUndeclared(n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		p.addf(n.Line, Problem{}, ProblemSyntax, "undeclared must be a list of {match, description} entries, not a %s", kindName(n))
		return
	}
	first := map[string]int{} // pattern → line of its first entry
	for _, en := range n.Content {
		if en.Kind != yaml.MappingNode {
			p.addf(en.Line, Problem{}, ProblemSyntax, "an undeclared entry must be a mapping with match and description, not a %s", kindName(en))
			continue
		}
		about := undeclaredProblem("")
		if mn := valueOf(en, "match"); mn != nil {
			about.Value = mn.Value
		}
		f := p.fields(en, about, undeclaredKeys)
		u := &Undeclared{Line: en.Line}
		u.Description = p.description(f, en.Line, about)
		mn, ok := f["match"]
		if !ok {
			p.addf(en.Line, about, ProblemKey, "missing required key match (a regular expression for the families' whole names)")
			continue
		}
		before := len(p.problems)
		expr := p.str(mn, about, "match")
		if len(p.problems) > before {
			continue // not a string, or a control character: reported
		}
		pat, err := CompilePattern(expr)
		if err != nil {
			p.addf(mn.Line, about, ProblemValue, "match: %v", err)
			continue
		}
		if line, dup := first[expr]; dup {
			p.addf(mn.Line, about, ProblemDuplicate, "pattern repeated (first at line %d)", line)
			continue
		}
		first[expr] = en.Line
		u.Pattern = pat
		p.cat.Undeclared = append(p.cat.Undeclared, u)
	}
}

// checkUndeclaredOverlap reports every declared family that an undeclared pattern matches: a
// family is either the catalogue's promise, checked by live-check, or knowingly left out of
// it. Both at once would let live-check skip what the catalogue promises.
func (p *parser) checkUndeclaredOverlap() {
	for _, m := range p.cat.Metrics {
		if u := p.cat.UndeclaredFor(m.Name); u != nil {
			p.addf(m.Line, metricProblem(m.Name), ProblemCollision,
				"also matches the undeclared pattern %q (line %d): a family is declared or undeclared, not both; narrow the pattern so that it leaves %s out",
				u.Pattern, u.Line, m.Name)
		}
	}
}
