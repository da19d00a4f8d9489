package migrate

import (
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"golang.org/x/tools/go/packages"
)

// Plan is what the fixer decided over every package it was given: which client_golang
// definition reaches which variable, field, parameter and result, and which metrics stay on
// client_golang, and why. Build it with NewPlan; an Analyzer renders its decisions file by file.
//
// Everything is keyed by source position (FILE:LINE:COL), not by go/types objects, so that a
// Plan built from one load of the packages serves an analysis driver that loaded them again.
type Plan struct {
	target *Target
	files  map[string]bool  // the files walked: only their declarations can be rewritten
	pkgs   map[string]bool  // the import paths of the packages walked
	defs   map[string]*def  // definitions, by the call's position
	slots  map[string]*slot // variables of client_golang metric types, by their declaration
	notes  map[string][]string
	// mains lists the positions of the main functions of the packages walked.
	mains map[string]bool
	// links are pairs of variables that must take one type: an interface method's parameter
	// or result and the same one of each method that implements it.
	links [][2]string
	// keepsDefault, when set, says why client_golang's default registry stays in use after
	// the rewrite, and where: main's pipeline then serves it (telemetry.WithGatherer).
	keepsDefault string
}

// unit is one type-checked package, as a driver or go/packages gives it.
type unit struct {
	fset  *token.FileSet
	files []*ast.File
	info  *types.Info
	pkg   *types.Package
}

// val is a metric a variable may hold: a definition, whole or as a bound child.
type val struct {
	d     *def
	child bool
}

// slot is a variable (package-level, local, field, parameter or result) of a client_golang
// metric type.
type slot struct {
	key, where string
	vals       []val
	// declared: the variable is declared in a file walked, so its type can be rewritten.
	declared bool
	// unknown is where a value the fixer did not see defined reached the variable.
	unknown string
	// nilAt is where nil was given to it, which a bound child, a value type, cannot take.
	nilAt string
	// group are the variables declared with it under one type expression (a, b T).
	group []string
	// split: that declaration can be split, so the variables may take different types.
	split bool
}

func (s *slot) add(v val) bool {
	if slices.Contains(s.vals, v) {
		return false
	}
	s.vals = append(s.vals, v)
	return true
}

// same reports whether v and w take one rewrite: the same catalogue metric, as a whole or as a
// child, from definitions with the same labels in the same order (two definitions of one
// metric, say the service's and a test's, reaching one field).
func (v val) same(w val) bool {
	return v.child == w.child && v.d.name == w.d.name && v.d.metric == w.d.metric &&
		slices.Equal(v.d.labels, w.d.labels) && maps.Equal(v.d.constLabels, w.d.constLabels)
}

// one returns the metric vals hold when they all take one rewrite, and no definition of them
// stays on client_golang.
func one(vals []val) (val, bool) {
	if len(vals) == 0 {
		return val{}, false
	}
	for _, v := range vals {
		if !v.d.ok() || !v.same(vals[0]) {
			return val{}, false
		}
	}
	return vals[0], true
}

// clean returns the one metric s holds when its type is rewritten, or false.
func (s *slot) clean() (val, bool) {
	v, ok := one(s.vals)
	if !ok || !s.declared || s.unknown != "" || (s.nilAt != "" && v.child) {
		return val{}, false
	}
	return v, true
}

// NewPlan walks pkgs (loaded with their syntax and types, as packages.LoadAllSyntax gives them)
// and decides the rewrite for target. Packages that share files (a package and its test
// variant) are walked once per file.
func NewPlan(target *Target, pkgs []*packages.Package) (*Plan, error) {
	if err := target.check(); err != nil {
		return nil, err
	}
	var units []*unit
	for _, p := range pkgs {
		if p.TypesInfo == nil || p.Types == nil {
			return nil, fmt.Errorf("migrate: package %s was loaded without types", p.PkgPath)
		}
		units = append(units, &unit{fset: p.Fset, files: written(p.Syntax), info: p.TypesInfo, pkg: p.Types})
	}
	return newPlan(target, units), nil
}

