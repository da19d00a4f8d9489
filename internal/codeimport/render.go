package codeimport

import (
	"bytes"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/promimport"
)

// header is the comment the catalogue starts with.
func (im *importer) header(code *Code) string {
	from := "the code (" + strings.Join(code.Patterns, " ") + ")"
	if im.opts.Source != "" {
		from += " and a scrape (" + strings.ToValidUTF8(strings.ReplaceAll(im.opts.Source, "\n", " "), "?") + ")"
	}
	lines := []string{
		"Metric catalogue imported by `instrumentgen import` from " + from + ".",
		"#",
		"The code decides each family's kind (a gauge it only moves with Inc, Dec, Add or Sub is an",
		"updowncounter), the order of its labels (the generated methods take them in that order, so",
		"each call keeps its values in place) and its buckets; a scrape gives what the code computes",
		"at run time. The comment above each family says where the code defines it.",
		"#",
		"Before you generate from it:",
		"  - write every description that starts with \"TODO\";",
		"  - check each unit: it comes from the Unit option or the name's suffix (_seconds, _bytes…);",
		"    \"1\" means neither said, so give a UCUM annotation such as {request} where one fits;",
		"  - value_type is int where every recording the code makes is a whole number, else double;",
	}
	if im.scrape != nil {
		lines = append(lines,
			"  - a label's \"seen\" comment lists the values of one scrape: add an enum only if the set is",
			"    closed;")
	}
	lines = append(lines,
		"  - sections are the names' first words: regroup them as the documentation should read.",
		"#",
		"Then: instrumentgen -check instruments.yaml, and instrumentgen live-check against the service.")
	return strings.Join(lines, "\n")
}

// render writes the catalogue of entries; it returns the labels it declared.
func (im *importer) render(code *Code, entries []*entry) ([]byte, []*labelDecl, error) {
	labels := im.declareLabels(entries)
	idOf := map[string]string{}
	labelsNode := mapping()
	for _, l := range labels {
		idOf[l.key] = l.id
		k := str(l.id)
		k.HeadComment = promimport.SeenComment(l.values)
		body := mapping()
		if l.key != l.id {
			body.Content = append(body.Content, str("key"), quoted(l.key))
		}
		body.Content = append(body.Content, str("description"), quoted(promimport.TODOPrefix+"write what the label "+l.key+" means."))
		labelsNode.Content = append(labelsNode.Content, k, body)
	}
	metrics := &yaml.Node{Kind: yaml.SequenceNode}
	for _, e := range entries {
		if e.node != nil {
			metrics.Content = append(metrics.Content, e.node)
			continue
		}
		metrics.Content = append(metrics.Content, metricNode(e, idOf))
	}
	root := mapping()
	if len(labels) > 0 {
		root.Content = append(root.Content, str("labels"), labelsNode)
	}
	root.Content = append(root.Content, str("metrics"), metrics)
	if len(im.collected) > 0 {
		// A collector of client_golang's makes these series, not the code: the service keeps
		// the collector, and live-check accounts for its family here.
		und := &yaml.Node{Kind: yaml.SequenceNode}
		for _, c := range im.collected {
			m := mapping()
			m.HeadComment = fmt.Sprintf("%s:%d: %s", c.Pos.Filename, c.Pos.Line, c.Constructor)
			m.Content = append(m.Content,
				str("match"), quoted(regexp.QuoteMeta(c.Name)),
				str("description"), quoted("Served by client_golang's "+c.Constructor+", kept with telemetry.WithCollectors: not generated."))
			und.Content = append(und.Content, m)
		}
		root.Content = append(root.Content, str("undeclared"), und)
	}
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, HeadComment: im.header(code), Content: []*yaml.Node{root}}); err != nil {
		return nil, nil, fmt.Errorf("codeimport: encode the catalogue: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, nil, fmt.Errorf("codeimport: encode the catalogue: %w", err)
	}
	return buf.Bytes(), labels, nil
}

