package migrate

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/analysis"

	"github.com/telediag/telediag/internal/codegen"
)

// Doc is the analyzer's documentation.
const Doc = `rewrite client_golang metrics into a generated catalogue's instruments

migrate finds the client_golang metrics the catalogue declares (matched by their exposed name)
and rewrites their definitions into the catalogue's package-level Default, the calls on them
into Add, Record and Bind with the labels in the catalogue's order, the types that carry them,
and the registry and promhttp wiring into telemetry.New and tel.Handler(). What it cannot
rewrite it reports with the reason, and it leaves that metric whole on client_golang.`

// New returns the analyzer that rewrites code for target. plan, when not nil, is NewPlan's
// decision over every package the driver analyses; without it each package is planned alone,
// so that a metric passed in from another package is not followed.
func New(target *Target, plan *Plan) (*analysis.Analyzer, error) {
	if err := target.check(); err != nil {
		return nil, err
	}
	return &analysis.Analyzer{
		Name: "migrate",
		Doc:  Doc,
		URL:  "https://github.com/telediag/telediag/blob/main/docs/migrating.md",
		Run: func(pass *analysis.Pass) (any, error) {
			u := &unit{fset: pass.Fset, files: written(pass.Files), info: pass.TypesInfo, pkg: pass.Pkg}
			p := plan
			if p == nil {
				p = newPlan(target, []*unit{u})
			}
			ev := collect(u, target)
			for call, d := range ev.defCalls {
				// The plan's definitions carry its decisions; this walk's are fresh copies.
				if pd := p.defs[d.key]; pd != nil {
					ev.defCalls[call] = pd
				}
			}
			r := &renderer{pass: pass, u: u, plan: p, target: target, ev: ev,
				imports: map[*ast.File]map[string]string{}, consumed: map[*ast.CallExpr]bool{}}
			r.run()
			return nil, nil
		},
	}, nil
}

// renderer turns a plan into one package's diagnostics and edits.
type renderer struct {
	pass   *analysis.Pass
	u      *unit
	plan   *Plan
	target *Target
	ev     *events
	diags  []analysis.Diagnostic
	// imports are the imports each file needs added: path → name.
	imports map[*ast.File]map[string]string
	// consumed are definitions rewritten as part of a larger edit.
	consumed map[*ast.CallExpr]bool
	// removedUses are identifiers whose uses an edit removes, for the registries.
	removedUses map[*ast.Ident]bool
	// setupIn are the main functions that get the pipeline's setup, with the name of its variable.
	setupIn map[*ast.FuncDecl]string
	// telUsed are the pipelines whose handler a rewrite serves.
	telUsed map[string]bool
}

func (r *renderer) run() {
	r.removedUses = map[*ast.Ident]bool{}
	r.setupIn = map[*ast.FuncDecl]string{}
	r.telUsed = map[string]bool{}
	r.methods()
	r.deletes()
	r.timers()
	r.binds()
	r.defs()
	r.types()
	r.derefs()
	r.registrations()
	r.unregistrations()
	r.mains()
	r.handlers()
	for fd, tel := range r.setupIn {
		if !r.telUsed[tel] {
			r.report(fd.Name.Pos(), fd.Name.End(), fmt.Sprintf("main's pipeline serves its /metrics nowhere yet: mount %s.Handler() where client_golang's handler was served (router.Install, or http.Handle)", tel))
		}
	}
	r.gathered()
	r.notes()
	r.flush()
}

// fileOf is the file of pos.
func (r *renderer) fileOf(pos token.Pos) *ast.File {
	for _, f := range r.u.files {
		if f.FileStart <= pos && pos <= f.FileEnd {
			return f
		}
	}
	return nil
}

// CategoryDropped is the Category of a rewrite that drops something the code said and the
// catalogue does not carry (a native histogram's options, when its entry declares no native:):
// migrate -fix, which prints no rewrite, still prints these.
const CategoryDropped = "dropped"

