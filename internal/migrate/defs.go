package migrate

import (
	"fmt"
	"go/ast"
	"go/constant"
	"go/types"
	"slices"
	"sort"
	"strconv"
	"strings"

	"golang.org/x/tools/go/types/typeutil"

	"github.com/telediag/telediag/internal/catalog"
)

// The client_golang packages the fixer reads.
const (
	promPkg        = "github.com/prometheus/client_golang/prometheus"
	promautoPkg    = "github.com/prometheus/client_golang/prometheus/promauto"
	promhttpPkg    = "github.com/prometheus/client_golang/prometheus/promhttp"
	collectorsPkg  = "github.com/prometheus/client_golang/prometheus/collectors"
	telemetryPkg   = "github.com/telediag/telediag/telemetry"
	contextPkg     = "context"
	netHTTPPkg     = "net/http"
	otelMetricPath = "go.opentelemetry.io/otel/metric"
)

// codeKind is the kind of metric a client_golang constructor makes.
type codeKind int

const (
	codeCounter codeKind = iota + 1
	codeGauge
	codeHistogram
	codeSummary
	codeFunc // CounterFunc, GaugeFunc, UntypedFunc: read by a callback
)

// ctor describes a client_golang constructor.
type ctor struct {
	kind codeKind
	vec  bool
}

// ctors are the constructors of prometheus and promauto (functions, and promauto.Factory's
// methods of the same names).
var ctors = map[string]ctor{
	"NewCounter": {codeCounter, false}, "NewCounterVec": {codeCounter, true},
	"NewGauge": {codeGauge, false}, "NewGaugeVec": {codeGauge, true},
	"NewHistogram": {codeHistogram, false}, "NewHistogramVec": {codeHistogram, true},
	"NewSummary": {codeSummary, false}, "NewSummaryVec": {codeSummary, true},
	"NewCounterFunc": {codeFunc, false}, "NewGaugeFunc": {codeFunc, false}, "NewUntypedFunc": {codeFunc, false},
}

// def is one client_golang metric definition: a constructor call.
type def struct {
	key   string // the call's position, as posKey gives it
	pkg   string // the import path of the package it is in
	where string // FILE:LINE, for messages
	call  string // what was called, e.g. promauto.NewCounterVec
	name  string // the exposed name, when the options give it as constants
	kind  codeKind
	vec   bool
	// metric is the catalogue's metric of that name; nil when there is none.
	metric *catalog.Metric
	// labels are the variable labels in the definition's order; constLabels the constant ones.
	labels      []string
	constLabels map[string]string
	// native are the native-histogram options the definition sets, which the rewrite drops
	// unless the catalogue's entry declares native:.
	native []string
	// refused, when set, is why the metric stays on client_golang, with the place that decided it.
	refused string
	// intrinsic: refused for what the definition itself says, so its uses are not judged.
	intrinsic bool
	// onDefault: promauto's function (not promauto.With(reg)'s) registers it on client_golang's
	// default registry.
	onDefault bool
}

// ok reports whether the definition is rewritten.
func (d *def) ok() bool { return d.refused == "" }

// labelArgs maps the label values of a WithLabelValues or With call (by the definition's label
// names) to the generated method's parameters, in the catalogue's order: the value of the
// catalogue's label key K is the one the code gave under K, wherever the code declared it.
// Constant labels take their constant value.
func (d *def) labelArgs(byName map[string]string) []string {
	out := make([]string, 0, len(d.metric.Labels))
	for _, l := range d.metric.Labels {
		if v, ok := byName[l.Key]; ok {
			out = append(out, v)
		} else {
			out = append(out, strconv.Quote(d.constLabels[l.Key]))
		}
	}
	return out
}

// isPkgFunc reports whether fn is the function (or method) name of package path.
func isPkgFunc(fn *types.Func, path string, names ...string) bool {
	return fn != nil && fn.Pkg() != nil && fn.Pkg().Path() == path && slices.Contains(names, fn.Name())
}

// calleeOf is the function or method call calls, if it is one known statically.
func calleeOf(info *types.Info, call *ast.CallExpr) *types.Func {
	fn, _ := typeutil.Callee(info, call).(*types.Func)
	return fn
}

