package promimport

import (
	"bytes"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"

	"gopkg.in/yaml.v3"

	"github.com/telediag/telediag/internal/catalog"
)

// maxSeen and maxSeenRunes bound a label's "seen" comment: enough to recognise the label, not
// a dump of a high-cardinality one.
const (
	maxSeen      = 12
	maxSeenRunes = 40
)

// TODOPrefix starts every description the importer could not know: written by a person before
// the catalogue is used.
const TODOPrefix = "TODO: "

// gaugeComment stands beside each imported gauge: /metrics serves an up-down counter as a gauge
// too, so only the code that records it can tell which it is.
const gaugeComment = "or updowncounter, if the code adds and subtracts (Inc, Dec, Add, Sub) and never sets: a scrape cannot tell"

// header is the comment the file starts with.
func header(source string) string {
	lines := []string{
		"Metric catalogue imported by `instrumentgen import`" + from(source) + ".",
		"#",
		"Before you generate from it:",
		"  - write every description that starts with \"TODO\": each label's, and a metric's whose",
		"    family had no HELP;",
		"  - check each unit: it comes from OpenMetrics' UNIT or the name's suffix (_seconds, _bytes…);",
		"    \"1\" means neither said, so give a UCUM annotation such as {request} where one fits;",
		"  - value_type is double, as client_golang records every value as a float64; make counts int",
		"    if you like;",
		"  - a summary's objectives are the quantiles it served, with errors the scrape does not show:",
		"    check them, and max_age, against the service's SummaryOpts;",
		"  - a label's \"seen\" comment lists the values of one scrape: add an enum only if the set is",
		"    closed;",
		"  - kind gauge may be an updowncounter, which /metrics serves as a gauge too: a scrape cannot",
		"    tell them apart, the code can (see the comment beside each gauge);",
		"  - sections are the names' first words: regroup them as the documentation should read.",
		"#",
		"Then: instrumentgen -check instruments.yaml, and instrumentgen live-check against the service.",
	}
	return strings.Join(lines, "\n")
}

func from(source string) string {
	if source == "" {
		return ""
	}
	return " from " + strings.ToValidUTF8(strings.ReplaceAll(source, "\n", " "), "?")
}

// render writes the catalogue of fams; it returns the labels it declared.
func render(fams []*family, opts Options) ([]byte, []*label, error) {
	labels := labelsOf(fams)
	idOf := map[string]string{}
	labelsNode := mapping()
	for _, l := range labels {
		idOf[l.key] = l.id
		k := str(l.id)
		k.HeadComment = seenComment(l.values)
		body := mapping()
		if l.key != l.id {
			body.Content = append(body.Content, str("key"), quoted(l.key))
		}
		body.Content = append(body.Content, str("description"), quoted(TODOPrefix+"write what the label "+l.key+" means."))
		labelsNode.Content = append(labelsNode.Content, k, body)
	}
	metrics := &yaml.Node{Kind: yaml.SequenceNode}
	for _, f := range fams {
		metrics.Content = append(metrics.Content, metricNode(f, idOf))
	}
	root := mapping()
	if len(labels) > 0 {
		root.Content = append(root.Content, str("labels"), labelsNode)
	}
	root.Content = append(root.Content, str("metrics"), metrics)
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	enc.SetIndent(2)
	if err := enc.Encode(&yaml.Node{Kind: yaml.DocumentNode, HeadComment: header(opts.Source), Content: []*yaml.Node{root}}); err != nil {
		return nil, nil, fmt.Errorf("import: encode the catalogue: %w", err)
	}
	if err := enc.Close(); err != nil {
		return nil, nil, fmt.Errorf("import: encode the catalogue: %w", err)
	}
	return buf.Bytes(), labels, nil
}