// report adds a diagnostic at node, with a fix of edits when there are any.
func (r *renderer) report(pos, end token.Pos, msg string, edits ...analysis.TextEdit) {
	d := analysis.Diagnostic{Pos: pos, End: end, Message: msg}
	if len(edits) > 0 {
		d.SuggestedFixes = []analysis.SuggestedFix{{Message: "migrate to the generated instruments", TextEdits: edits}}
	}
	r.diags = append(r.diags, d)
}

// replace reports the rewrite of n into text.
func (r *renderer) replace(n ast.Node, what, text string) {
	r.report(n.Pos(), n.End(), fmt.Sprintf("%s becomes %s", what, oneLine(text)),
		analysis.TextEdit{Pos: n.Pos(), End: n.End(), NewText: []byte(text)})
}

// qual is the name the file of pos uses for the package at path, importing it as name when it
// does not yet.
func (r *renderer) qual(pos token.Pos, path, name string) string {
	f := r.fileOf(pos)
	if f == nil {
		return name
	}
	for _, spec := range f.Imports {
		if p, _ := strconv.Unquote(spec.Path.Value); p == path {
			if spec.Name != nil {
				return spec.Name.Name
			}
			if pn, ok := r.pass.TypesInfo.Implicits[spec].(*types.PkgName); ok {
				return pn.Name()
			}
			return name
		}
	}
	if r.imports[f] == nil {
		r.imports[f] = map[string]string{}
	}
	if n, ok := r.imports[f][path]; ok {
		return n
	}
	use := name
	if r.nameTaken(f, name) {
		use = name + "pkg"
	}
	r.imports[f][path] = use
	return use
}

// nameTaken reports whether name is declared in f's package or imported by f.
func (r *renderer) nameTaken(f *ast.File, name string) bool {
	if r.pass.Pkg.Scope().Lookup(name) != nil {
		return true
	}
	if fs := r.pass.TypesInfo.Scopes[f]; fs != nil && fs.Lookup(name) != nil {
		return true
	}
	return false
}

// cat is the generated package's qualifier in the file of pos.
func (r *renderer) cat(pos token.Pos) string { return r.qual(pos, r.target.Path, r.target.Name) }

// oneVal returns the one rewritten metric e holds, or false.
func (r *renderer) oneVal(e ast.Expr) (val, bool) {
	return one(r.plan.valuesOf(r.u, e))
}

// render is e's text after the rewrite: a definition becomes its instrument.
func (r *renderer) render(e ast.Expr) string {
	if st, ok := ast.Unparen(e).(*ast.StarExpr); ok {
		// A vector by value, *vec: vec, a pointer to the instrument, takes its place.
		if v, ok := r.oneVal(st.X); ok && !v.child {
			return r.render(st.X)
		}
	}
	if call, ok := ast.Unparen(e).(*ast.CallExpr); ok {
		if d := r.ev.defCalls[call]; d != nil && d.ok() {
			r.consumed[call] = true
			return r.defText(call.Pos(), d)
		}
	}
	return exprText(r.u.fset, e)
}

// defText is what a definition becomes: a pointer into the package's Default.
func (r *renderer) defText(pos token.Pos, d *def) string {
	return "&" + r.cat(pos) + "." + defaultVar + "." + codegen.MetricType(d.metric)
}

// methodName is the generated method that records into d's metric.
func methodName(d *def) string {
	switch d.metric.Kind {
	case "counter", "updowncounter":
		return "Add"
	}
	return "Record"
}

// labelsText is the label arguments of a call on d, in the catalogue's order: from the values
// a WithLabelValues or With gave (by name), and from the constant labels.
func (r *renderer) labelsText(pos token.Pos, d *def, given map[string]labelArg) string {
	byName := map[string]string{}
	for k, a := range given {
		text := exprText(r.u.fset, a.expr)
		if l := labelOf(d, k); l != nil && len(l.Enum) > 0 && !a.constant {
			// A string variable becomes the enum's type; the value recorded is the same.
			text = r.cat(pos) + "." + codegen.EnumType(l) + "(" + text + ")"
		}
		byName[k] = text
	}
	var b strings.Builder
	for _, a := range d.labelArgs(byName) {
		b.WriteString(", ")
		b.WriteString(a)
	}
	return b.String()
}

