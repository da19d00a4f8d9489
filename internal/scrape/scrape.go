// Package scrape reads a Prometheus exposition the way Prometheus's scraper does: over HTTP
// (Fetch) with the Accept header a Prometheus that scrapes native histograms sends (delimited
// protobuf first, then OpenMetrics, then the text format), gzip included, decoded by the
// Content-Type the server answers with, so that native histograms (schema, zero threshold,
// spans) and exemplars come back as the service served them; or from a file
// or stdin (Open), where the format is told apart by OpenMetrics' "# EOF" line. Decoding is
// prometheus/common's expfmt: this package writes no parser.
//
// Names come back as a Prometheus 2 server stores them, which is how the service's dashboards
// and alerts query them: the Accept header asks for underscore escaping, and a name served
// with other characters anyway (a dot) is escaped to underscores with model.EscapeName, the
// label names too. Exposition.Escaped says which.
//
// It serves `instrumentgen import` and `instrumentgen live-check`, which both start from what a
// running client_golang or telediag service serves on /metrics.
package scrape

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/telediag/telediag/internal/tlsflags"
)

// maxBodyBytes bounds what is read from a source, so that a wrong URL serving an endless
// stream fails with an error instead of exhausting memory. A 10,000-series /metrics is about
// 1 MB.
const maxBodyBytes = 256 << 20

// Formats is what a fetch asks a service for.
type Formats int

const (
	// PrometheusFormats asks as a Prometheus that scrapes native histograms does: delimited
	// protobuf first, then OpenMetrics, then the text format. Protobuf carries what the text
	// formats lose (native histograms, the exact type of a counter that OpenMetrics' _total rule
	// retypes as unknown) and decodes the fastest; every client_golang service and telediag
	// serve it.
	PrometheusFormats Formats = iota
	// TextFormat asks for the Prometheus text format only. expfmt decodes OpenMetrics with an
	// ABNF grammar, at about a millisecond a line, and the text format some 400 times faster:
	// for a large service that serves OpenMetrics but not protobuf, at the price of the UNIT
	// lines, so that units come from the names' suffixes.
	TextFormat
)

// acceptHeader is the Accept header a fetch sends, built as Prometheus's scrape.acceptHeader
// builds it: each format with a falling q weight, then */* last.
func acceptHeader(f Formats) string {
	// The formats Prometheus proposes when it scrapes native histograms, in its order of
	// preference (config.DefaultProtoFirstScrapeProtocols), with the escaping a Prometheus that keeps classic names
	// asks for (Prometheus 3 with metric_name_validation_scheme: legacy; Prometheus 2 asks
	// for no escaping and gets underscores as the default): the names the service's queries
	// use. An OTel Prometheus exporter told allow-utf-8 answers with its semantic conventions'
	// names as they are (http.server.request.duration), which no Prometheus 2 stores and no
	// catalogue holds.
	acceptFormats := []string{
		"application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;escaping=underscores",
		"application/openmetrics-text;version=1.0.0;escaping=underscores",
		"application/openmetrics-text;version=0.0.1",
		"text/plain;version=1.0.0;escaping=underscores",
		"text/plain;version=0.0.4",
	}
	if f == TextFormat {
		acceptFormats = acceptFormats[3:]
	}
	vals := make([]string, 0, len(acceptFormats)+1)
	weight := len(acceptFormats) + 2
	for _, f := range acceptFormats {
		vals = append(vals, fmt.Sprintf("%s;q=0.%d", f, weight))
		weight--
	}
	vals = append(vals, fmt.Sprintf("*/*;q=0.%d", weight))
	return strings.Join(vals, ",")
}

// Exposition is one decoded scrape.
type Exposition struct {
	// Source names where it came from: the URL without its password, the file, or "stdin".
	Source string
	// Format is the format it was decoded as.
	Format expfmt.Format
	// Families are the metric families, sorted by name, under the names a Prometheus 2
	// server stores (see Escaped).
	Families []*dto.MetricFamily
	// Escaped maps each metric or label name the source served with characters a Prometheus 2
	// server does not store (a dot, say) to the underscore form Families carry instead; empty
	// when every name was served as Prometheus 2 stores it.
	Escaped map[string]string
	// Fallback says why a URL was scraped a second time for the text format: the reason expfmt
	// refused its OpenMetrics answer. "" when it was not.
	Fallback string
}

// Notes says, a line each, what a reader of the exposition should be told about how it was
// read: a fallback to the text format, and each name escaped to underscores.
func (e *Exposition) Notes() []string {
	var out []string
	if e.Fallback != "" {
		out = append(out, fmt.Sprintf("%s: the OpenMetrics answer was refused by expfmt's decoder, which is stricter than Prometheus's scrape (%s): read the text format instead, which Prometheus would read alike (-text asks for it at once)", e.Source, e.Fallback))
	}
	for _, served := range slices.Sorted(maps.Keys(e.Escaped)) {
		out = append(out, fmt.Sprintf("%s: served %q, read as %s: the underscore form a Prometheus 2 server stores and queries", e.Source, served, e.Escaped[served]))
	}
	return out
}