func newPlan(target *Target, units []*unit) *Plan {
	p := &Plan{target: target, files: map[string]bool{}, defs: map[string]*def{}, slots: map[string]*slot{},
		notes: map[string][]string{}, mains: map[string]bool{}, pkgs: map[string]bool{}}
	for _, u := range units {
		p.pkgs[u.pkg.Path()] = true
		for _, f := range u.files {
			p.files[u.fset.File(f.Pos()).Name()] = true
		}
	}
	var all []*events
	for _, u := range units {
		ev := collect(u, target)
		for _, d := range ev.defs {
			if p.defs[d.key] == nil {
				p.defs[d.key] = d
			}
		}
		for _, g := range ev.groups {
			for _, k := range g.keys {
				s := p.slot(k, g.where)
				s.group, s.split = g.keys, g.field != nil
			}
		}
		p.linkInterfaces(u)
		for _, m := range ev.mains {
			p.mains[m] = true
		}
		all = append(all, ev)
	}
	// Which metrics reach which variables first: the values only grow, so this ends.
	for changed := true; changed; {
		changed = false
		for _, ev := range all {
			if p.flow(ev) {
				changed = true
			}
		}
		for _, l := range p.links {
			a, b := p.slots[l[0]], p.slots[l[1]]
			for _, v := range a.vals {
				if b.add(v) {
					changed = true
				}
			}
			for _, v := range b.vals {
				if a.add(v) {
					changed = true
				}
			}
		}
	}
	for _, ev := range all {
		p.unknowns(ev)
	}
	// Then which stay on client_golang: refusals only grow, and change no value.
	for changed := true; changed; {
		changed = false
		for _, ev := range all {
			if p.evaluate(ev) {
				changed = true
			}
		}
		if p.settle() {
			changed = true
		}
	}
	for _, ev := range all {
		p.defaultRegistry(ev)
	}
	return p
}

// linkInterfaces links the parameters and results of metric types of every interface method
// declared in the files walked, in the packages u sees, to those of the methods that implement
// it there: calls through the interface and the implementations then take one type. An
// implementation in a package u does not see is linked from a unit that sees both (main's).
func (p *Plan) linkInterfaces(u *unit) {
	var ifaces, concrete []*types.TypeName
	seen := map[*types.Package]bool{}
	var visit func(pkg *types.Package)
	visit = func(pkg *types.Package) {
		if seen[pkg] || !p.pkgs[pkg.Path()] {
			// A package not walked (the standard library, a dependency) declares nothing
			// the rewrite may change, and imports no package walked.
			return
		}
		seen[pkg] = true
		for _, name := range pkg.Scope().Names() {
			tn, ok := pkg.Scope().Lookup(name).(*types.TypeName)
			if !ok || tn.IsAlias() || !p.files[u.fset.Position(tn.Pos()).Filename] {
				continue
			}
			if types.IsInterface(tn.Type()) {
				ifaces = append(ifaces, tn)
			} else {
				concrete = append(concrete, tn)
			}
		}
		for _, imp := range pkg.Imports() {
			visit(imp)
		}
	}
	visit(u.pkg)
	for _, it := range ifaces {
		iface := it.Type().Underlying().(*types.Interface)
		for _, ct := range concrete {
			var recv types.Type = ct.Type()
			if !types.Implements(recv, iface) {
				recv = types.NewPointer(recv)
				if !types.Implements(recv, iface) {
					continue
				}
			}
			for i := range iface.NumMethods() {
				im := iface.Method(i)
				obj, _, _ := types.LookupFieldOrMethod(recv, false, im.Pkg(), im.Name())
				cm, ok := obj.(*types.Func)
				if !ok {
					continue
				}
				p.linkVars(u, im.Signature().Params(), cm.Signature().Params())
				p.linkVars(u, im.Signature().Results(), cm.Signature().Results())
			}
		}
	}
}

// linkVars links the variables of a and b of a metric type, position by position.
func (p *Plan) linkVars(u *unit, a, b *types.Tuple) {
	if a.Len() != b.Len() {
		return
	}
	for i := range a.Len() {
		x, y := a.At(i), b.At(i)
		if !isMetricType(x.Type()) {
			continue
		}
		kx, ky := varKey(u.fset, x), varKey(u.fset, y)
		if kx == ky || slices.Contains(p.links, [2]string{kx, ky}) {
			continue
		}
		p.slot(kx, where(u.fset, x.Pos()))
		p.slot(ky, where(u.fset, y.Pos()))
		p.links = append(p.links, [2]string{kx, ky})
	}
}