// methods rewrites Inc, Add, Observe… into the generated Add and Record.
func (r *renderer) methods() {
	for _, m := range r.ev.methods {
		v, ok := r.oneVal(m.recv)
		if !ok {
			continue
		}
		d := v.d
		pos := m.call.Pos()
		var value string
		isInt := d.metric.ValueType == "int"
		switch m.method {
		case "Inc":
			value = "1"
		case "Dec":
			value = "-1"
		case "SetToCurrentTime":
			value = "float64(" + r.qual(pos, "time", "time") + ".Now().UnixNano()) / 1e9"
		default:
			if len(m.call.Args) != 1 {
				continue
			}
			value, ok = valueText(r.u, m.call.Args[0], isInt, m.method == "Sub")
			if !ok {
				continue
			}
		}
		ctx := r.ctxAt(pos)
		var text string
		if call, isCall := ast.Unparen(m.recv).(*ast.CallExpr); isCall && childCall(r.u.info, call) != nil {
			vec := childCall(r.u.info, call)
			given, reason := r.plan.labelValues(r.u, call, d)
			if reason != "" {
				continue
			}
			text = fmt.Sprintf("%s.%s(%s, %s%s)", r.render(vec), methodName(d), ctx, value, r.labelsText(pos, d, given))
		} else if v.child {
			text = fmt.Sprintf("%s.%s(%s, %s)", r.render(m.recv), methodName(d), ctx, value)
		} else {
			text = fmt.Sprintf("%s.%s(%s, %s%s)", r.render(m.recv), methodName(d), ctx, value, r.labelsText(pos, d, nil))
		}
		r.replace(m.call, d.name+": "+m.method, text)
	}
}

// deletes rewrites DeleteLabelValues, Delete, DeletePartialMatch and Reset into the generated
// instrument's Delete, DeletePartialMatch and Reset, whose results are client_golang's (bool,
// int, none). Delete's label values move to the catalogue's order as WithLabelValues' do, under
// the same check that their calls run in the order they did (Plan.orderKept).
func (r *renderer) deletes() {
	for _, m := range r.ev.deletes {
		v, ok := r.oneVal(m.recv)
		if !ok || v.child {
			continue
		}
		d := v.d
		pos := m.call.Pos()
		var text string
		switch m.method {
		case "DeleteLabelValues", "Delete":
			given, reason := r.plan.labelValues(r.u, m.call, d)
			if reason != "" {
				continue
			}
			text = fmt.Sprintf("%s.Delete(%s)", r.render(m.recv), strings.TrimPrefix(r.labelsText(pos, d, given), ", "))
		case "DeletePartialMatch":
			if len(m.call.Args) != 1 {
				continue
			}
			arg := ast.Unparen(m.call.Args[0])
			var labels string
			if lit, ok := arg.(*ast.CompositeLit); ok && lit.Type != nil {
				// The literal as it is, as a map[string]string: its keys and values run in
				// the order they did, and client_golang's import can go.
				bare := *lit
				bare.Type = nil
				labels = "map[string]string" + exprText(r.u.fset, &bare)
			} else {
				labels = "map[string]string(" + exprText(r.u.fset, arg) + ")"
			}
			text = fmt.Sprintf("%s.DeletePartialMatch(%s)", r.render(m.recv), labels)
		case "Reset":
			text = r.render(m.recv) + ".Reset()"
		default:
			continue
		}
		r.replace(m.call, d.name+": "+m.method, text)
	}
}

