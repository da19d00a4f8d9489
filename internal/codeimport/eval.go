package codeimport

import (
	"cmp"
	"go/ast"
	"go/constant"
	"go/token"
	"go/types"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/tools/go/packages"
)

// maxBucketCount bounds the count a bucket generator is evaluated with: the catalogue's own
// generators go to 1000, and a larger constant would only allocate a list no catalogue holds.
const maxBucketCount = 1000

// follow strips what does not change an expression's value (parentheses, &, a conversion such
// as prometheus.GaugeOpts(opts)) and follows a variable to its initializer when nothing writes
// it after that, across packages of the load. It returns the expression that holds the value
// and the package whose types describe it.
func (a *analyzer) follow(e ast.Expr, p *packages.Package) (ast.Expr, *packages.Package) {
	for range maxResolve {
		switch x := ast.Unparen(e).(type) {
		case *ast.UnaryExpr:
			if x.Op != token.AND {
				return x, p
			}
			e = x.X
			continue
		case *ast.CallExpr:
			if tv, ok := p.TypesInfo.Types[x.Fun]; ok && tv.IsType() && len(x.Args) == 1 {
				e = x.Args[0]
				continue
			}
			return x, p
		case *ast.Ident, *ast.SelectorExpr:
			obj := a.objectOf(x, p)
			v, ok := obj.(*types.Var)
			if !ok || v.IsField() || a.written[canon(v)] {
				return x, p
			}
			init, ok := a.inits[canon(v)]
			if !ok {
				return x, p
			}
			e, p = init.expr, init.pkg
			continue
		default:
			return x, p
		}
	}
	return ast.Unparen(e), p
}

// objectOf is the object an identifier or a selector's Sel refers to, nil for anything else.
func (a *analyzer) objectOf(e ast.Expr, p *packages.Package) types.Object {
	switch x := ast.Unparen(e).(type) {
	case *ast.Ident:
		return p.TypesInfo.ObjectOf(x)
	case *ast.SelectorExpr:
		return p.TypesInfo.ObjectOf(x.Sel)
	}
	return nil
}

// constValue is e's constant value, following variables to constant initializers.
func (a *analyzer) constValue(e ast.Expr, p *packages.Package) constant.Value {
	if tv, ok := p.TypesInfo.Types[e]; ok && tv.Value != nil {
		return tv.Value
	}
	f, fp := a.follow(e, p)
	if f == ast.Unparen(e) && fp == p {
		return nil
	}
	if tv, ok := fp.TypesInfo.Types[f]; ok && tv.Value != nil {
		return tv.Value
	}
	return nil
}

// str evaluates a string: a constant, a variable initialized with one and never written, or
// prometheus.BuildFQName of such strings.
func (a *analyzer) str(e ast.Expr, p *packages.Package) (string, bool) {
	if v := a.constValue(e, p); v != nil {
		if v.Kind() == constant.String {
			return constant.StringVal(v), true
		}
		return "", false
	}
	f, fp := a.follow(e, p)
	if call, ok := f.(*ast.CallExpr); ok && isProm(callee(fp.TypesInfo, call), "BuildFQName") && len(call.Args) == 3 {
		var parts [3]string
		for i, arg := range call.Args {
			s, ok := a.str(arg, fp)
			if !ok {
				return "", false
			}
			parts[i] = s
		}
		return prometheus.BuildFQName(parts[0], parts[1], parts[2]), true
	}
	return "", false
}

// float evaluates a finite float64 constant.
func (a *analyzer) float(e ast.Expr, p *packages.Package) (float64, bool) {
	v := a.constValue(e, p)
	if v == nil {
		return 0, false
	}
	v = constant.ToFloat(v)
	if v.Kind() != constant.Float && v.Kind() != constant.Int {
		return 0, false
	}
	f, _ := constant.Float64Val(v)
	if math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, false
	}
	return f, true
}

// integer evaluates an integer constant that fits an int64.
func (a *analyzer) integer(e ast.Expr, p *packages.Package) (int64, bool) {
	v := a.constValue(e, p)
	if v == nil {
		return 0, false
	}
	v = constant.ToInt(v)
	if v.Kind() != constant.Int {
		return 0, false
	}
	return constant.Int64Val(v)
}

// isNil reports whether e is the predeclared nil.
func isNil(e ast.Expr, p *packages.Package) bool {
	tv, ok := p.TypesInfo.Types[ast.Unparen(e)]
	return ok && tv.IsNil()
}

