package codeimport

import (
	"cmp"
	"fmt"
	"go/ast"
	"go/token"
	"go/types"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"golang.org/x/tools/go/packages"

	"github.com/telediag/telediag/internal/catalog"
)

// familyState is what the importer keeps of a family besides its exported fields: how it was
// defined, what of it the code computes, and what the code does with it, for the kind decision
// and for the notes the import writes once it knows whether a scrape fills the gaps.
type familyState struct {
	ctor ctor
	// computed are the options the code computes at run time, by option.
	computed map[string]computed
	// constUses are a Desc's uses in const metrics, which decide a collector's kind.
	constUses []constUse
	// escapes name the functions outside the load the metric is passed to.
	escapes []string
	// kindGuessed is set when the code does not show the kind (a Desc no const metric uses):
	// a scrape's type is better.
	kindGuessed bool
	// nativeOnly is a histogram with native buckets and no classic ones.
	nativeOnly bool
	// nativeComputed: NativeHistogramBucketFactor is computed at run time, so whether the
	// histogram is native only a scrape tells.
	nativeComputed bool
}

// computed is an option the code computes at run time: where, and the expression.
type computed struct {
	pos  token.Position
	expr string
}

// constUse is a Desc's use in a const metric.
type constUse struct {
	kind    catalog.Kind // "" when the ValueType is not a constant
	untyped bool
	native  bool
	// nativeDecl is a const native histogram's schema and zero threshold, when both are
	// constants.
	nativeDecl *catalog.Native
	pos        token.Position
	buckets    Buckets
}

// The options the importer reads, by the name notes give them.
const (
	optHelp        = "Help"
	optLabels      = "labels"
	optConstLabels = "ConstLabels"
	optBuckets     = "Buckets"
	optObjectives  = "Objectives"
	optMaxAge      = "MaxAge"
	optAgeBuckets  = "AgeBuckets"
	optUnit        = "Unit"
)

// opts is what a constructor's options literal says.
type opts struct {
	namespace, subsystem, name, help, unit strField
	constLabels                            []ConstLabel
	constLabelsSet, constLabelsOK          bool
	constLabelsExpr                        ast.Expr
	buckets                                Buckets
	bucketsSet                             bool
	bucketsExpr                            ast.Expr
	nativeFactor                           float64
	nativeFactorOK                         bool
	nativeFactorExpr                       ast.Expr
	objectives                             []Objective
	objectivesSet, objectivesOK            bool
	objectivesExpr                         ast.Expr
	maxAge                                 time.Duration
	maxAgeSet, maxAgeOK                    bool
	maxAgeExpr                             ast.Expr
	ageBuckets                             int64
	ageBucketsSet, ageBucketsOK            bool
	ageBucketsExpr                         ast.Expr
	labels                                 []string
	labelsSet, labelsOK                    bool
	labelsExpr                             ast.Expr
	native                                 []nativeField
	nativePkg                              *packages.Package // the package of native's expressions
}

// strField is a string option: set in the literal, evaluated, and its expression.
type strField struct {
	s       string
	set, ok bool
	expr    ast.Expr
}

// nativeField is a native-histogram option (HistogramOpts' NativeHistogram*) as written.
type nativeField struct {
	name string
	expr ast.Expr
}

// readOpts reads an options literal (CounterOpts{…}, a VecOpts of V2 with its embedded opts),
// field by field; false when e is not one the importer can read.
func (a *analyzer) readOpts(e ast.Expr, p *packages.Package, o *opts, depth int) bool {
	if depth > maxResolve {
		return false
	}
	f, fp := a.follow(e, p)
	lit, ok := f.(*ast.CompositeLit)
	if !ok {
		return false
	}
	st, ok := underlyingStruct(fp.TypesInfo.TypeOf(lit))
	if !ok {
		return false
	}
	for i, elt := range lit.Elts {
		var name string
		val := elt
		if kv, ok := elt.(*ast.KeyValueExpr); ok {
			id, ok := kv.Key.(*ast.Ident)
			if !ok {
				continue
			}
			name, val = id.Name, kv.Value
		} else if i < st.NumFields() {
			name = st.Field(i).Name()
		} else {
			continue
		}
		if !a.optField(o, name, val, fp, depth) {
			return false
		}
	}
	return true
}