// binds rewrites kept children into Bind.
func (r *renderer) binds() {
	for _, b := range r.ev.binds {
		v, ok := r.oneVal(b.call)
		if !ok || b.pkgLevel {
			continue
		}
		given, reason := r.plan.labelValues(r.u, b.call, v.d)
		if reason != "" {
			continue
		}
		vec := childCall(r.u.info, b.call)
		text := fmt.Sprintf("%s.Bind(%s)", r.render(vec), strings.TrimPrefix(r.labelsText(b.call.Pos(), v.d, given), ", "))
		r.replace(b.call, v.d.name+": a kept child", text)
	}
}

// defs rewrites the definitions, and reports those that stay.
func (r *renderer) defs() {
	for call, d := range r.ev.defCalls {
		if !d.ok() {
			r.report(call.Pos(), call.End(), fmt.Sprintf("%s: %s stays on client_golang: %s", nameOr(d), d.call, d.refused))
			continue
		}
		if r.consumed[call] || r.inRegistration(call) {
			continue
		}
		for _, a := range call.Args {
			ast.Inspect(a, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok {
					r.removedUses[id] = true
				}
				return true
			})
		}
		if sel, ok := ast.Unparen(call.Fun).(*ast.SelectorExpr); ok {
			// promauto.With(reg).NewCounter(…): reg's use goes with the definition.
			ast.Inspect(sel.X, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok {
					r.removedUses[id] = true
				}
				return true
			})
		}
		text := r.defText(call.Pos(), d)
		if len(d.native) == 0 || d.metric != nil && d.metric.Native != nil {
			// A native histogram whose entry declares native: keeps its native buckets: the
			// generated constructor declares them (import writes native: from these options).
			r.replace(call, d.name+": "+d.call, text)
			continue
		}
		// The rewrite drops them: say so where it happens, since the service stops serving a
		// native histogram a Prometheus may have scraped.
		verb := "are"
		if len(d.native) == 1 {
			verb = "is"
		}
		r.report(call.Pos(), call.End(), fmt.Sprintf("%s: %s becomes %s; %s %s not carried: the catalogue's entry declares no native:, so only the classic buckets are served; declare native: there to keep the native histogram, as instrumentgen import writes it from these options",
			d.name, d.call, oneLine(text), strings.Join(d.native, ", "), verb),
			analysis.TextEdit{Pos: call.Pos(), End: call.End(), NewText: []byte(text)})
		r.diags[len(r.diags)-1].Category = CategoryDropped
	}
}

// gathered reports, in a package that reads a client_golang registry (Gather), each string
// that names a migrated metric: a test that looks the metric up in what the registry gathers
// (statsd_exporter's relay test) builds after the rewrite and finds nothing, since the metric
// has left the registry. The fixer cannot rewrite such a read; it says where it is.
func (r *renderer) gathered() {
	if len(r.ev.gathers) == 0 {
		return
	}
	// The catalogue's families, but those a definition keeps on client_golang: before the
	// rewrite and after it (when no definition is left to say which the code had), the names
	// that no client_golang registry of the program serves.
	migrated := map[string]bool{}
	for _, m := range r.target.Catalog.Metrics {
		if m.Generated() { // a provided_by family is a collector's, served as it was
			migrated[m.Name] = true
		}
	}
	for _, d := range r.plan.defs {
		if !d.ok() {
			delete(migrated, d.name)
		}
	}
	g := r.ev.gathers[0]
	for _, lit := range r.ev.names {
		name, err := strconv.Unquote(lit.Value)
		if err != nil || !migrated[name] {
			continue
		}
		r.report(lit.Pos(), lit.End(), fmt.Sprintf("%s is looked up by name where the package reads a client_golang registry (%s at %s), which the migrated metric leaves: read it from the generated instruments through an OTel reader (instrumenttest.Collect) instead",
			name, exprText(r.u.fset, g.Fun), where(r.u.fset, g.Pos())))
	}
}