// defaultRegistry notes in keepsDefault the first reason one package gives to keep
// client_golang's default registry after the rewrite: a use of DefaultRegisterer or
// DefaultGatherer (families the code registers at run time), a definition promauto registers
// there that stays on client_golang, or a collector that stays registered there.
func (p *Plan) defaultRegistry(ev *events) {
	keep := func(pos token.Pos, why string) {
		if p.keepsDefault == "" {
			p.keepsDefault = fmt.Sprintf("%s at %s", why, where(ev.u.fset, pos))
		}
	}
	for _, e := range ev.defaultUses {
		keep(e.Pos(), exprText(ev.u.fset, e)+" is used")
	}
	for _, d := range ev.defs {
		d = p.defs[d.key] // the plan's copy carries its refusal
		if !d.ok() && d.onDefault && p.keepsDefault == "" {
			p.keepsDefault = fmt.Sprintf("%s stays on client_golang, registered there by %s at %s", nameOr(d), d.call, d.where)
		}
	}
	for _, call := range ev.regCalls {
		if !onDefault(ev.u.info, call) {
			continue
		}
		for _, a := range call.Args {
			if v, ok := one(p.valuesOf(ev.u, a)); (ok && !v.child) || isRuntimeCollector(ev.u.info, a) {
				continue
			}
			keep(a.Pos(), exprText(ev.u.fset, a)+" stays registered there")
		}
	}
}

// slot returns the slot at key, creating it.
func (p *Plan) slot(key, where string) *slot {
	s := p.slots[key]
	if s == nil {
		file, _, _, _ := splitKey(key)
		s = &slot{key: key, where: where, declared: p.files[file]}
		p.slots[key] = s
	}
	return s
}

// refuse keeps d on client_golang, for reason, said at where; it reports whether that is new.
func (p *Plan) refuse(d *def, where, reason string) bool {
	if !d.ok() {
		return false
	}
	d.refused = reason + " (" + where + ")"
	return true
}

// note records a diagnostic at key (a FILE:LINE:COL) once.
func (p *Plan) note(key, msg string) {
	if !slices.Contains(p.notes[key], msg) {
		p.notes[key] = append(p.notes[key], msg)
	}
}

// valuesOf returns the metrics e may evaluate to.
func (p *Plan) valuesOf(u *unit, e ast.Expr) []val {
	switch e := ast.Unparen(e).(type) {
	case *ast.CallExpr:
		if d := p.defs[posKey(u.fset, e.Pos())]; d != nil {
			return []val{{d: d}}
		}
		if recv := childCall(u.info, e); recv != nil {
			var out []val
			for _, v := range p.valuesOf(u, recv) {
				if !v.child && v.d.vec {
					out = append(out, val{d: v.d, child: true})
				}
			}
			return out
		}
		if fn := calleeOf(u.info, e); fn != nil {
			if sig := fn.Origin().Signature(); sig.Results().Len() == 1 {
				return p.slotVals(u, sig.Results().At(0))
			}
		}
	case *ast.Ident:
		if v, ok := u.info.Uses[e].(*types.Var); ok {
			return p.slotVals(u, v)
		}
	case *ast.StarExpr:
		// A vector kept by value is the vector its pointer points to.
		var out []val
		for _, v := range p.valuesOf(u, e.X) {
			if !v.child {
				out = append(out, v)
			}
		}
		return out
	case *ast.SelectorExpr:
		if sel := u.info.Selections[e]; sel != nil {
			if v, ok := sel.Obj().(*types.Var); ok && sel.Kind() == types.FieldVal {
				return p.slotVals(u, v)
			}
			return nil
		}
		if v, ok := u.info.Uses[e.Sel].(*types.Var); ok {
			return p.slotVals(u, v)
		}
	}
	return nil
}

func (p *Plan) slotVals(u *unit, v *types.Var) []val {
	if s := p.slots[varKey(u.fset, v)]; s != nil {
		return s.vals
	}
	return nil
}

// flow moves the metrics of one package's flows into their variables; it reports whether
// anything changed.
func (p *Plan) flow(ev *events) bool {
	changed := false
	for _, f := range ev.flows {
		s := p.slot(f.dst, f.dstWhere)
		for _, v := range p.valuesOf(ev.u, f.src) {
			if s.add(v) {
				changed = true
			}
		}
	}
	return changed
}

