package catalog

import (
	"errors"
	"fmt"
	"math"
	"os"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"gopkg.in/yaml.v3"
)

// Load reads and validates the catalogue at path.
func Load(path string) (*Catalog, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	return Parse(path, data)
}

// Parse validates data, naming it file in problems. On any problem it returns a nil Catalog and
// a Problems error holding all of them.
func Parse(file string, data []byte) (*Catalog, error) {
	c, problems := parse(file, data)
	if len(problems) > 0 {
		return nil, problems
	}
	return c, nil
}

// ParsePartial is Parse for a report: when the catalogue has problems, it also returns what
// could be read of it (the declared labels and every metric with a name, as far as they
// validate), so that a caller can check more, such as Go identifiers, and report everything in
// one run. Never generate from a partial catalogue.
func ParsePartial(file string, data []byte) (*Catalog, error) {
	c, problems := parse(file, data)
	if len(problems) > 0 {
		return c, problems
	}
	return c, nil
}

// parse validates data and returns the catalogue as far as it could be read, with its problems
// in line order.
func parse(file string, data []byte) (*Catalog, Problems) {
	p := &parser{file: file, cat: &Catalog{File: file}}
	p.parse(data)
	sort.SliceStable(p.problems, func(i, j int) bool { return p.problems[i].Line < p.problems[j].Line })
	return p.cat, p.problems
}

var (
	// metricNameRE is the intersection of the OTel SDK's instrument-name rule
	// (^[A-Za-z][A-Za-z0-9_.\-/]{0,254}$) and the characters the Prometheus exporter keeps
	// verbatim under UnderscoreEscapingWithoutSuffixes ([a-zA-Z0-9_:]).
	metricNameRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]{0,254}$`)
	// labelKeyRE is a Prometheus label name the exporter keeps verbatim: it collapses repeated
	// underscores and prefixes a leading digit, so neither is allowed.
	labelKeyRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(_[A-Za-z0-9]+)*$`)
	// labelIDRE keeps label IDs usable as Go identifiers after camel-casing.
	labelIDRE = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)
	// yamlLineRE finds the line in yaml.v3's syntax errors ("yaml: line 3: ...").
	yamlLineRE = regexp.MustCompile(`line (\d+):`)
)

var (
	topKeys    = []string{"labels", "metrics", "undeclared"}
	labelKeys  = []string{"key", "description", "enum"}
	metricKeys = append([]string{"name", "section", "kind", "value_type", "observable", "unit", "description", "labels", "buckets", "native", "objectives", "max_age", "age_buckets", "provided_by"}, lifecycleKeys...)
	providers  = []string{ProvidedByGoCollector, ProvidedByProcessCollector, ProvidedByPromHTTP, ProvidedByOTelRuntime}
	kinds      = []string{string(KindCounter), string(KindUpDownCounter), string(KindGauge), string(KindHistogram), string(KindSummary)}
	valueTypes = []string{string(ValueInt), string(ValueDouble)}
	// reservedLabelKeys are added by Prometheus itself to histograms and summaries.
	reservedLabelKeys = map[string]bool{"le": true, "quantile": true}
)

type parser struct {
	file     string
	cat      *Catalog
	problems Problems
	labels   map[string]*Label
	used     map[string]bool
}

// addf records a problem at line of the kind given. about holds what it is about (Subject,
// Metric, Label): Problem{} for the file, else metricProblem or labelProblem.
func (p *parser) addf(line int, about Problem, kind ProblemKind, format string, args ...any) {
	about.File, about.Line, about.Kind, about.Msg = p.file, line, kind, fmt.Sprintf(format, args...)
	p.problems = append(p.problems, about)
}

// metricProblem is what a problem about the metric entry called name is about; name is empty
// for an entry without one.
func metricProblem(name string) Problem { return Problem{Subject: SubjectMetric, Metric: name} }

// labelProblem is what a problem about the declared label id is about.
func labelProblem(id string) Problem { return Problem{Subject: SubjectLabel, Label: id} }