// Open reads a file, or stdin for "-"; a URL is Fetch's. Errors name the file.
func Open(source string, stdin io.Reader) (*Exposition, error) {
	if source == "-" {
		return read(stdin, "stdin")
	}
	f, err := os.Open(source)
	if err != nil {
		return nil, err // *PathError names the file
	}
	defer f.Close()
	return read(f, source)
}

// read decodes a file or stdin, whose format no header tells: OpenMetrics ends with "# EOF".
func read(r io.Reader, name string) (*Exposition, error) {
	body, err := readAll(r, maxBodyBytes)
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	format := expfmt.FmtText
	if isOpenMetrics(body) {
		format = expfmt.FmtOpenMetrics_1_0_0
	}
	fams, escaped, err := decode(body, format)
	if err != nil {
		if format.FormatType() == expfmt.TypeOpenMetrics {
			// Nothing to ask for again here, unlike a URL: say how to get what Prometheus
			// would have read.
			return nil, fmt.Errorf("%s: %w (read as OpenMetrics, as it ends with # EOF: expfmt's OpenMetrics decoder refuses some of what Prometheus's scrape accepts, such as a histogram's negative _sum; give the service's URL instead, which falls back to the text format, or save the text format, which -text asks for)", name, err)
		}
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return &Exposition{Source: name, Format: format, Families: fams, Escaped: escaped}, nil
}

// isOpenMetrics reports whether body's last line is OpenMetrics' mandatory "# EOF"; the text
// format has no such line (a comment saying so would be unusual).
func isOpenMetrics(body []byte) bool {
	body = bytes.TrimRight(body, "\n")
	i := bytes.LastIndexByte(body, '\n')
	return string(body[i+1:]) == "# EOF"
}

// Fetch GETs u (from tlsflags.ParseURL) with client (tlsflags.Client.HTTPClient's; nil:
// http.DefaultClient), Prometheus's Accept (for formats) and Accept-Encoding headers, and
// decodes the answer by its Content-Type. A status other than 200, an unknown Content-Type or
// Content-Encoding, and a body that does not parse are errors naming the URL (never its
// password) and the header.
//
// An OpenMetrics answer that expfmt will not decode is asked for again in the text format,
// and Exposition.Fallback says why: expfmt holds OpenMetrics to its specification where
// Prometheus's scrape does not (client_golang serves a histogram with negative buckets with a
// negative _sum, which the specification forbids and Prometheus stores), and the text format
// carries the same families.
func Fetch(ctx context.Context, client *http.Client, u *url.URL, formats Formats) (*Exposition, error) {
	if client == nil {
		client = http.DefaultClient
	}
	exp, err := fetch(ctx, client, u, formats)
	var refused *openMetricsError
	if formats == TextFormat || !errors.As(err, &refused) {
		return exp, err
	}
	exp, textErr := fetch(ctx, client, u, TextFormat)
	if textErr != nil {
		return nil, fmt.Errorf("%w; asked again for the text format: %w", err, textErr)
	}
	exp.Fallback = refused.Error()
	return exp, nil
}

// openMetricsError is an OpenMetrics answer that expfmt would not decode.
type openMetricsError struct{ err error }

func (e *openMetricsError) Error() string { return e.err.Error() }
func (e *openMetricsError) Unwrap() error { return e.err }

// fetch is one GET of Fetch's, decoded.
func fetch(ctx context.Context, client *http.Client, u *url.URL, formats Formats) (*Exposition, error) {
	target := "GET " + u.Redacted()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u.String(), nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	req.Header.Set("Accept", acceptHeader(formats))
	// Set explicitly, as Prometheus does, so the transport leaves the body compressed and the
	// decompression below is ours (and tested).
	req.Header.Set("Accept-Encoding", "gzip")
	req.Header.Set("User-Agent", "telediag-instrumentgen")
	resp, err := client.Do(req)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target, tlsflags.WithoutURL(err))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: HTTP %s", target, resp.Status)
	}
	var body io.Reader = resp.Body
	switch enc := resp.Header.Get("Content-Encoding"); enc {
	case "gzip":
		gz, err := gzip.NewReader(resp.Body)
		if err != nil {
			return nil, fmt.Errorf("%s: Content-Encoding gzip: %w", target, err)
		}
		defer gz.Close()
		body = gz
	case "", "identity":
	default:
		return nil, fmt.Errorf("%s: Content-Encoding %q: only gzip was asked for", target, enc)
	}
	data, err := readAll(body, maxBodyBytes)
	if err != nil {
		return nil, fmt.Errorf("%s: read body: %w", target, err)
	}
	ct := resp.Header.Get("Content-Type")
	format, err := responseFormat(ct, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", target, err)
	}
	fams, escaped, err := decode(data, format)
	if err != nil {
		if format.FormatType() == expfmt.TypeOpenMetrics {
			err = &openMetricsError{err}
		}
		return nil, fmt.Errorf("%s: Content-Type %q: %w", target, ct, err)
	}
	return &Exposition{Source: u.Redacted(), Format: format, Families: fams, Escaped: escaped}, nil
}