// strs evaluates label names: a []string literal of strings str evaluates, prometheus's
// UnconstrainedLabels or ConstrainedLabels literal, nil, or a variable holding one of them.
func (a *analyzer) strs(e ast.Expr, p *packages.Package) ([]string, bool) {
	if isNil(e, p) {
		return nil, true
	}
	f, fp := a.follow(e, p)
	if isNil(f, fp) {
		return nil, true
	}
	lit, ok := f.(*ast.CompositeLit)
	if !ok {
		return nil, false
	}
	out := []string{}
	for _, elt := range lit.Elts {
		if _, keyed := elt.(*ast.KeyValueExpr); keyed {
			return nil, false // an indexed slice literal: rare enough to name instead
		}
		if inner, ok := elt.(*ast.CompositeLit); ok {
			// A ConstrainedLabel{Name: "code", Constraint: …}.
			name, ok := a.fieldOf(inner, fp, "Name")
			if !ok {
				return nil, false
			}
			s, ok := a.str(name, fp)
			if !ok {
				return nil, false
			}
			out = append(out, s)
			continue
		}
		s, ok := a.str(elt, fp)
		if !ok {
			return nil, false
		}
		out = append(out, s)
	}
	return out, true
}

// fieldOf is the expression a struct literal gives the field name, keyed or by position.
func (a *analyzer) fieldOf(lit *ast.CompositeLit, p *packages.Package, name string) (ast.Expr, bool) {
	st, ok := underlyingStruct(p.TypesInfo.TypeOf(lit))
	if !ok {
		return nil, false
	}
	for i, elt := range lit.Elts {
		if kv, ok := elt.(*ast.KeyValueExpr); ok {
			if id, ok := kv.Key.(*ast.Ident); ok && id.Name == name {
				return kv.Value, true
			}
			continue
		}
		if i < st.NumFields() && st.Field(i).Name() == name {
			return elt, true
		}
	}
	return nil, false
}

// underlyingStruct is t's struct type, through a pointer.
func underlyingStruct(t types.Type) (*types.Struct, bool) {
	if t == nil {
		return nil, false
	}
	if ptr, ok := t.Underlying().(*types.Pointer); ok {
		t = ptr.Elem()
	}
	st, ok := t.Underlying().(*types.Struct)
	return st, ok
}

// constLabels evaluates a prometheus.Labels literal of strings, or nil, sorted by name.
func (a *analyzer) constLabels(e ast.Expr, p *packages.Package) ([]ConstLabel, bool) {
	out, ok := constMap(a, e, p, a.str, a.str, func(k, v string) ConstLabel { return ConstLabel{k, v} })
	slices.SortFunc(out, func(x, y ConstLabel) int { return strings.Compare(x.Name, y.Name) })
	return out, ok
}

// constMap evaluates a map literal whose keys and values are constants (key and val evaluate
// one each), or nil, into its entries in source order; ok is false when any part is not
// constant or the expression is not such a literal.
func constMap[K, V, E any](a *analyzer, e ast.Expr, p *packages.Package, key func(ast.Expr, *packages.Package) (K, bool), val func(ast.Expr, *packages.Package) (V, bool), entry func(K, V) E) ([]E, bool) {
	if isNil(e, p) {
		return nil, true
	}
	f, fp := a.follow(e, p)
	if isNil(f, fp) {
		return nil, true
	}
	lit, ok := f.(*ast.CompositeLit)
	if !ok {
		return nil, false
	}
	var out []E
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			return nil, false
		}
		k, ok1 := key(kv.Key, fp)
		v, ok2 := val(kv.Value, fp)
		if !ok1 || !ok2 {
			return nil, false
		}
		out = append(out, entry(k, v))
	}
	return out, true
}