func (p *parser) parse(data []byte) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		line := 1
		if m := yamlLineRE.FindStringSubmatch(err.Error()); m != nil {
			line, _ = strconv.Atoi(m[1])
		}
		msg := strings.TrimPrefix(err.Error(), "yaml: ")
		msg = yamlLineRE.ReplaceAllString(msg, "") // the line is already in FILE:LINE
		p.addf(line, Problem{}, ProblemSyntax, "invalid YAML: %s", strings.TrimSpace(msg))
		return
	}
	if doc.Kind == 0 || len(doc.Content) == 0 {
		p.addf(1, Problem{}, ProblemSyntax, "empty file: want a mapping with labels and metrics")
		return
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		p.addf(root.Line, Problem{}, ProblemSyntax, "top level must be a mapping with labels and metrics, not a %s", kindName(root))
		return
	}
	fields := p.fields(root, Problem{}, topKeys)
	p.labels = map[string]*Label{}
	p.used = map[string]bool{}
	if n, ok := fields["labels"]; ok {
		p.parseLabels(n)
	}
	n, ok := fields["metrics"]
	if !ok {
		p.addf(root.Line, Problem{}, ProblemKey, "missing required key metrics")
		return
	}
	p.parseMetrics(n)
	if u, ok := fields["undeclared"]; ok {
		p.parseUndeclared(u)
		p.checkUndeclaredOverlap()
		p.checkRenamedUndeclared()
	}
	for _, l := range p.cat.Labels {
		if !p.used[l.ID] {
			p.addf(l.Line, labelProblem(l.ID), ProblemReference, "declared but used by no metric")
		}
	}
}

// fields checks a mapping's keys against allowed and returns the value nodes by key. Unknown
// and repeated keys are problems.
func (p *parser) fields(n *yaml.Node, about Problem, allowed []string) map[string]*yaml.Node {
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		switch {
		case !contains(allowed, k.Value):
			p.addf(k.Line, about, ProblemKey, "unknown key %q (allowed: %s)", k.Value, strings.Join(allowed, ", "))
		case out[k.Value] != nil:
			p.addf(k.Line, about, ProblemKey, "key %q repeated (first at line %d)", k.Value, out[k.Value].Line)
		default:
			out[k.Value] = v
		}
	}
	return out
}

func (p *parser) parseLabels(n *yaml.Node) {
	if n.Kind != yaml.MappingNode {
		p.addf(n.Line, Problem{}, ProblemSyntax, "labels must be a mapping of label IDs, not a %s", kindName(n))
		return
	}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		about := labelProblem(k.Value)
		if prev, dup := p.labels[k.Value]; dup {
			p.addf(k.Line, about, ProblemDuplicate, "declared twice (first at line %d)", prev.Line)
			continue
		}
		l := &Label{ID: k.Value, Key: k.Value, Line: k.Line}
		if !labelIDRE.MatchString(l.ID) {
			p.addf(k.Line, about, ProblemName, "label ID must be lower snake_case ([a-z][a-z0-9_]*, no repeated or trailing underscores)")
		}
		p.labels[l.ID] = l
		p.cat.Labels = append(p.cat.Labels, l)
		if v.Kind != yaml.MappingNode {
			p.addf(v.Line, about, ProblemSyntax, "must be a mapping with key, description and enum, not a %s", kindName(v))
			continue
		}
		f := p.fields(v, about, labelKeys)
		if kn, ok := f["key"]; ok {
			l.Key = p.str(kn, about, "key")
		}
		if !labelKeyRE.MatchString(l.Key) {
			p.addf(lineOf(f["key"], k), about, ProblemName, "label key %q would be rewritten by the Prometheus exporter: want [A-Za-z][A-Za-z0-9]* words joined by single underscores", l.Key)
		} else if reservedLabelKeys[l.Key] {
			p.addf(lineOf(f["key"], k), about, ProblemName, "label key %q is reserved by Prometheus for histograms and summaries", l.Key)
		} else if l.Key == "job" || l.Key == "instance" {
			p.addf(lineOf(f["key"], k), about, ProblemName, "label key %q is the target label Prometheus attaches to every scraped series: a series that brings its own is stored with exported_%s instead, so queries on %q would not find it; choose another key", l.Key, l.Key, l.Key)
		}
		l.Description = p.description(f, k.Line, about)
		if e, ok := f["enum"]; ok {
			l.Enum = p.strList(e, about, "enum")
			if len(l.Enum) == 0 && e.Kind == yaml.SequenceNode {
				p.addf(e.Line, about, ProblemValue, "enum is empty: leave it out if the values are open")
			}
			seen := map[string]bool{}
			for i, val := range l.Enum {
				switch {
				case val == "":
					p.addf(e.Content[i].Line, about, ProblemValue, "enum value is empty")
				case seen[val]:
					p.addf(e.Content[i].Line, about, ProblemDuplicate, "enum value %q repeated", val)
				}
				seen[val] = true
			}
		}
	}
}