// optField reads one option; false when an embedded options literal cannot be read.
func (a *analyzer) optField(o *opts, name string, val ast.Expr, p *packages.Package, depth int) bool {
	strOpt := func(f *strField) {
		s, ok := a.str(val, p)
		*f = strField{s: s, set: true, ok: ok, expr: val}
	}
	switch name {
	case "Namespace":
		strOpt(&o.namespace)
	case "Subsystem":
		strOpt(&o.subsystem)
	case "Name":
		strOpt(&o.name)
	case "Help":
		strOpt(&o.help)
	case "Unit":
		strOpt(&o.unit)
	case "ConstLabels":
		o.constLabels, o.constLabelsOK = a.constLabels(val, p)
		o.constLabelsSet, o.constLabelsExpr = true, val
	case "Buckets":
		o.buckets, o.bucketsSet, o.bucketsExpr = a.buckets(val, p), true, val
	case "Objectives":
		o.objectives, o.objectivesOK = a.objectives(val, p)
		o.objectivesSet, o.objectivesExpr = true, val
	case "MaxAge":
		o.maxAge, o.maxAgeOK = a.duration(val, p)
		o.maxAgeSet, o.maxAgeExpr = true, val
	case "AgeBuckets":
		o.ageBuckets, o.ageBucketsOK = a.integer(val, p)
		o.ageBucketsSet, o.ageBucketsExpr = true, val
	case "VariableLabels":
		o.labels, o.labelsOK = a.strs(val, p)
		o.labelsSet, o.labelsExpr = true, val
	case "CounterOpts", "GaugeOpts", "HistogramOpts", "SummaryOpts", "Opts":
		return a.readOpts(val, p, o, depth+1)
	default:
		if strings.HasPrefix(name, "NativeHistogram") {
			if name == "NativeHistogramBucketFactor" {
				o.nativeFactor, o.nativeFactorOK = a.float(val, p)
				o.nativeFactorExpr = val
				break
			}
			o.native = append(o.native, nativeField{name, val})
			o.nativePkg = p
		}
	}
	return true
}

// definition reads the family a constructor call defines, and what the code does with it; nil
// when call is no constructor, or one whose family cannot be named (noted).
func (a *analyzer) definition(call *ast.CallExpr, p *packages.Package) *Family {
	c, written, ok := ctorOf(callee(p.TypesInfo, call))
	if !ok {
		return nil
	}
	f := &Family{Pos: a.pos(call.Pos()), Constructor: written, Kind: c.kind, Observable: c.observable,
		state: &familyState{ctor: c, computed: map[string]computed{}}}
	var o opts
	if c.desc {
		if len(call.Args) < 4 {
			return nil
		}
		o.name = a.strField(call.Args[0], p)
		o.help = a.strField(call.Args[1], p)
		o.labels, o.labelsOK = a.strs(call.Args[2], p)
		o.labelsSet, o.labelsExpr = true, call.Args[2]
		o.constLabels, o.constLabelsOK = a.constLabels(call.Args[3], p)
		o.constLabelsSet, o.constLabelsExpr = true, call.Args[3]
		for _, opt := range call.Args[4:] {
			if oc, ok := ast.Unparen(opt).(*ast.CallExpr); ok && isProm(callee(p.TypesInfo, oc), "WithUnit") && len(oc.Args) == 1 {
				o.unit = a.strField(oc.Args[0], p)
			}
		}
		f.Observable = true
	} else {
		if len(call.Args) == 0 {
			return nil
		}
		if !a.readOpts(call.Args[0], p, &o, 0) {
			a.notef(call.Pos(), "", fmt.Sprintf("%s: its options (%s) are computed at run time, so its name is unknown: left out (with a scrape, the family of that name is imported from it)",
				written, exprString(call.Args[0])))
			return nil
		}
		if c.vec && !strings.HasPrefix(written, "prometheus.V2.") {
			if len(call.Args) < 2 {
				return nil
			}
			o.labels, o.labelsOK = a.strs(call.Args[1], p)
			o.labelsSet, o.labelsExpr = true, call.Args[1]
		}
	}
	name, ok := a.familyName(call, written, &o)
	if !ok {
		return nil
	}
	f.Name = name
	a.applyOpts(f, &o)
	a.applyEvents(f, a.trace(call, p))
	return f
}