// responseFormat is the format of a response body with Content-Type ct. Without a Content-Type
// the body decides, as for a file. A type Prometheus would not scrape (an HTML login page, an
// OpenMetrics version expfmt cannot decode) is an error naming it.
func responseFormat(ct string, body []byte) (expfmt.Format, error) {
	if strings.TrimSpace(ct) == "" {
		if isOpenMetrics(body) {
			return expfmt.FmtOpenMetrics_1_0_0, nil
		}
		return expfmt.FmtText, nil
	}
	media, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return expfmt.FmtUnknown, fmt.Errorf("Content-Type %q: %w", ct, err)
	}
	switch media {
	case "text/plain":
		// 1.0.0 is the text format with quoted UTF-8 names, which the text parser reads.
		if v := params["version"]; v == "" || v == expfmt.TextVersion || v == "1.0.0" {
			return expfmt.FmtText, nil
		}
	case expfmt.OpenMetricsType:
		switch params["version"] {
		case "", expfmt.OpenMetricsVersion_0_0_1, expfmt.OpenMetricsVersion_1_0_0:
			return expfmt.FmtOpenMetrics_1_0_0, nil
		}
	case expfmt.ProtoType:
		if f := expfmt.ResponseFormat(http.Header{"Content-Type": {ct}}); f.FormatType() == expfmt.TypeProtoDelim {
			return f, nil
		}
	}
	return expfmt.FmtUnknown, fmt.Errorf("Content-Type %q is not an exposition format Prometheus scrapes (text/plain, application/openmetrics-text 0.0.1 or 1.0.0, delimited protobuf)", ct)
}

// decode parses body as format with expfmt and returns its families sorted by name, under the
// names a Prometheus 2 server stores: a metric or label name outside Prometheus's classic
// character set is escaped to underscores, as the server would have escaped it had it honoured
// the Accept header, and escaped maps it to its new name.
func decode(body []byte, format expfmt.Format) (fams []*dto.MetricFamily, escaped map[string]string, err error) {
	defer func() {
		// expfmt is fuzzed upstream, but a panic on some input would end the command with a
		// stack trace; an error names the input instead.
		if r := recover(); r != nil {
			fams, escaped, err = nil, nil, fmt.Errorf("the expfmt decoder failed on this input: %v", r)
		}
	}()
	// Decoded as they are (UTF-8 allowed), so that a name served unescaped is read, then
	// escaped below, rather than refused.
	dec := expfmt.NewDecoder(bytes.NewReader(body), format.WithEscapingScheme(model.NoEscaping))
	served := map[string]string{} // escaped family name → the name served
	escaped = map[string]string{}
	for {
		mf := &dto.MetricFamily{}
		err := dec.Decode(mf)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, nil, fmt.Errorf("parse: %w", err)
		}
		name := mf.GetName()
		// The names EscapeMetricFamily will change, read before it copies the series.
		for _, m := range mf.GetMetric() {
			for _, lp := range m.GetLabel() {
				if k := lp.GetName(); k != model.MetricNameLabel {
					if e := model.EscapeName(k, model.UnderscoreEscaping); e != k {
						escaped[k] = e
					}
				}
			}
		}
		mf = model.EscapeMetricFamily(mf, model.UnderscoreEscaping)
		if first, seen := served[mf.GetName()]; seen {
			if first == name {
				return nil, nil, fmt.Errorf("parse: metric family %q appears twice", name)
			}
			// expfmt's text decoder hands families out in map order: name them in a fixed one.
			pair := []string{first, name}
			slices.Sort(pair)
			return nil, nil, fmt.Errorf("parse: metric families %q and %q are both %s in the underscore form a Prometheus 2 server stores", pair[0], pair[1], mf.GetName())
		}
		served[mf.GetName()] = name
		if mf.GetName() != name {
			escaped[name] = mf.GetName()
		}
		fams = append(fams, mf)
	}
	slices.SortFunc(fams, func(a, b *dto.MetricFamily) int { return strings.Compare(a.GetName(), b.GetName()) })
	return fams, escaped, nil
}

// readAll reads r up to limit bytes (maxBodyBytes); more is an error.
func readAll(r io.Reader, limit int64) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("more than %d MiB: not a /metrics page", limit>>20)
	}
	return data, nil
}

// IsNative reports whether h is a native histogram as Prometheus's protobuf parser tells one
// (textparse's isNativeHistogram): spans of either sign, a zero threshold above 0, or a zero
// count (of a float histogram too). client_golang serves a native histogram without
// observations and with a zero threshold of 0 with one empty span so that it is told apart;
// the schema alone does not tell, since a classic histogram leaves it 0. Only protobuf carries
// these fields: in the text formats every histogram is classic.
func IsNative(h *dto.Histogram) bool {
	return len(h.GetPositiveSpan()) > 0 || len(h.GetNegativeSpan()) > 0 ||
		h.GetZeroThreshold() > 0 || h.GetZeroCount() > 0 || h.GetZeroCountFloat() > 0
}

// CarriesNative reports whether format can carry native histograms: only delimited protobuf
// does, so that a family read from another format says nothing of its native buckets.
func CarriesNative(format expfmt.Format) bool { return format.FormatType() == expfmt.TypeProtoDelim }