func (p *parser) parseMetrics(n *yaml.Node) {
	if n.Kind != yaml.SequenceNode {
		p.addf(n.Line, Problem{}, ProblemSyntax, "metrics must be a list, not a %s", kindName(n))
		return
	}
	if len(n.Content) == 0 {
		p.addf(n.Line, Problem{}, ProblemValue, "metrics is empty")
	}
	byName := map[string]*Metric{}
	for _, mn := range n.Content {
		if mn.Kind != yaml.MappingNode {
			p.addf(mn.Line, Problem{}, ProblemSyntax, "a metric must be a mapping, not a %s", kindName(mn))
			continue
		}
		m := p.parseMetric(mn)
		if m == nil {
			continue
		}
		if prev, dup := byName[m.Name]; dup {
			p.addf(m.Line, metricProblem(m.Name), ProblemDuplicate, "duplicate name (first declared at line %d)", prev.Line)
			continue
		}
		byName[m.Name] = m
		p.cat.Metrics = append(p.cat.Metrics, m)
	}
	p.checkSeriesCollisions()
	p.checkLifecycle()
}

// parseMetric validates one metric entry. It returns nil only when the entry has no usable
// name; every other problem is recorded and the metric is still returned so that later checks
// (duplicates, collisions, unused labels) see it.
func (p *parser) parseMetric(n *yaml.Node) *Metric {
	nameNode := valueOf(n, "name")
	about := metricProblem("")
	if nameNode != nil {
		about.Metric = nameNode.Value
	}
	f := p.fields(n, about, metricKeys)
	m := &Metric{Line: n.Line}
	if nn, ok := f["name"]; ok {
		m.Name = p.str(nn, about, "name")
		if !metricNameRE.MatchString(m.Name) {
			p.addf(nn.Line, about, ProblemName, "name %q is not kept verbatim: the OTel SDK and the Prometheus exporter need [A-Za-z][A-Za-z0-9_]*, at most 255 characters", m.Name)
		}
	} else {
		p.addf(n.Line, about, ProblemKey, "missing required key name")
	}
	if s, ok := f["section"]; ok {
		m.Section = p.str(s, about, "section")
	}
	m.Description = p.description(f, n.Line, about)
	if u, ok := f["unit"]; ok {
		m.Unit = p.str(u, about, "unit")
		if err := ValidateUnit(m.Unit); err != nil {
			p.addf(u.Line, about, ProblemValue, "%v", err)
		}
	} else {
		p.addf(n.Line, about, ProblemKey, "missing required key unit")
	}
	if pb, ok := f["provided_by"]; ok {
		m.ProvidedBy = p.oneOf(pb, about, "provided_by", providers)
		if m.ProvidedBy == "" {
			m.ProvidedBy = "?" // keep it a provided metric for the checks below
		}
	}
	if k, ok := f["kind"]; ok {
		m.Kind = Kind(p.oneOf(k, about, "kind", kinds))
	} else {
		p.addf(n.Line, about, ProblemKey, "missing required key kind")
	}
	vt, hasVT := f["value_type"]
	switch {
	case hasVT && !m.Generated():
		p.addf(vt.Line, about, ProblemUnsupported, "value_type has no effect on a provided_by metric")
	case hasVT:
		m.ValueType = ValueType(p.oneOf(vt, about, "value_type", valueTypes))
	case m.Generated():
		p.addf(n.Line, about, ProblemKey, "missing required key value_type (int or double)")
	}
	if o, ok := f["observable"]; ok {
		m.Observable = p.boolean(o, about, "observable")
		switch {
		case m.Observable && !m.Generated():
			p.addf(o.Line, about, ProblemUnsupported, "observable has no effect on a provided_by metric")
		case m.Observable && m.Kind == KindHistogram:
			p.addf(o.Line, about, ProblemUnsupported, "a histogram cannot be observable: OTel has no asynchronous histogram")
		case m.Observable && m.Kind == KindSummary:
			p.addf(o.Line, about, ProblemUnsupported, "a summary cannot be observable: its quantiles come from every value observed, not from one value read at collection")
		}
	}
	p.summaryFields(m, f, n, about)
	if l, ok := f["labels"]; ok {
		p.metricLabels(m, l, about)
	}
	nat, hasNative := f["native"]
	if hasNative {
		if m.Kind != KindHistogram || !m.Generated() {
			p.addf(nat.Line, about, ProblemUnsupported, "native is only valid on a generated histogram, not on a %s", describeKind(m))
		} else {
			m.Native = p.native(nat, about)
		}
	}
	if b, ok := f["buckets"]; ok {
		if m.Kind != KindHistogram || !m.Generated() {
			p.addf(b.Line, about, ProblemUnsupported, "buckets are only valid on a generated histogram, not on a %s", describeKind(m))
		} else {
			m.Buckets, m.BucketsSpec = p.buckets(b, about)
		}
	} else if m.Kind == KindHistogram && m.Generated() && !hasNative {
		p.addf(n.Line, about, ProblemKey, "missing required key buckets (or native): OTel's default buckets (0, 5, 10, … 10000) suit no unit here")
	}
	p.parseLifecycle(m, f, about)
	if m.Name == "" {
		return nil
	}
	return m
}