// strField evaluates a string argument as an option.
func (a *analyzer) strField(e ast.Expr, p *packages.Package) strField {
	s, ok := a.str(e, p)
	return strField{s: s, set: true, ok: ok, expr: e}
}

// familyName joins the name options as prometheus.BuildFQName does, or notes why it cannot.
func (a *analyzer) familyName(call *ast.CallExpr, written string, o *opts) (string, bool) {
	for _, part := range []strField{o.namespace, o.subsystem, o.name} {
		if part.set && !part.ok {
			a.notef(part.expr.Pos(), "", fmt.Sprintf("%s: name computed at run time (%s): left out (with a scrape, the family of that name is imported from it)",
				written, exprString(part.expr)))
			return "", false
		}
	}
	name := prometheus.BuildFQName(o.namespace.s, o.subsystem.s, o.name.s)
	if name == "" {
		a.notef(call.Pos(), "", written+": no Name, which client_golang refuses at run time: left out")
		return "", false
	}
	return name, true
}

// applyOpts copies what the options say into f, and what they compute into its state.
func (a *analyzer) applyOpts(f *Family, o *opts) {
	st := f.state
	compute := func(opt string, e ast.Expr) {
		st.computed[opt] = computed{pos: a.pos(e.Pos()), expr: exprString(e)}
	}
	switch {
	case !o.help.set:
		f.HelpKnown = true
	case o.help.ok:
		f.Help, f.HelpKnown = o.help.s, true
	default:
		compute(optHelp, o.help.expr)
	}
	if o.unit.set && o.unit.ok {
		f.UnitWord = o.unit.s
	}
	switch {
	case !o.labelsSet:
		f.LabelsKnown = true
	case o.labelsOK:
		f.Labels, f.LabelsKnown = o.labels, true
	default:
		compute(optLabels, o.labelsExpr)
	}
	switch {
	case !o.constLabelsSet:
		f.ConstLabelsKnown = true
	case o.constLabelsOK:
		f.ConstLabels, f.ConstLabelsKnown = o.constLabels, true
	default:
		compute(optConstLabels, o.constLabelsExpr)
	}
	if f.Kind == catalog.KindHistogram {
		a.nativeOpts(f, o)
		// client_golang gives a histogram without buckets DefBuckets, unless native buckets
		// replace them (NativeHistogramBucketFactor > 1).
		empty := !o.bucketsSet || o.buckets.Known && len(o.buckets.Values) == 0
		switch {
		case !empty && o.buckets.Known:
			f.Buckets = o.buckets
		case !empty:
			compute(optBuckets, o.bucketsExpr)
		case o.nativeFactorExpr != nil && !o.nativeFactorOK:
			compute(optBuckets, o.nativeFactorExpr)
		case f.Native != nil:
			st.nativeOnly = true
		default:
			f.Buckets = defaultBuckets("no Buckets: client_golang's DefBuckets")
		}
	}
	if f.Kind == catalog.KindSummary {
		f.Summary.Known = true
		switch {
		case o.objectivesSet && o.objectivesOK:
			f.Summary.Objectives = o.objectives
		case o.objectivesSet:
			f.Summary.Known = false
			compute(optObjectives, o.objectivesExpr)
		}
		switch {
		case o.maxAgeSet && o.maxAgeOK && o.maxAge > 0:
			f.Summary.MaxAge = o.maxAge
		case o.maxAgeSet && !o.maxAgeOK:
			compute(optMaxAge, o.maxAgeExpr)
		}
		switch {
		case o.ageBucketsSet && o.ageBucketsOK && o.ageBuckets > 0 && o.ageBuckets <= 1<<32-1:
			f.Summary.AgeBuckets = uint32(o.ageBuckets)
		case o.ageBucketsSet && !o.ageBucketsOK:
			compute(optAgeBuckets, o.ageBucketsExpr)
		}
	}
	if o.unit.set && !o.unit.ok {
		compute(optUnit, o.unit.expr)
	}
}