// unknowns marks the variables given a value that holds no metric the fixer saw defined, once
// every metric has reached where it goes.
func (p *Plan) unknowns(ev *events) {
	for _, f := range ev.flows {
		if len(p.valuesOf(ev.u, f.src)) > 0 {
			continue
		}
		s := p.slot(f.dst, f.dstWhere)
		switch {
		case isNil(ev.u.info, f.src):
			if s.nilAt == "" {
				s.nilAt = f.where
			}
		case s.unknown == "":
			s.unknown = f.where
		}
	}
}

// evaluate applies one package's uses to the plan; it reports whether a refusal was added.
func (p *Plan) evaluate(ev *events) bool {
	u, changed := ev.u, false
	for _, r := range ev.refusals {
		for _, v := range p.valuesOf(u, r.expr) {
			msg := fmt.Sprintf("%s: %s; it stays on client_golang", v.d.name, r.reason)
			if v.d.intrinsic || r.needsChild && !v.child || r.needsWhole && v.child {
				continue
			}
			p.note(r.key, msg)
			if p.refuse(v.d, r.where, r.reason) {
				changed = true
			}
		}
	}
	// Every problem of a use is noted, also on a metric another use already keeps on
	// client_golang, so that one run lists all there is to swap by hand.
	for _, m := range ev.methods {
		for _, v := range p.valuesOf(u, m.recv) {
			if v.d.intrinsic {
				continue
			}
			if reason := p.checkMethod(u, m, v); reason != "" {
				p.note(m.key, fmt.Sprintf("%s: %s; it stays on client_golang", v.d.name, reason))
				if p.refuse(v.d, m.where, reason) {
					changed = true
				}
			}
		}
	}
	for _, t := range ev.timers {
		for _, v := range p.valuesOf(u, t.arg) {
			if v.d.intrinsic {
				continue
			}
			if reason := p.checkTimer(u, t, v); reason != "" {
				p.note(t.key, fmt.Sprintf("%s: %s; it stays on client_golang", v.d.name, reason))
				if p.refuse(v.d, t.where, reason) {
					changed = true
				}
			}
		}
	}
	for _, m := range ev.deletes {
		for _, v := range p.valuesOf(u, m.recv) {
			if v.d.intrinsic {
				continue
			}
			if reason := p.checkDelete(u, m, v); reason != "" {
				p.note(m.key, fmt.Sprintf("%s: %s; it stays on client_golang", v.d.name, reason))
				if p.refuse(v.d, m.where, reason) {
					changed = true
				}
			}
		}
	}
	for _, b := range ev.binds {
		for _, v := range p.valuesOf(u, b.call) {
			if v.d.intrinsic {
				continue
			}
			reason := ""
			if b.pkgLevel {
				reason = "a child kept while the package initialises is bound before SetDefault creates the instruments, and would record nothing: bind it (Bind) in main, after SetDefault"
			} else if _, r := p.labelValues(u, b.call, v.d); r != "" {
				reason = r
			}
			if reason != "" {
				p.note(b.key, fmt.Sprintf("%s: %s; it stays on client_golang", v.d.name, reason))
				if p.refuse(v.d, b.where, reason) {
					changed = true
				}
			}
		}
	}
	for _, r := range ev.unregs {
		for _, v := range p.valuesOf(u, r.arg) {
			reason := ""
			switch {
			case v.child:
				reason = "a bound child is unregistered"
			case !r.stmt:
				reason = "unregistered where the result is used; the generated instruments are not registered"
			}
			if reason != "" && !v.d.intrinsic {
				p.note(r.key, fmt.Sprintf("%s: %s; it stays on client_golang", v.d.name, reason))
				if p.refuse(v.d, r.where, reason) {
					changed = true
				}
			}
		}
	}
	for _, r := range ev.regs {
		for _, v := range p.valuesOf(u, r.arg) {
			reason := ""
			switch {
			case v.child:
				reason = "a bound child is registered"
			case !r.stmt:
				reason = "registered where the registration's result is used; the generated instruments are not registered"
			default:
				if sel, ok := ast.Unparen(r.call.Fun).(*ast.SelectorExpr); ok {
					reason = ev.wrapReason(sel.X)
				}
			}
			if reason != "" && !v.d.intrinsic {
				p.note(r.key, fmt.Sprintf("%s: %s; it stays on client_golang", v.d.name, reason))
				if p.refuse(v.d, r.where, reason) {
					changed = true
				}
			}
		}
	}
	return changed
}