func (p *parser) metricLabels(m *Metric, n *yaml.Node, about Problem) {
	ids := p.strList(n, about, "labels")
	seenKeys := map[string]string{}
	for i, id := range ids {
		line := n.Content[i].Line
		l, ok := p.labels[id]
		if !ok {
			p.addf(line, about, ProblemReference, "label %q is not declared under labels", id)
			continue
		}
		p.used[id] = true
		if other, dup := seenKeys[l.Key]; dup {
			p.addf(line, about, ProblemCollision, "labels %s and %s are both exposed as %q", other, id, l.Key)
			continue
		}
		seenKeys[l.Key] = id
		m.Labels = append(m.Labels, l)
	}
}

// buckets accepts an explicit list or one of exponential{start,factor,count} and
// linear{start,width,count}, the two generators Teleport uses (client_golang's
// ExponentialBuckets and LinearBuckets).
func (p *parser) buckets(n *yaml.Node, about Problem) ([]float64, string) {
	var bounds []float64
	var spec string
	switch n.Kind {
	case yaml.SequenceNode:
		for _, c := range n.Content {
			v, ok := p.number(c, about, "buckets")
			if !ok {
				return nil, ""
			}
			bounds = append(bounds, v)
		}
		if len(bounds) == 0 {
			p.addf(n.Line, about, ProblemValue, "buckets is empty")
			return nil, ""
		}
		spec = "explicit"
	case yaml.MappingNode:
		f := p.fields(n, about, []string{"exponential", "linear"})
		if len(f) != 1 {
			if len(n.Content) == 0 || len(f) > 1 {
				p.addf(n.Line, about, ProblemValue, "buckets must be a list or exactly one of exponential, linear")
			}
			return nil, ""
		}
		for form, g := range f {
			second := map[string]string{"exponential": "factor", "linear": "width"}[form]
			if g.Kind != yaml.MappingNode {
				p.addf(g.Line, about, ProblemSyntax, "buckets.%s must be a mapping with start, %s and count", form, second)
				return nil, ""
			}
			gf := p.fields(g, about, []string{"start", second, "count"})
			vals := map[string]float64{}
			for _, key := range []string{"start", second, "count"} {
				vn, ok := gf[key]
				if !ok {
					p.addf(g.Line, about, ProblemKey, "buckets.%s: missing required key %s", form, key)
					return nil, ""
				}
				v, ok := p.number(vn, about, "buckets."+form+"."+key)
				if !ok {
					return nil, ""
				}
				vals[key] = v
			}
			count := vals["count"]
			if count < 1 || count > 1000 || count != math.Trunc(count) {
				p.addf(gf["count"].Line, about, ProblemValue, "buckets.%s.count must be a whole number from 1 to 1000, not %v", form, count)
				return nil, ""
			}
			start, step := vals["start"], vals[second]
			switch {
			case form == "exponential" && start <= 0:
				p.addf(gf["start"].Line, about, ProblemValue, "buckets.exponential.start must be > 0, not %v", start)
				return nil, ""
			case form == "exponential" && step <= 1:
				p.addf(gf["factor"].Line, about, ProblemValue, "buckets.exponential.factor must be > 1, not %v", step)
				return nil, ""
			case form == "linear" && step <= 0:
				p.addf(gf["width"].Line, about, ProblemValue, "buckets.linear.width must be > 0, not %v", step)
				return nil, ""
			}
			// Computed exactly as client_golang does, so the boundaries match Teleport's bit for bit.
			v := start
			for i := 0; i < int(count); i++ {
				bounds = append(bounds, v)
				if form == "exponential" {
					v *= step
				} else {
					v += step
				}
			}
			spec = fmt.Sprintf("%s(start %s, %s %s, count %d)", form, formatFloat(start), second, formatFloat(step), int(count))
		}
	default:
		p.addf(n.Line, about, ProblemSyntax, "buckets must be a list or exactly one of exponential, linear, not a %s", kindName(n))
		return nil, ""
	}
	for i, b := range bounds {
		if math.IsInf(b, 0) || math.IsNaN(b) {
			p.addf(n.Line, about, ProblemValue, "bucket boundary %v is not finite (+Inf is implicit)", b)
			return nil, ""
		}
		if i > 0 && b <= bounds[i-1] {
			p.addf(n.Line, about, ProblemValue, "buckets must be strictly increasing: %s follows %s", formatFloat(b), formatFloat(bounds[i-1]))
			return nil, ""
		}
	}
	return bounds, spec
}