// nativeOpts reads a histogram's native options into f.Native, as client_golang applies them
// (NewHistogram): native buckets only with NativeHistogramBucketFactor above 1; a
// NativeHistogramZeroThreshold of 0 is client_golang's default and a negative one
// (NativeHistogramZeroThresholdZero) a threshold of 0; a NativeHistogramMaxBucketNumber of 0 is
// no limit in client_golang, which the catalogue has not, so the default bound stays. What the
// code computes, or the catalogue does not carry, is noted where it is.
func (a *analyzer) nativeOpts(f *Family, o *opts) {
	notef := func(n nativeField, format string, args ...any) {
		a.notef(n.expr.Pos(), f.Name, fmt.Sprintf("%s: %s ", n.name, exprString(n.expr))+fmt.Sprintf(format, args...))
	}
	switch {
	case o.nativeFactorExpr != nil && !o.nativeFactorOK:
		if o.bucketsSet {
			a.notef(o.nativeFactorExpr.Pos(), f.Name, fmt.Sprintf("NativeHistogramBucketFactor: %s is computed at run time: native: is not written (with a scrape, its schema is)", exprString(o.nativeFactorExpr)))
		}
		f.state.nativeComputed = true
		return
	case o.nativeFactor <= 1:
		for _, n := range o.native {
			notef(n, "has no effect: client_golang serves native buckets only with NativeHistogramBucketFactor above 1")
		}
		return
	}
	n := &catalog.Native{Schema: catalog.SchemaForFactor(o.nativeFactor), BucketFactor: o.nativeFactor,
		MaxBuckets: catalog.DefaultNativeMaxBuckets, ZeroThreshold: catalog.DefaultNativeZeroThreshold}
	p := o.nativePkg
	for _, nf := range o.native {
		switch nf.name {
		case "NativeHistogramMaxBucketNumber":
			v, ok := a.integer(nf.expr, p)
			switch {
			case !ok:
				notef(nf, "is computed at run time: max_buckets is left at the default (%d)", catalog.DefaultNativeMaxBuckets)
			case v == 0:
				notef(nf, "is client_golang's no limit, which the catalogue has not: max_buckets is left at the default (%d)", catalog.DefaultNativeMaxBuckets)
			case v < 2:
				notef(nf, "is below the catalogue's least max_buckets: 2 is written")
				n.MaxBuckets = 2
			case v > catalog.MaxNativeBuckets:
				notef(nf, "is above the catalogue's largest max_buckets: %d is written", catalog.MaxNativeBuckets)
				n.MaxBuckets = catalog.MaxNativeBuckets
			default:
				n.MaxBuckets = int(v)
			}
		case "NativeHistogramZeroThreshold":
			v, ok := a.float(nf.expr, p)
			switch {
			case !ok:
				notef(nf, "is computed at run time: zero_threshold is left at the default (%s)", strconv.FormatFloat(catalog.DefaultNativeZeroThreshold, 'g', -1, 64))
			case v < 0:
				n.ZeroThreshold = 0 // NativeHistogramZeroThresholdZero
			case v > 0:
				n.ZeroThreshold = v
			}
		case "NativeHistogramMinResetDuration":
			v, ok := a.duration(nf.expr, p)
			switch {
			case !ok:
				notef(nf, "is computed at run time: min_reset_duration is left at the default (never)")
			case v > 0:
				n.MinResetDuration = v
			}
		case "NativeHistogramMaxZeroThreshold":
			notef(nf, "is not carried: telediag never widens the zero threshold (OTel's exponential aggregation lowers the resolution instead)")
		default:
			notef(nf, "is not carried: the catalogue declares no native exemplar settings")
		}
	}
	f.Native = n
}

// isChildMethod reports whether a method returns the metric of one label set (or a curried
// vector): what is called on its result is called on the family.
func isChildMethod(name string) bool {
	switch name {
	case "WithLabelValues", "With", "GetMetricWithLabelValues", "GetMetricWith", "CurryWith", "MustCurryWith":
		return true
	}
	return false
}