// inRegistration reports whether call is an argument of a registration, which registrations
// removes with it.
func (r *renderer) inRegistration(call *ast.CallExpr) bool {
	for _, reg := range r.ev.regs {
		if ast.Unparen(reg.arg) == call {
			return true
		}
	}
	return false
}

func nameOr(d *def) string {
	if d.name != "" {
		return d.name
	}
	return "a metric"
}

// types rewrites the declared types of the variables that carry a rewritten metric.
func (r *renderer) types() {
	for _, g := range r.ev.groups {
		// Each variable's new type, "" for one that holds no metric and keeps its type.
		typs := make([]string, len(g.keys))
		var names []string
		ok := true
		for i, k := range g.keys {
			s := r.plan.slots[k]
			if s == nil || len(s.vals) == 0 {
				continue
			}
			v, clean := s.clean()
			if !clean {
				ok = false
				break
			}
			typs[i] = r.typeText(g.typ.Pos(), v)
			if !slices.Contains(names, v.d.name) {
				names = append(names, v.d.name)
			}
		}
		if !ok || len(names) == 0 {
			continue
		}
		if !slices.Contains(typs, "") && !slices.ContainsFunc(typs, func(t string) bool { return t != typs[0] }) {
			r.replace(g.typ, names[0]+": the type "+exprText(r.u.fset, g.typ), typs[0])
			continue
		}
		if g.field == nil || len(g.field.Names) != len(typs) {
			continue // the plan refused its metrics
		}
		// a, b T holding different metrics: one declaration each.
		old := exprText(r.u.fset, g.typ)
		parts := make([]string, len(typs))
		for i, t := range typs {
			if t == "" {
				t = old
			}
			parts[i] = g.field.Names[i].Name + " " + t
		}
		sep := ", "
		if g.inStruct {
			sep = "\n"
		}
		text := strings.Join(parts, sep)
		var vars []string
		for _, n := range g.field.Names {
			vars = append(vars, n.Name)
		}
		r.report(g.field.Pos(), g.field.End(), fmt.Sprintf("%s: %s %s becomes one declaration each, %s", strings.Join(names, ", "), strings.Join(vars, ", "), old, oneLine(strings.Join(parts, ", "))),
			analysis.TextEdit{Pos: g.field.Names[0].Pos(), End: g.field.Type.End(), NewText: []byte(text)})
	}
}

// typeText is the generated type that takes v's place: a pointer to the metric's instrument
// (a vector kept by value as well: client_golang's copies share one vector, and pointers share
// one instrument), or the bound instrument for a child.
func (r *renderer) typeText(pos token.Pos, v val) string {
	if v.child {
		return r.cat(pos) + "." + codegen.MetricType(v.d.metric) + "Bound"
	}
	return "*" + r.cat(pos) + "." + codegen.MetricType(v.d.metric)
}

// derefs rewrites *vec, where vec points to a vector kept by value, into vec: the value
// becomes a pointer to the instrument.
func (r *renderer) derefs() {
	for _, st := range r.ev.derefs {
		v, ok := r.oneVal(st.X)
		if !ok || v.child {
			continue
		}
		r.replace(st, v.d.name+": the vector by value *"+exprText(r.u.fset, st.X), r.render(st.X))
	}
}

// unregistrations removes the Unregister calls of rewritten metrics: the generated
// instruments are not registered.
func (r *renderer) unregistrations() {
	for _, u := range r.ev.unregs {
		v, ok := r.oneVal(u.arg)
		if !ok || v.child || !u.stmt {
			continue
		}
		st := r.ev.stmtOf[u.call]
		if st == nil {
			continue
		}
		edit, ok := r.deleteStmt(st)
		if !ok {
			continue
		}
		r.report(u.call.Pos(), u.call.End(), fmt.Sprintf("the unregistration of %s goes: the generated instruments are not registered", v.d.name), edit)
	}
}