// The bounds of a summary's sliding window. An observation is inserted into every age bucket,
// so their number multiplies the work of each observation; and a bucket shorter than a second
// holds fewer observations than a scrape interval sees, so its quantiles would jump between
// scrapes.
const (
	maxAgeBuckets     = 100
	minAgeBucketWidth = time.Second
)

// summaryFields reads objectives, max_age and age_buckets, which only a generated summary has.
// An absent field takes client_golang's default: no objectives means a summary of count and
// sum only (client_golang's since v0.10), whose quantile window then has nothing to do.
func (p *parser) summaryFields(m *Metric, f map[string]*yaml.Node, entry *yaml.Node, about Problem) {
	obj, hasObj := f["objectives"]
	age, hasAge := f["max_age"]
	ab, hasAB := f["age_buckets"]
	if m.Kind != KindSummary || !m.Generated() {
		for _, key := range []string{"objectives", "max_age", "age_buckets"} {
			if n, ok := f[key]; ok {
				p.addf(n.Line, about, ProblemUnsupported, "%s is only valid on a generated summary, not on a %s", key, describeKind(m))
			}
		}
		return
	}
	if !hasObj {
		for _, key := range []string{"max_age", "age_buckets"} {
			if n, ok := f[key]; ok {
				p.addf(n.Line, about, ProblemUnsupported, "%s has no effect on a summary without objectives: it keeps no quantiles, and its count and sum never age", key)
			}
		}
		return
	}
	m.Objectives = p.objectives(obj, about)
	m.MaxAge, m.AgeBuckets = DefaultMaxAge, DefaultAgeBuckets
	ageOK, abOK := true, true
	if hasAge {
		d, err := time.ParseDuration(age.Value)
		switch {
		case age.Kind != yaml.ScalarNode || age.Tag != "!!str" || err != nil:
			p.addf(age.Line, about, ProblemValue, "max_age must be a duration such as 10m or 90s, not %q", age.Value)
			ageOK = false
		case d <= 0:
			p.addf(age.Line, about, ProblemValue, "max_age must be positive, not %s", age.Value)
			ageOK = false
		default:
			m.MaxAge = d
		}
	}
	if hasAB {
		v, ok := p.number(ab, about, "age_buckets")
		switch {
		case !ok:
			abOK = false
		case v < 1 || v > maxAgeBuckets || v != math.Trunc(v):
			p.addf(ab.Line, about, ProblemValue, "age_buckets must be a whole number from 1 to %d, not %v: every observation is inserted into every age bucket", maxAgeBuckets, v)
			abOK = false
		default:
			m.AgeBuckets = uint32(v)
		}
	}
	if ageOK && abOK && m.MaxAge/time.Duration(m.AgeBuckets) < minAgeBucketWidth {
		line := entry.Line
		if hasAge {
			line = age.Line
		} else if hasAB {
			line = ab.Line
		}
		p.addf(line, about, ProblemValue, "max_age %s over %d age buckets slides the window by less than %s: quantiles would be read from a handful of observations and jump between scrapes", m.MaxAge, m.AgeBuckets, minAgeBucketWidth)
	}
}