// isRecording reports whether method records a value on a metric of kind k.
func isRecording(k catalog.Kind, method string) bool {
	switch k {
	case catalog.KindCounter:
		return method == "Inc" || method == "Add" || method == "AddWithExemplar"
	case catalog.KindGauge:
		switch method {
		case "Set", "SetToCurrentTime", "Inc", "Dec", "Add", "Sub":
			return true
		}
	case catalog.KindHistogram, catalog.KindSummary:
		return method == "Observe" || method == "ObserveWithExemplar"
	}
	return false
}

// applyEvents records what the code does with the metric.
func (a *analyzer) applyEvents(f *Family, events []event) {
	st := f.state
	for _, ev := range events {
		switch {
		case ev.method != "":
			if st.ctor.desc || st.ctor.observable || !isRecording(st.ctor.kind, ev.method) {
				continue
			}
			whole := false
			switch ev.method {
			case "Inc", "Dec":
				whole = true
			case "Add", "Sub", "Set", "AddWithExemplar":
				whole = ev.call != nil && len(ev.call.Args) >= 1 && a.isWhole(ev.call.Args[0], ev.pkg)
			}
			f.Uses = append(f.Uses, Use{Method: ev.method, Pos: a.pos(ev.pos), Whole: whole})
		case ev.fn != nil && isProm(ev.fn, "NewTimer"):
			if st.ctor.kind == catalog.KindHistogram || st.ctor.kind == catalog.KindSummary {
				f.Uses = append(f.Uses, Use{Method: "Observe", Pos: a.pos(ev.pos)})
			}
		case ev.fn != nil && st.ctor.desc && ev.arg == 0:
			if cu, ok := a.constUse(ev); ok {
				st.constUses = append(st.constUses, cu)
			}
		case ev.fn != nil && !isRegistration(ev.fn):
			if _, inLoad := a.decls[ev.fn.Origin()]; !inLoad {
				st.escapes = append(st.escapes, fmt.Sprintf("%s at %s", funcName(ev.fn), posString(a.pos(ev.pos))))
			}
		}
	}
}

// isRegistration reports whether fn registers or unregisters a collector, which says nothing
// of its kind.
func isRegistration(fn *types.Func) bool {
	switch fn.Name() {
	case "Register", "MustRegister", "Unregister":
		return true
	}
	return false
}

// funcName is fn as a note names it: pkg.Func or pkg.Type.Method.
func funcName(fn *types.Func) string {
	name := fn.Name()
	if r := recvName(fn); r != "" {
		name = r + "." + name
	}
	if fn.Pkg() != nil {
		name = fn.Pkg().Name() + "." + name
	}
	return name
}

// posString is FILE:LINE.
func posString(p token.Position) string { return p.Filename + ":" + strconv.Itoa(p.Line) }

// constUse reads a Desc's use as the first argument of a const metric constructor.
func (a *analyzer) constUse(ev event) (constUse, bool) {
	fn, call := ev.fn, ev.call
	if fn.Pkg() == nil || fn.Pkg().Path() != promPath || recvName(fn) != "" {
		return constUse{}, false
	}
	name := strings.TrimPrefix(fn.Name(), "Must")
	name = strings.TrimSuffix(name, "WithCreatedTimestamp")
	cu := constUse{pos: a.pos(ev.pos)}
	switch name {
	case "NewConstMetric":
		if len(call.Args) < 2 {
			return constUse{}, false
		}
		n, ok := a.integer(call.Args[1], ev.pkg)
		switch {
		case !ok:
			// The ValueType is computed: the kind is unknown.
		case n == int64(prometheus.CounterValue):
			cu.kind = catalog.KindCounter
		case n == int64(prometheus.GaugeValue):
			cu.kind = catalog.KindGauge
		case n == int64(prometheus.UntypedValue):
			cu.kind, cu.untyped = catalog.KindGauge, true
		}
	case "NewConstHistogram":
		cu.kind = catalog.KindHistogram
		if len(call.Args) >= 4 {
			cu.buckets = a.constBucketKeys(call.Args[3], ev.pkg)
		}
	case "NewConstSummary":
		cu.kind = catalog.KindSummary
	case "NewConstNativeHistogram":
		cu.kind, cu.native = catalog.KindHistogram, true
		// desc, count, sum, positive and negative buckets, zero bucket, schema, zero threshold.
		if len(call.Args) >= 8 {
			schema, sok := a.integer(call.Args[6], ev.pkg)
			zt, zok := a.float(call.Args[7], ev.pkg)
			if sok && zok && schema >= catalog.MinNativeSchema && schema <= catalog.MaxNativeSchema && zt >= 0 {
				cu.nativeDecl = &catalog.Native{Schema: int32(schema), MaxBuckets: catalog.DefaultNativeMaxBuckets, ZeroThreshold: zt}
			}
		}
	default:
		return constUse{}, false
	}
	return cu, true
}