// metricNode writes a code family's entry. Its labels are written in the code's order: the
// catalogue keeps it, and the generated methods take the labels in it.
func metricNode(e *entry, idOf map[string]string) *yaml.Node {
	m := mapping()
	add := func(k string, v *yaml.Node) { m.Content = append(m.Content, str(k), v) }
	m.HeadComment = strings.Join(e.comments, "\n")
	add("name", str(e.name))
	section, _, _ := strings.Cut(e.name, "_")
	add("section", str(section))
	add("kind", str(string(e.kind)))
	if e.observable {
		add("observable", &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!bool", Value: "true"})
	}
	add("value_type", str(string(e.valueType)))
	unit := quoted(e.unit)
	if !e.unitFound {
		unit.LineComment = "no unit in the name or the Unit option"
	}
	add("unit", unit)
	add("description", quoted(e.help))
	if len(e.keys) > 0 {
		ids := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, k := range e.keys {
			ids.Content = append(ids.Content, str(idOf[k]))
		}
		add("labels", ids)
	}
	if e.kind == catalog.KindHistogram && (e.native == nil || len(e.buckets.Values) > 0) {
		b := bucketsNode(e)
		b.LineComment = e.bucketsNote
		add("buckets", b)
	}
	if e.kind == catalog.KindHistogram && e.native != nil {
		add("native", nativeNode(e.native))
	}
	if e.kind == catalog.KindSummary {
		for _, kv := range summaryFields(e.summary) {
			add(kv.key, kv.value)
		}
	}
	return m
}

// nativeNode writes a histogram's native buckets as the code declares them: its bucket factor
// when it has one (else the schema), and what differs from the catalogue's defaults.
func nativeNode(n *catalog.Native) *yaml.Node {
	node := mapping()
	num := func(k, v string) {
		node.Content = append(node.Content, str(k), &yaml.Node{Kind: yaml.ScalarNode, Value: v})
	}
	if n.BucketFactor != 0 {
		num("bucket_factor", strconv.FormatFloat(n.BucketFactor, 'g', -1, 64))
	} else {
		num("schema", strconv.Itoa(int(n.Schema)))
	}
	if n.MaxBuckets != catalog.DefaultNativeMaxBuckets {
		num("max_buckets", strconv.Itoa(n.MaxBuckets))
	}
	if n.ZeroThreshold != catalog.DefaultNativeZeroThreshold || n.BucketFactor == 0 {
		num("zero_threshold", strconv.FormatFloat(n.ZeroThreshold, 'g', -1, 64))
	}
	if n.MinResetDuration != 0 {
		node.Content = append(node.Content, str("min_reset_duration"), str(n.MinResetDuration.String()))
	}
	return node
}

// bucketsNode writes a histogram's buckets: the catalogue's linear or exponential form for
// client_golang's generator of the same name, the list of boundaries otherwise.
func bucketsNode(e *entry) *yaml.Node {
	b := e.buckets
	if !e.forceList && (b.Form == BucketsLinear || b.Form == BucketsExponential) {
		second := map[string]string{BucketsLinear: "width", BucketsExponential: "factor"}[b.Form]
		gen := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		gen.Content = append(gen.Content, str("start"), number(b.Start), str(second), number(b.Step), str("count"), &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.Itoa(b.Count)})
		n := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
		n.Content = append(n.Content, str(b.Form), gen)
		return n
	}
	n := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
	for _, v := range b.Values {
		n.Content = append(n.Content, number(v))
	}
	return n
}

// keyValue is one key of a mapping to write.
type keyValue struct {
	key   string
	value *yaml.Node
}

// summaryFields are a summary's objectives, max_age and age_buckets, as the catalogue's summary
// kind declares them (objectives: {quantile: error}, max_age: a duration); none for a summary
// of count and sum only, and no window where the code leaves client_golang's default.
func summaryFields(s Summary) []keyValue {
	if len(s.Objectives) == 0 {
		return nil
	}
	obj := &yaml.Node{Kind: yaml.MappingNode, Style: yaml.FlowStyle}
	for _, o := range s.Objectives {
		obj.Content = append(obj.Content, number(o.Quantile), number(o.Error))
	}
	out := []keyValue{{"objectives", obj}}
	if s.MaxAge > 0 {
		out = append(out, keyValue{"max_age", str(formatDuration(s.MaxAge))})
	}
	if s.AgeBuckets > 0 {
		out = append(out, keyValue{"age_buckets", &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatUint(uint64(s.AgeBuckets), 10)}})
	}
	return out
}

// formatDuration writes d as a person would (10m, 90s), in a form time.ParseDuration reads.
func formatDuration(d time.Duration) string {
	switch {
	case d%time.Hour == 0:
		return strconv.FormatInt(int64(d/time.Hour), 10) + "h"
	case d%time.Minute == 0:
		return strconv.FormatInt(int64(d/time.Minute), 10) + "m"
	case d%time.Second == 0:
		return strconv.FormatInt(int64(d/time.Second), 10) + "s"
	}
	return d.String()
}

// number is a float scalar without a tag: YAML reads 1 as an int and 0.5 or 1e-05 as a float,
// both numbers to the loader.
func number(v float64) *yaml.Node {
	return &yaml.Node{Kind: yaml.ScalarNode, Value: formatFloat(v)}
}

// formatFloat is the shortest form that reads back as v.
func formatFloat(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }

// mapping, str and quoted are promimport's, so that the two importers' files read alike.
func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }

// str is a plain string scalar; the !!str tag makes the encoder quote it where YAML would read
// another type.
func str(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

func quoted(v string) *yaml.Node {
	n := str(v)
	n.Style = yaml.DoubleQuotedStyle
	return n
}