// objectives reads a mapping from quantile to allowed error, client_golang's
// SummaryOpts.Objectives, sorted by quantile.
func (p *parser) objectives(n *yaml.Node, about Problem) []Objective {
	if n.Kind != yaml.MappingNode {
		p.addf(n.Line, about, ProblemSyntax, "objectives must be a mapping from quantile to allowed error, such as {0.5: 0.05, 0.99: 0.001}, not a %s", kindName(n))
		return nil
	}
	if len(n.Content) == 0 {
		p.addf(n.Line, about, ProblemValue, "objectives is empty: leave it out for a summary of count and sum only")
		return nil
	}
	var out []Objective
	first := map[float64]int{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		q, ok := p.number(k, about, "objectives quantile")
		if !ok {
			continue
		}
		e, ok := p.number(v, about, "objectives["+k.Value+"]")
		if !ok {
			continue
		}
		if line, dup := first[q]; dup {
			p.addf(k.Line, about, ProblemDuplicate, "objectives: quantile %s repeated (first at line %d)", k.Value, line)
			continue
		}
		first[q] = k.Line
		switch {
		case !(q > 0 && q < 1):
			p.addf(k.Line, about, ProblemValue, "objectives: quantile %s must be between 0 and 1, both excluded", k.Value)
			continue
		case !(e > 0 && e < math.Min(q, 1-q)):
			p.addf(v.Line, about, ProblemValue, "objectives: the error allowed on quantile %s must be above 0 and below %s (its distance to 0 or 1), not %s; client_golang's examples are 0.5: 0.05, 0.9: 0.01, 0.99: 0.001", k.Value, strconv.FormatFloat(math.Min(q, 1-q), 'g', 10, 64), v.Value)
			continue
		}
		out = append(out, Objective{Quantile: q, Error: e})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Quantile < out[j].Quantile })
	return out
}

// checkSeriesCollisions finds families whose exposed series names clash: a histogram foo owns
// foo_bucket, foo_sum and foo_count, and a second family with one of those names would make
// the scrape fail.
func (p *parser) checkSeriesCollisions() {
	owner := map[string]*Metric{}
	for _, m := range p.cat.Metrics {
		for _, s := range m.Series() {
			if o, ok := owner[s]; ok && o != m {
				p.addf(m.Line, metricProblem(m.Name), ProblemCollision, "exposes series %s, which metric %s (line %d) also exposes", s, o.Name, o.Line)
				continue
			}
			owner[s] = m
		}
	}
}