// settle refuses every definition that reaches a variable whose type cannot be rewritten to
// it; it reports whether anything changed.
func (p *Plan) settle() bool {
	changed := false
	keys := make([]string, 0, len(p.slots))
	for k := range p.slots {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		s := p.slots[k]
		if len(s.vals) == 0 {
			continue
		}
		reason := ""
		v, ok := s.clean()
		switch {
		case ok:
			// A variable declared with others under one type takes the type they all take.
			for _, g := range s.group {
				if g == k {
					continue
				}
				other := p.slots[g]
				if w, ok := other.clean(); ok && (w.same(v) || s.split) || s.split && len(other.vals) == 0 {
					// The same metric, or a declaration the renderer splits (a, b T into
					// a A, b B) with another or with none.
					continue
				}
				if w, ok := other.clean(); !ok || !w.same(v) {
					reason = fmt.Sprintf("%s is declared under one type with %s, which does not hold the same metric: declare them apart", s.where, p.slots[g].where)
					break
				}
			}
		case !s.declared:
			reason = fmt.Sprintf("it reaches %s, declared outside the packages migrated", s.where)
		case s.unknown != "":
			reason = fmt.Sprintf("it reaches %s, which is also given a metric the fixer did not see defined (%s)", s.where, s.unknown)
		case s.nilAt != "" && slices.ContainsFunc(s.vals, func(v val) bool { return v.child }):
			reason = fmt.Sprintf("it reaches %s as a bound child, which is given nil at %s: a bound instrument is a value", s.where, s.nilAt)
		case len(s.vals) > 1 && !slices.ContainsFunc(s.vals, func(v val) bool {
			return !v.same(s.vals[0]) && v.d.name == s.vals[0].d.name && v.child == s.vals[0].child
		}):
			var names []string
			for _, v := range s.vals {
				n := v.d.name
				if v.child {
					n += " (a child)"
				}
				if !slices.Contains(names, n) {
					names = append(names, n)
				}
			}
			reason = fmt.Sprintf("%s holds %s: one variable takes one generated type", s.where, strings.Join(names, " and "))
		case len(s.vals) > 1 && slices.ContainsFunc(s.vals, func(v val) bool { return !v.same(s.vals[0]) }):
			reason = fmt.Sprintf("%s holds %s from definitions that declare its labels in different orders (%s): its calls cannot be rewritten for both", s.where, s.vals[0].d.name, labelOrders(s.vals))
		default:
			reason = fmt.Sprintf("it shares %s with a metric that stays on client_golang", s.where)
		}
		if reason == "" {
			continue
		}
		for _, v := range s.vals {
			if p.refuse(v.d, s.where, reason) {
				changed = true
			}
		}
	}
	return changed
}

// checkMethod says why the method call m cannot be rewritten for v, or "".
func (p *Plan) checkMethod(u *unit, m *methodEv, v val) string {
	d := v.d
	if call, ok := ast.Unparen(m.recv).(*ast.CallExpr); ok && childCall(u.info, call) != nil {
		if _, reason := p.labelValues(u, call, d); reason != "" {
			return reason
		}
		// The labels ran before the value; in the generated call the value runs first.
		if len(m.call.Args) == 1 && effects(u.info, m.call.Args[0]) && slices.ContainsFunc(call.Args, func(a ast.Expr) bool { return effects(u.info, a) }) {
			return fmt.Sprintf("the value %s and a label value call functions, which would run in another order (the value first): assign them to variables first", exprText(u.fset, m.call.Args[0]))
		}
	}
	kind := d.metric.Kind
	switch m.method {
	case "Inc", "Add":
		if kind == "gauge" {
			return fmt.Sprintf("%s is a gauge in the catalogue, which records values, and %s needs the value before it: declare it an updowncounter", d.name, m.method)
		}
	case "Dec", "Sub":
		switch kind {
		case "gauge":
			return fmt.Sprintf("%s is a gauge in the catalogue, which records values, and %s needs the value before it: declare it an updowncounter", d.name, m.method)
		case "counter":
			return fmt.Sprintf("%s is a counter in the catalogue, which only goes up, and %s goes down: declare it an updowncounter", d.name, m.method)
		}
	case "Set", "SetToCurrentTime":
		if kind != "gauge" {
			return fmt.Sprintf("%s is a %s in the catalogue, which adds, and %s sets: declare it a gauge", d.name, kind, m.method)
		}
		if m.method == "SetToCurrentTime" && d.metric.ValueType != "double" {
			return fmt.Sprintf("SetToCurrentTime records seconds with a fraction, and %s records int (value_type: int)", d.name)
		}
	case "Observe":
	}
	if len(m.call.Args) == 1 {
		if _, ok := valueText(u, m.call.Args[0], d.metric.ValueType == "int", false); !ok {
			return fmt.Sprintf("%s records a float64 into %s, which records int (value_type: int): declare it double, or convert the value to an integer type", m.method, d.name)
		}
	}
	return ""
}