// buckets evaluates a histogram's Buckets: a []float64 literal of constants, prometheus's
// DefBuckets, or one of its generators with constant arguments, computed by client_golang's own
// function so that the boundaries are the service's bit for bit.
func (a *analyzer) buckets(e ast.Expr, p *packages.Package) Buckets {
	b := Buckets{Expr: exprString(e)}
	// nil is no buckets, as an empty list is: the caller decides what client_golang uses.
	if isNil(e, p) {
		return Buckets{Known: true, Form: BucketsList, Expr: "nil"}
	}
	f, fp := a.follow(e, p)
	if isNil(f, fp) {
		return Buckets{Known: true, Form: BucketsList, Expr: "nil"}
	}
	if v, ok := a.objectOf(f, fp).(*types.Var); ok && v.Pkg() != nil && v.Pkg().Path() == promPath && v.Name() == "DefBuckets" {
		b := defaultBuckets("prometheus.DefBuckets")
		b.Form = BucketsDefault
		return b
	}
	switch x := f.(type) {
	case *ast.CompositeLit:
		values := []float64{}
		for _, elt := range x.Elts {
			if _, keyed := elt.(*ast.KeyValueExpr); keyed {
				return b
			}
			v, ok := a.float(elt, fp)
			if !ok {
				return b
			}
			values = append(values, v)
		}
		b.Known, b.Form, b.Values = true, BucketsList, values
	case *ast.CallExpr:
		fn := callee(fp.TypesInfo, x)
		if len(x.Args) != 3 {
			return b
		}
		start, ok1 := a.float(x.Args[0], fp)
		step, ok2 := a.float(x.Args[1], fp)
		count, ok3 := a.integer(x.Args[2], fp)
		if !ok1 || !ok2 || !ok3 || count < 1 || count > maxBucketCount {
			return b
		}
		n := int(count)
		switch {
		case isProm(fn, "LinearBuckets"):
			b.Values, b.Form = prometheus.LinearBuckets(start, step, n), BucketsLinear
		case isProm(fn, "ExponentialBuckets") && start > 0 && step > 1:
			b.Values, b.Form = prometheus.ExponentialBuckets(start, step, n), BucketsExponential
		case isProm(fn, "ExponentialBucketsRange") && start > 0:
			b.Values, b.Form = prometheus.ExponentialBucketsRange(start, step, n), BucketsRange
		default:
			// Another function, or arguments client_golang panics on: the service would not
			// start with them, so there is nothing to import.
			return b
		}
		b.Known, b.Start, b.Step, b.Count = true, start, step, n
	}
	// client_golang drops a last +Inf boundary, which the catalogue keeps implicit too; a
	// constant cannot be +Inf, so there is none to drop here.
	return b
}

// defaultBuckets are client_golang's DefBuckets, which a histogram without Buckets gets too.
func defaultBuckets(expr string) Buckets {
	return Buckets{Known: true, Form: BucketsDefault, Values: slices.Clone(prometheus.DefBuckets), Expr: expr}
}

// objectives evaluates SummaryOpts.Objectives: a map[float64]float64 literal of constants, or
// nil.
func (a *analyzer) objectives(e ast.Expr, p *packages.Package) ([]Objective, bool) {
	out, ok := constMap(a, e, p, a.float, a.float, func(q, err float64) Objective { return Objective{q, err} })
	slices.SortFunc(out, func(x, y Objective) int { return cmp.Compare(x.Quantile, y.Quantile) })
	return out, ok
}

// constBucketKeys evaluates the bucket map of a collector's const histogram
// (map[float64]uint64{0.1: n, …}): its keys are the boundaries, whatever the counts are.
func (a *analyzer) constBucketKeys(e ast.Expr, p *packages.Package) Buckets {
	b := Buckets{Expr: exprString(e)}
	f, fp := a.follow(e, p)
	lit, ok := f.(*ast.CompositeLit)
	if !ok {
		return b
	}
	var values []float64
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			return b
		}
		v, ok := a.float(kv.Key, fp)
		if !ok {
			return b
		}
		values = append(values, v)
	}
	slices.Sort(values)
	b.Known, b.Form, b.Values = true, BucketsConst, slices.Compact(values)
	b.Expr = "the keys of the const histogram's bucket map"
	return b
}

// isWhole reports whether a value recorded is a whole number: a whole constant, or an integer
// converted to float64 (float64(n)).
func (a *analyzer) isWhole(e ast.Expr, p *packages.Package) bool {
	if f, ok := a.float(e, p); ok {
		return f == math.Trunc(f)
	}
	call, ok := ast.Unparen(e).(*ast.CallExpr)
	if !ok || len(call.Args) != 1 {
		return false
	}
	if tv, ok := p.TypesInfo.Types[call.Fun]; !ok || !tv.IsType() {
		return false
	}
	arg := p.TypesInfo.TypeOf(call.Args[0])
	if arg == nil {
		return false
	}
	basic, ok := arg.Underlying().(*types.Basic)
	return ok && basic.Info()&types.IsInteger != 0
}

// duration evaluates a time.Duration constant.
func (a *analyzer) duration(e ast.Expr, p *packages.Package) (time.Duration, bool) {
	n, ok := a.integer(e, p)
	return time.Duration(n), ok
}