// description reads the required, non-blank description of a label or metric declared at line.
func (p *parser) description(f map[string]*yaml.Node, line int, about Problem) string {
	d, ok := f["description"]
	if !ok {
		p.addf(line, about, ProblemKey, "missing required key description")
		return ""
	}
	text := p.str(d, about, "description")
	if strings.TrimSpace(d.Value) == "" {
		p.addf(d.Line, about, ProblemValue, "description is empty")
	}
	return text
}

func (p *parser) str(n *yaml.Node, about Problem, key string) string {
	if n.Kind != yaml.ScalarNode || (n.Tag != "!!str" && n.Tag != "!!int" && n.Tag != "!!float" && n.Tag != "!!bool") {
		p.addf(n.Line, about, ProblemSyntax, "%s must be a string, not a %s", key, kindName(n))
		return ""
	}
	// Every string reaches generated Go (comments and literals), the markdown reference and a
	// HELP line: a control character (a NUL, an escape sequence) is illegal in Go source and
	// unreadable everywhere else. Line breaks and tabs are white space and stay.
	if i := strings.IndexFunc(n.Value, func(r rune) bool { return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r' }); i >= 0 {
		r, _ := utf8.DecodeRuneInString(n.Value[i:])
		p.addf(n.Line, about, ProblemValue, "%s has the control character %U at byte %d; remove it", key, r, i)
		return ""
	}
	return n.Value
}

func (p *parser) strList(n *yaml.Node, about Problem, key string) []string {
	if n.Kind != yaml.SequenceNode {
		p.addf(n.Line, about, ProblemSyntax, "%s must be a list, not a %s", key, kindName(n))
		return nil
	}
	out := make([]string, 0, len(n.Content))
	for _, c := range n.Content {
		out = append(out, p.str(c, about, key+" entry"))
	}
	return out
}

func (p *parser) oneOf(n *yaml.Node, about Problem, key string, allowed []string) string {
	v := p.str(n, about, key)
	if v != "" && !contains(allowed, v) {
		p.addf(n.Line, about, ProblemValue, "invalid %s %q (allowed: %s)", key, v, strings.Join(allowed, ", "))
		return ""
	}
	return v
}

func (p *parser) boolean(n *yaml.Node, about Problem, key string) bool {
	if n.Kind != yaml.ScalarNode || n.Tag != "!!bool" {
		p.addf(n.Line, about, ProblemSyntax, "%s must be true or false, not %q", key, n.Value)
		return false
	}
	return n.Value == "true"
}

func (p *parser) number(n *yaml.Node, about Problem, key string) (float64, bool) {
	if n.Kind == yaml.ScalarNode && (n.Tag == "!!int" || n.Tag == "!!float") {
		v, err := strconv.ParseFloat(n.Value, 64)
		if err == nil {
			return v, true
		}
		var numErr *strconv.NumError
		if errors.As(err, &numErr) && errors.Is(numErr.Err, strconv.ErrRange) {
			p.addf(n.Line, about, ProblemValue, "%s: %q is out of range", key, n.Value)
			return 0, false
		}
		// yaml accepts spellings strconv does not (.inf, 0x1F, 1_000): let yaml decode them.
		var f float64
		if err := n.Decode(&f); err == nil {
			return f, true
		}
	}
	p.addf(n.Line, about, ProblemSyntax, "%s must be a number, not %q", key, n.Value)
	return 0, false
}

func valueOf(n *yaml.Node, key string) *yaml.Node {
	for i := 0; i+1 < len(n.Content); i += 2 {
		if n.Content[i].Value == key && n.Content[i+1].Kind == yaml.ScalarNode {
			return n.Content[i+1]
		}
	}
	return nil
}

func lineOf(n, fallback *yaml.Node) int {
	if n != nil {
		return n.Line
	}
	return fallback.Line
}

func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "mapping"
	case yaml.SequenceNode:
		return "list"
	case yaml.AliasNode:
		return "alias"
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return "null"
		}
		return "scalar " + strconv.Quote(n.Value)
	default:
		return "document"
	}
}

func describeKind(m *Metric) string {
	if !m.Generated() {
		return "provided " + string(m.Kind)
	}
	if m.Kind == "" {
		return "metric without a valid kind"
	}
	return string(m.Kind)
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