// defOf reads call as a client_golang definition; nil when it is none. where locates it.
func defOf(info *types.Info, call *ast.CallExpr, key, where string, cat *catalog.Catalog) *def {
	fn := calleeOf(info, call)
	if fn == nil || fn.Pkg() == nil || (fn.Pkg().Path() != promPkg && fn.Pkg().Path() != promautoPkg) {
		return nil
	}
	c, ok := ctors[fn.Name()]
	if !ok {
		return nil
	}
	pkgName := "prometheus"
	if fn.Pkg().Path() == promautoPkg {
		pkgName = "promauto"
	}
	d := &def{key: key, where: where, call: pkgName + "." + fn.Name(), kind: c.kind, vec: c.vec,
		onDefault: pkgName == "promauto" && fn.Signature().Recv() == nil}
	refuse := func(format string, args ...any) *def {
		d.refused, d.intrinsic = fmt.Sprintf(format, args...), true
		return d
	}
	if len(call.Args) == 0 {
		return refuse("%s without options", d.call)
	}
	opts, err := readOpts(info, call.Args[0])
	if err != nil {
		return refuse("%s: %v", d.call, err)
	}
	d.name, d.constLabels, d.native = opts.name, opts.constLabels, opts.native
	if c.kind == codeFunc {
		return refuse("%s is read by a callback at collection: declare %s observable: true and Register the callback on the generated instrument", d.call, d.name)
	}
	if c.vec {
		if len(call.Args) < 2 {
			return refuse("%s without label names", d.call)
		}
		labels, err := stringList(info, call.Args[1])
		if err != nil {
			return refuse("%s: label names: %v", d.call, err)
		}
		if len(labels) == 0 {
			return refuse("%s without label names: a vector of one series; make it a %s", d.call, strings.TrimSuffix(d.call, "Vec"))
		}
		d.labels = labels
	}
	d.metric = cat.Metric(d.name)
	if d.metric == nil {
		return refuse("%s is not in %s: import it (instrumentgen import) or declare it", d.name, cat.File)
	}
	if reason := compatible(d, d.metric); reason != "" {
		return refuse("%s", reason)
	}
	return d
}

// compatible says why the catalogue's metric m cannot take d's calls, or "".
func compatible(d *def, m *catalog.Metric) string {
	if !m.Generated() {
		return fmt.Sprintf("%s is provided_by %s in the catalogue, not generated", m.Name, m.ProvidedBy)
	}
	if m.Observable {
		return fmt.Sprintf("%s is observable in the catalogue: its value comes from a callback, and %s's calls have no counterpart", m.Name, d.call)
	}
	kinds := map[codeKind][]catalog.Kind{
		codeCounter:   {catalog.KindCounter, catalog.KindUpDownCounter},
		codeGauge:     {catalog.KindGauge, catalog.KindUpDownCounter, catalog.KindCounter},
		codeHistogram: {catalog.KindHistogram},
		codeSummary:   {catalog.KindHistogram, catalog.KindSummary},
	}[d.kind]
	if !slices.Contains(kinds, m.Kind) {
		return fmt.Sprintf("%s defines %s, which the catalogue declares a %s", d.call, m.Name, m.Kind)
	}
	code := append(slices.Clone(d.labels), keysOf(d.constLabels)...)
	if dup := duplicate(code); dup != "" {
		return fmt.Sprintf("%s declares the label %s twice", d.call, dup)
	}
	want := m.LabelKeys()
	if !sameSet(code, want) {
		return fmt.Sprintf("%s declares the labels [%s] and the catalogue's %s [%s]", d.call, strings.Join(sorted(code), " "), m.Name, strings.Join(sorted(want), " "))
	}
	return ""
}

// opts is what the fixer reads of a metric's options.
type opts struct {
	name        string
	constLabels map[string]string
	// native are the native-histogram options set (NativeHistogramBucketFactor…), which the
	// catalogue carries only as its entry's native:.
	native []string
}