// flush reports the diagnostics, the file-level edits (imports) riding on each file's first fix.
func (r *renderer) flush() {
	sort.SliceStable(r.diags, func(i, j int) bool { return r.diags[i].Pos < r.diags[j].Pos })
	done := map[*ast.File]bool{}
	for i := range r.diags {
		d := &r.diags[i]
		if len(d.SuggestedFixes) == 0 {
			continue
		}
		f := r.fileOf(d.Pos)
		if f == nil || done[f] {
			continue
		}
		done[f] = true
		if edit, ok := r.importEdit(f); ok {
			d.SuggestedFixes[0].TextEdits = append(d.SuggestedFixes[0].TextEdits, edit)
		}
	}
	for _, d := range r.diags {
		r.pass.Report(d)
	}
}

// importEdit adds the imports f needs, the standard library's at the top of its first group
// and the others at the end of its last, where gofmt sorts each group.
func (r *renderer) importEdit(f *ast.File) (analysis.TextEdit, bool) {
	imps := r.imports[f]
	if len(imps) == 0 {
		return analysis.TextEdit{}, false
	}
	paths := make([]string, 0, len(imps))
	for p := range imps {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	spec := func(p string) string {
		if n := imps[p]; n != lastElem(p) && n != "" {
			return n + " " + strconv.Quote(p)
		}
		return strconv.Quote(p)
	}
	var decl *ast.GenDecl
	for _, d := range f.Decls {
		if g, ok := d.(*ast.GenDecl); ok && g.Tok == token.IMPORT {
			decl = g
		}
	}
	var b strings.Builder
	switch {
	case decl == nil:
		b.WriteString("\n\nimport (\n")
		for _, p := range paths {
			b.WriteString("\t" + spec(p) + "\n")
		}
		b.WriteString(")")
		return analysis.TextEdit{Pos: f.Name.End(), End: f.Name.End(), NewText: []byte(b.String())}, true
	case !decl.Lparen.IsValid():
		for _, p := range paths {
			b.WriteString("\nimport " + spec(p))
		}
		return analysis.TextEdit{Pos: decl.End(), End: decl.End(), NewText: []byte(b.String())}, true
	}
	var std, other []string
	for _, p := range paths {
		if strings.Contains(strings.SplitN(p, "/", 2)[0], ".") {
			other = append(other, p)
		} else {
			std = append(std, p)
		}
	}
	// One edit: the standard library's after the parenthesis, the others before the closing one,
	// in a group of their own when the block holds the standard library's only.
	for _, p := range std {
		b.WriteString("\n\t" + spec(p))
	}
	if len(other) == 0 {
		return analysis.TextEdit{Pos: decl.Lparen + 1, End: decl.Lparen + 1, NewText: []byte(b.String())}, true
	}
	start, end := decl.Lparen+1, decl.Rparen
	// Keep what the block holds between the two insertions by rewriting it as it is.
	src, err := r.pass.ReadFile(r.u.fset.File(f.Pos()).Name())
	if err != nil {
		return analysis.TextEdit{}, false
	}
	tf := r.u.fset.File(f.Pos())
	inner := strings.TrimRight(string(src[tf.Offset(start):tf.Offset(end)]), " \t\n")
	b.WriteString(inner)
	if !slices.ContainsFunc(f.Imports, func(spec *ast.ImportSpec) bool {
		p, _ := strconv.Unquote(spec.Path.Value)
		return strings.Contains(strings.SplitN(p, "/", 2)[0], ".")
	}) {
		b.WriteString("\n")
	}
	for _, p := range other {
		b.WriteString("\n\t" + spec(p))
	}
	b.WriteString("\n")
	return analysis.TextEdit{Pos: start, End: end, NewText: []byte(b.String())}, true
}

func lastElem(path string) string {
	if i := strings.LastIndex(path, "/"); i >= 0 {
		return path[i+1:]
	}
	return path
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 160 {
		s = s[:157] + "..."
	}
	return s
}