// decide sets f's kind, observability and value type from what the code does with it, and
// returns what the person importing should know of the decision.
func decide(f *Family) []Note {
	st := f.state
	note := func(msg string) Note { return Note{Pos: f.Pos, Family: f.Name, Msg: msg} }
	var notes []Note
	switch {
	case st.ctor.desc:
		f.Observable, f.ValueType = true, catalog.ValueDouble
		if len(st.constUses) == 0 {
			f.Kind, st.kindGuessed = catalog.KindGauge, true
			notes = append(notes, note("no NewConstMetric, NewConstHistogram or NewConstSummary uses this Desc in the packages loaded, so its kind is unknown: an observable gauge is written unless a scrape shows its type"))
			return notes
		}
		first := st.constUses[0]
		for _, cu := range st.constUses[1:] {
			if cu.kind != first.kind && cu.kind != "" {
				notes = append(notes, Note{Pos: cu.pos, Family: f.Name, Msg: fmt.Sprintf("the Desc is used as a %s here and as a %s at %s: the first is written", kindText(cu.kind), kindText(first.kind), posString(first.pos))})
				break
			}
		}
		f.Kind = first.kind
		switch {
		case first.kind == "":
			f.Kind, st.kindGuessed = catalog.KindGauge, true
			notes = append(notes, Note{Pos: first.pos, Family: f.Name, Msg: "the ValueType is computed at run time, so the kind is unknown: an observable gauge is written unless a scrape shows its type"})
		case first.untyped:
			notes = append(notes, Note{Pos: first.pos, Family: f.Name, Msg: "UntypedValue: served untyped, imported as an observable gauge (which /metrics serves as a gauge): make it a counter if it only grows"})
		case first.native:
			f.Observable = false
			st.nativeOnly = true
			f.Native = first.nativeDecl
			if f.Native == nil {
				st.nativeComputed = true
			}
			notes = append(notes, Note{Pos: first.pos, Family: f.Name, Msg: "a collector's const native histogram: the catalogue has no observable histogram (OTel has no asynchronous one), so it is written as a native histogram the code records into with Record; max_buckets and min_reset_duration are the defaults"})
		case first.kind == catalog.KindHistogram:
			f.Observable = false
			f.Buckets = first.buckets
			if !first.buckets.Known {
				st.computed[optBuckets] = computed{pos: first.pos, expr: first.buckets.Expr}
			}
			notes = append(notes, Note{Pos: first.pos, Family: f.Name, Msg: "a collector's const histogram: the catalogue has no observable histogram (OTel has no asynchronous one), so it is written as a histogram the code records into with Record"})
		case first.kind == catalog.KindSummary:
			f.Observable = false
			f.Summary.Known = false
			st.computed[optObjectives] = computed{pos: first.pos, expr: "the quantiles of a const summary"}
			notes = append(notes, Note{Pos: first.pos, Family: f.Name, Msg: "a collector's const summary: the catalogue has no observable summary, so it is written as a summary the code records into with Record"})
		}
		return notes
	case st.ctor.observable:
		f.ValueType = catalog.ValueDouble
		if st.ctor.untyped {
			notes = append(notes, note("NewUntypedFunc: served untyped, imported as an observable gauge (which /metrics serves as a gauge): make it a counter if it only grows"))
		}
		return notes
	}
	f.Kind, f.ValueType = st.ctor.kind, catalog.ValueDouble
	whole := len(f.Uses) > 0
	var setters, movers []string
	for _, u := range f.Uses {
		whole = whole && u.Whole
		switch u.Method {
		case "Set", "SetToCurrentTime":
			setters = append(setters, u.Method+" at "+posString(u.Pos))
		case "Inc", "Dec", "Add", "Sub":
			movers = append(movers, u.Method+" at "+posString(u.Pos))
		}
	}
	switch f.Kind {
	case catalog.KindCounter:
		if whole {
			f.ValueType = catalog.ValueInt
		}
	case catalog.KindGauge:
		switch {
		case len(movers) > 0 && len(setters) == 0:
			f.Kind = catalog.KindUpDownCounter
		case len(movers) > 0:
			notes = append(notes, note(fmt.Sprintf("kept a gauge: the code sets it (%s) and moves it (%s); telediag's gauge records the value it is given, so replace the moves with a Record of the new value",
				shortList(setters), shortList(movers))))
		case len(setters) == 0:
			msg := "kept a gauge: the packages loaded neither set nor move it"
			if len(st.escapes) > 0 {
				msg += " (it is passed to " + shortList(st.escapes) + ", outside them)"
			}
			notes = append(notes, note(msg+"; make it updowncounter if the code adds and subtracts, and never sets"))
		}
		if whole {
			f.ValueType = catalog.ValueInt
		}
	}
	return notes
}