// checkDelete says why the deleting call m (DeleteLabelValues, Delete, DeletePartialMatch or
// Reset) cannot be rewritten for v, or "".
func (p *Plan) checkDelete(u *unit, m *methodEv, v val) string {
	d := v.d
	if v.child {
		return fmt.Sprintf("%s is called on a bound child, which has no counterpart", m.method)
	}
	if len(d.metric.Labels) == 0 {
		return fmt.Sprintf("%s has no labels in the catalogue, so its instrument has no %s: remove the call", d.name, m.method)
	}
	switch m.method {
	case "DeleteLabelValues", "Delete":
		_, reason := p.labelValues(u, m.call, d)
		return reason
	case "DeletePartialMatch":
		if len(m.call.Args) != 1 || m.call.Ellipsis.IsValid() {
			return "DeletePartialMatch takes one prometheus.Labels"
		}
		// client_golang matches the variable labels only: a constant label (or another key)
		// matches no series there, and every series in the catalogue's, where it is a label.
		lit, isLit := ast.Unparen(m.call.Args[0]).(*ast.CompositeLit)
		if !isLit {
			if len(d.constLabels) > 0 {
				return fmt.Sprintf("DeletePartialMatch's labels are not a literal, and %s has constant labels %v, which client_golang's DeletePartialMatch never matches and the catalogue's does", d.name, sorted(keysOf(d.constLabels)))
			}
			return ""
		}
		for _, elt := range lit.Elts {
			kv, ok := elt.(*ast.KeyValueExpr)
			if !ok {
				return "DeletePartialMatch's labels are not a prometheus.Labels literal"
			}
			k, ok := constString(u.info, kv.Key)
			if !ok {
				if len(d.constLabels) > 0 {
					return fmt.Sprintf("a label name given to DeletePartialMatch is not a constant, and %s has constant labels, which client_golang's DeletePartialMatch never matches and the catalogue's does", d.name)
				}
				continue
			}
			if !slices.Contains(d.labels, k) {
				return fmt.Sprintf("DeletePartialMatch is given the label %s, which is not among the variable labels %v of %s: client_golang deletes nothing there", k, d.labels, d.name)
			}
		}
	}
	return ""
}

// isNil reports whether e is the predeclared nil.
func isNil(info *types.Info, e ast.Expr) bool {
	tv, ok := info.Types[ast.Unparen(e)]
	return ok && tv.IsNil()
}

// posKey is pos as FILE:LINE:COL, the key of everything in a Plan.
func posKey(fset *token.FileSet, pos token.Pos) string {
	p := fset.Position(pos)
	return fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Column)
}

// varKey is the key of v's slot: where it is declared (its generic origin's declaration).
func varKey(fset *token.FileSet, v *types.Var) string { return posKey(fset, v.Origin().Pos()) }

// where is pos as FILE:LINE for messages, FILE relative to the working directory when it is
// below it.
func where(fset *token.FileSet, pos token.Pos) string {
	p := fset.Position(pos)
	name := p.Filename
	if wd, err := os.Getwd(); err == nil {
		if rel, err := filepath.Rel(wd, name); err == nil && !strings.HasPrefix(rel, "..") {
			name = rel
		}
	}
	return fmt.Sprintf("%s:%d", name, p.Line)
}

// labelOrders lists the label orders of vals' definitions, for a message.
func labelOrders(vals []val) string {
	var out []string
	for _, v := range vals {
		o := "[" + strings.Join(v.d.labels, " ") + "] at " + v.d.where
		if !slices.Contains(out, o) {
			out = append(out, o)
		}
	}
	return strings.Join(out, ", ")
}

// written are the files of files that people write: generated code is regenerated, not
// rewritten.
func written(files []*ast.File) []*ast.File {
	var out []*ast.File
	for _, f := range files {
		if !ast.IsGenerated(f) {
			out = append(out, f)
		}
	}
	return out
}