func metricNode(f *family, idOf map[string]string) *yaml.Node {
	m := mapping()
	add := func(k string, v *yaml.Node) { m.Content = append(m.Content, str(k), v) }
	add("name", str(f.name))
	section, _, _ := strings.Cut(f.name, "_")
	add("section", str(section))
	if f.provider != "" {
		add("provided_by", str(f.provider))
	}
	kind := str(string(f.kind))
	if f.kind == catalog.KindGauge && f.provider == "" {
		kind.LineComment = gaugeComment
	}
	add("kind", kind)
	if f.provider == "" {
		add("value_type", str(string(catalog.ValueDouble)))
	}
	unit := quoted(f.unit)
	if !f.unitFound {
		unit.LineComment = "no unit in the name or UNIT"
	}
	add("unit", unit)
	desc := f.help
	if strings.TrimSpace(desc) == "" {
		desc = TODOPrefix + "describe " + f.name + "; its family had no HELP."
	}
	add("description", quoted(desc))
	if len(f.keys) > 0 {
		ids := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, k := range f.keys {
			ids.Content = append(ids.Content, str(idOf[k]))
		}
		add("labels", ids)
	}
	if f.noSeries {
		m.Content[0].HeadComment = "No series on the source: its labels, if any, are unknown."
		if f.kind == catalog.KindSummary && f.provider == "" {
			m.Content[0].HeadComment = noSeriesSummaryComment
		}
	}
	if len(f.quantiles) > 0 && f.provider == "" {
		k, v := objectivesNode(f)
		m.Content = append(m.Content, k, v)
	}
	if f.kind == catalog.KindHistogram && f.provider == "" {
		b := &yaml.Node{Kind: yaml.SequenceNode, Style: yaml.FlowStyle}
		for _, v := range f.buckets {
			// No tag: YAML reads 1 as an int and 0.5 or 1e-05 as a float, both numbers to the loader.
			b.Content = append(b.Content, &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(v, 'g', -1, 64)})
		}
		if f.mixed {
			b.LineComment = "the series had different buckets: this is their union"
		}
		if len(f.buckets) > 0 {
			add("buckets", b)
		}
		if f.native != nil {
			k := str("native")
			k.HeadComment = nativeComment
			m.Content = append(m.Content, k, nativeNode(f.native))
		}
	}
	return m
}

// nativeComment stands above an imported native declaration: what a scrape does not show.
const nativeComment = "schema and zero_threshold as served; max_buckets and min_reset_duration do not show in a scrape:\n" +
	"the defaults apply (160 buckets, never reset); set the service's NativeHistogramMaxBucketNumber\n" +
	"and NativeHistogramMinResetDuration here if it has them"

// nativeNode is the native declaration of what a scrape saw of a native histogram.
func nativeNode(n *nativeSeen) *yaml.Node {
	node := mapping()
	node.Content = append(node.Content,
		str("schema"), &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.Itoa(int(n.schema))},
		str("zero_threshold"), &yaml.Node{Kind: yaml.ScalarNode, Value: strconv.FormatFloat(n.zeroThreshold, 'g', -1, 64)})
	return node
}

// seenComment lists a label's values, quoted so that no value can end the comment or the line.
func seenComment(values []string) string {
	if len(values) == 0 {
		return ""
	}
	shown := values[:min(len(values), maxSeen)]
	parts := make([]string, len(shown))
	for i, v := range shown {
		if utf8.RuneCountInString(v) > maxSeenRunes {
			v = string([]rune(v)[:maxSeenRunes]) + "…"
		}
		parts[i] = strconv.Quote(v)
	}
	s := "seen: " + strings.Join(parts, ", ")
	if more := len(values) - len(shown); more > 0 {
		s += fmt.Sprintf(" and %d more", more)
	}
	return s + " (one scrape: not necessarily every value)"
}

func mapping() *yaml.Node { return &yaml.Node{Kind: yaml.MappingNode} }

// str is a plain string scalar; the !!str tag makes the encoder quote it where YAML would read
// another type (a label named "true", a name like "1e3").
func str(v string) *yaml.Node { return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: v} }

func quoted(v string) *yaml.Node {
	n := str(v)
	n.Style = yaml.DoubleQuotedStyle
	return n
}