// shortList joins the first three items, and says how many more there are.
func shortList(items []string) string {
	if len(items) <= 3 {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:3], ", "), len(items)-3)
}

// kindText is a kind as a note names it.
func kindText(k catalog.Kind) string {
	if k == "" {
		return "metric of a computed ValueType"
	}
	return string(k)
}

// mergeFamilies keeps one family per name: the first in file order, with the uses of every
// definition of the name (a family defined in a function called from several places, or in two
// binaries of ./...), decides the kinds, and returns the families in name order with the notes.
func mergeFamilies(fams []*Family, notes []Note) ([]*Family, []Note) {
	slices.SortStableFunc(fams, func(x, y *Family) int {
		return cmp.Or(strings.Compare(x.Name, y.Name), strings.Compare(x.Pos.Filename, y.Pos.Filename), cmp.Compare(x.Pos.Line, y.Pos.Line), cmp.Compare(x.Pos.Column, y.Pos.Column))
	})
	var out []*Family
	for _, f := range fams {
		if len(out) > 0 && out[len(out)-1].Name == f.Name {
			first := out[len(out)-1]
			if first.state == nil || f.state == nil {
				continue
			}
			if diff := differs(first, f); diff != "" {
				notes = append(notes, Note{Pos: f.Pos, Family: f.Name, Msg: fmt.Sprintf("defined again with %s than at %s: the first definition is written", diff, posString(first.Pos))})
			}
			first.Uses = append(first.Uses, f.Uses...)
			first.state.constUses = append(first.state.constUses, f.state.constUses...)
			first.state.escapes = append(first.state.escapes, f.state.escapes...)
			continue
		}
		out = append(out, f)
	}
	for _, f := range out {
		if f.state != nil {
			notes = append(notes, decide(f)...)
		}
	}
	return out, notes
}

// differs names what two definitions of one family disagree on, "" when nothing.
func differs(x, y *Family) string {
	switch {
	case x.state.ctor != y.state.ctor:
		return "another constructor (" + y.Constructor + ")"
	case x.LabelsKnown && y.LabelsKnown && !slices.Equal(x.Labels, y.Labels):
		return "other labels " + fmt.Sprintf("%q", y.Labels)
	case x.Buckets.Known && y.Buckets.Known && !slices.Equal(x.Buckets.Values, y.Buckets.Values):
		return "other buckets"
	case x.HelpKnown && y.HelpKnown && x.Help != y.Help:
		return "another help"
	}
	return ""
}