// readOpts evaluates Namespace, Subsystem and Name (prometheus.BuildFQName) and ConstLabels of
// an options literal, and names the native-histogram options it sets; anything else of it
// (Help, Buckets…) the catalogue now holds.
func readOpts(info *types.Info, e ast.Expr) (opts, error) {
	lit, ok := ast.Unparen(e).(*ast.CompositeLit)
	if !ok {
		return opts{}, fmt.Errorf("the options are not a composite literal, so the exposed name cannot be read")
	}
	var o opts
	var ns, sub, name string
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			return opts{}, fmt.Errorf("the options literal has no field names")
		}
		key, _ := kv.Key.(*ast.Ident)
		if key == nil {
			continue
		}
		switch key.Name {
		case "Namespace", "Subsystem", "Name":
			s, ok := constString(info, kv.Value)
			if !ok {
				return opts{}, fmt.Errorf("%s is not a constant, so the exposed name cannot be read", key.Name)
			}
			switch key.Name {
			case "Namespace":
				ns = s
			case "Subsystem":
				sub = s
			default:
				name = s
			}
		case "ConstLabels":
			m, err := stringMap(info, kv.Value)
			if err != nil {
				return opts{}, fmt.Errorf("ConstLabels: %v", err)
			}
			o.constLabels = m
		default:
			if strings.HasPrefix(key.Name, "NativeHistogram") {
				o.native = append(o.native, key.Name)
			}
		}
	}
	o.name = buildFQName(ns, sub, name)
	if o.name == "" {
		return opts{}, fmt.Errorf("no Name")
	}
	return o, nil
}

// buildFQName is prometheus.BuildFQName: the non-empty parts joined by underscores, nothing
// without a name.
func buildFQName(ns, sub, name string) string {
	if name == "" {
		return ""
	}
	var parts []string
	for _, p := range []string{ns, sub, name} {
		if p != "" {
			parts = append(parts, p)
		}
	}
	return strings.Join(parts, "_")
}

// constString is e's value when it is a constant string.
func constString(info *types.Info, e ast.Expr) (string, bool) {
	tv, ok := info.Types[e]
	if !ok || tv.Value == nil || tv.Value.Kind() != constant.String {
		return "", false
	}
	return constant.StringVal(tv.Value), true
}

// stringList reads a []string literal of constants (nil for nil).
func stringList(info *types.Info, e ast.Expr) ([]string, error) {
	e = ast.Unparen(e)
	if id, ok := e.(*ast.Ident); ok && id.Name == "nil" {
		return nil, nil
	}
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil, fmt.Errorf("not a []string literal")
	}
	var out []string
	for _, elt := range lit.Elts {
		s, ok := constString(info, elt)
		if !ok {
			return nil, fmt.Errorf("an element is not a constant")
		}
		out = append(out, s)
	}
	return out, nil
}

// stringMap reads a prometheus.Labels (or map[string]string) literal of constants.
func stringMap(info *types.Info, e ast.Expr) (map[string]string, error) {
	e = ast.Unparen(e)
	if id, ok := e.(*ast.Ident); ok && id.Name == "nil" {
		return nil, nil
	}
	lit, ok := e.(*ast.CompositeLit)
	if !ok {
		return nil, fmt.Errorf("not a map literal")
	}
	out := map[string]string{}
	for _, elt := range lit.Elts {
		kv, ok := elt.(*ast.KeyValueExpr)
		if !ok {
			return nil, fmt.Errorf("not a map literal")
		}
		k, ok1 := constString(info, kv.Key)
		v, ok2 := constString(info, kv.Value)
		if !ok1 || !ok2 {
			return nil, fmt.Errorf("a key or value is not a constant")
		}
		out[k] = v
	}
	return out, nil
}

func keysOf(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func sorted(s []string) []string {
	out := slices.Clone(s)
	sort.Strings(out)
	return out
}

func sameSet(a, b []string) bool { return slices.Equal(sorted(a), sorted(b)) }

func duplicate(s []string) string {
	seen := map[string]bool{}
	for _, x := range s {
		if seen[x] {
			return x
		}
		seen[x] = true
	}
	return ""
}
