package telemetry

import (
	"compress/gzip"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/common/expfmt"
	sdkmetric "go.opentelemetry.io/otel/sdk/metric"
	"go.opentelemetry.io/otel/sdk/metric/metricdata"

	"github.com/telediag/telediag/telemetry/internal/promtext"
)

// metricsHandler serves /metrics. A scrape that asks for OpenMetrics first gets it from
// openMetrics; by default every other scrape goes through exporter, the OTel Prometheus
// exporter's promhttp handler, in the text format or protobuf as asked. With the direct path on, a scrape in the text format
// is rendered straight from the exporter's reader instead; whatever the direct path does not
// render exactly (see package promtext), or a format other than text, goes to exporter.
//
// Either way a client that goes away mid-body costs one log line, not one per metric family.
type metricsHandler struct {
	exporter http.Handler
	logger   *slog.Logger

	// openMetrics serves the scrapes that ask for OpenMetrics first (Prometheus's do), through
	// the exporter with promhttp's EnableOpenMetrics; nil with WithoutOpenMetrics.
	openMetrics http.Handler

	// The direct path; reader is nil when it is off.
	reader    sdkmetric.Reader
	fast      sdkmetric.Producer  // the fast path's streams, which the exporter's reader does not collect; nil without it
	runtime   prometheus.Gatherer // the client_golang collectors, rendered beside the OTel data
	families  *runtimeFamilies    // WithGatherer's, rendered beside them; nil without it
	renames   *renames            // old names of renamed metrics, served on both paths
	renderers sync.Pool           // *promtext.Renderer
	collected sync.Pool           // *metricdata.ResourceMetrics, reused so collection reuses its slices
	gzips     sync.Pool           // *gzip.Writer
}

func (h *metricsHandler) ServeHTTP(rsp http.ResponseWriter, req *http.Request) {
	w := &scrapeWriter{ResponseWriter: rsp}
	if h.openMetrics != nil && expfmt.NegotiateIncludingOpenMetrics(req.Header).FormatType() == expfmt.TypeOpenMetrics {
		h.openMetrics.ServeHTTP(w, req)
		h.logAbort(w, req)
		return
	}
	if h.reader == nil || !h.serveDirect(w, req) {
		h.exporter.ServeHTTP(w, req)
	}
	h.logAbort(w, req)
}

// logAbort logs, once per scrape, a client that went away mid-body.
func (h *metricsHandler) logAbort(w *scrapeWriter, req *http.Request) {
	if w.err != nil {
		h.logger.Warn("metrics: scrape aborted by the client", "remote", req.RemoteAddr, "error", w.err)
	}
}

// serveDirect renders the scrape itself and reports whether it did; when it did not, nothing
// has been written.
func (h *metricsHandler) serveDirect(w http.ResponseWriter, req *http.Request) bool {
	format := expfmt.Negotiate(req.Header)
	if format.FormatType() != expfmt.TypeTextPlain || (req.URL != nil && req.URL.Query().Has("name[]")) {
		return false
	}
	encoding := negotiateEncoding(req.Header.Get("Accept-Encoding"))
	if encoding != "identity" && encoding != "gzip" {
		return false
	}

	rm, _ := h.collected.Get().(*metricdata.ResourceMetrics)
	if rm == nil {
		rm = new(metricdata.ResourceMetrics)
	}
	defer h.collected.Put(rm)
	if err := h.reader.Collect(req.Context(), rm); err != nil {
		return false
	}
	if h.fast != nil {
		sms, err := h.fast.Produce(req.Context())
		if err != nil {
			return false
		}
		rm.ScopeMetrics = append(rm.ScopeMetrics, sms...)
	}
	gathered, err := h.runtime.Gather()
	if err != nil {
		return false
	}
	if h.families != nil {
		if gathered, err = h.families.besideOTel(rm, gathered); err != nil {
			return false
		}
	}
	// The old names: the gathered families' (summaries') as the exporter path adds them, the
	// OTel metrics' by the renderer, from the same data points. An interface holding a nil
	// *renames would not be nil, hence the variable.
	var renames promtext.Renames
	if h.renames.any() {
		renames = h.renames
		gathered = h.renames.apply(gathered)
	}
	r, _ := h.renderers.Get().(*promtext.Renderer)
	if r == nil {
		r = promtext.NewRenderer()
	}
	defer func() {
		r.Reset()
		h.renderers.Put(r)
	}()
	if err := r.Prepare(rm, gathered, renames); err != nil {
		if !errors.Is(err, promtext.ErrUnsupported) {
			h.logger.Warn("metrics: direct path", "error", err)
		}
		return false
	}

	w.Header().Set("Content-Type", string(format))
	if encoding == "gzip" {
		w.Header().Set("Content-Encoding", "gzip")
		gz, _ := h.gzips.Get().(*gzip.Writer)
		if gz == nil {
			gz = gzip.NewWriter(w)
		} else {
			gz.Reset(w)
		}
		defer func() {
			_ = gz.Close()
			h.gzips.Put(gz)
		}()
		_ = r.Write(gz) // a failed write is the client's going away, which scrapeWriter logs
		return true
	}
	_ = r.Write(w)
	return true
}

// negotiateEncoding chooses between identity and gzip as promhttp does (its copy of gddo's
// httputil.NegotiateContentEncoding, with the offers identity then gzip): the highest q wins,
// an earlier offer wins a tie, and a best q of 0 chooses nothing ("").
func negotiateEncoding(header string) string {
	best, bestQ := "identity", -1.0
	for _, offer := range [...]string{"identity", "gzip"} {
		for spec := range strings.SplitSeq(header, ",") {
			value, q := parseEncodingSpec(spec)
			if value == "" {
				continue
			}
			if q > bestQ && (value == "*" || value == offer) {
				best, bestQ = offer, q
			}
		}
	}
	if bestQ == 0 {
		return ""
	}
	return best
}

// parseEncodingSpec parses one "value;q=0.5" element of Accept-Encoding; an unparseable q makes
// the whole element count as absent, which only makes the handler fall back to promhttp.
func parseEncodingSpec(spec string) (string, float64) {
	value, params, _ := strings.Cut(spec, ";")
	value = strings.ToLower(strings.TrimSpace(value))
	q := 1.0
	for p := range strings.SplitSeq(params, ";") {
		k, v, ok := strings.Cut(p, "=")
		if !ok || strings.TrimSpace(k) != "q" {
			continue
		}
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || f < 0 || f > 1 {
			return "", 0
		}
		q = f
	}
	return value, q
}

// scrapeWriter keeps the first write error and swallows the rest: when a scraper times out
// or goes away, promhttp would otherwise log one error for every remaining metric family.
type scrapeWriter struct {
	http.ResponseWriter
	err error
}

func (w *scrapeWriter) Write(p []byte) (int, error) {
	if w.err != nil {
		return len(p), nil
	}
	n, err := w.ResponseWriter.Write(p)
	if err != nil {
		w.err = err
		return len(p), nil
	}
	return n, nil
}
