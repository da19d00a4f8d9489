package livecheck

import (
	"fmt"
	"strconv"

	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/scrape"
)

// nativeSeen is what a histogram family's series served of native buckets.
type nativeSeen struct {
	series, native int // series seen, and those of them native
	// maxSchema and minZero are over the native series: the highest schema and the lowest
	// zero threshold.
	maxSchema int32
	minZero   float64
}

// add counts one series' histogram.
func (n *nativeSeen) add(h *dto.Histogram) {
	n.series++
	if !scrape.IsNative(h) {
		return
	}
	if n.native == 0 || h.GetSchema() > n.maxSchema {
		n.maxSchema = h.GetSchema()
	}
	if n.native == 0 || h.GetZeroThreshold() < n.minZero {
		n.minZero = h.GetZeroThreshold()
	}
	n.native++
}

// nativeFinding is one difference of native buckets, before it names its family.
type nativeFinding struct {
	sev Severity
	msg string
}

// findings holds what the series served to m's native: declaration, or to its absence:
//
//   - declared native: every series must be native (a provider that is not telediag's serves
//     the histogram classic only);
//   - not declared native: no series may be;
//   - the served schema may be at most the declared one: a series lowers its resolution when
//     its buckets would span more than max_buckets, never raises it;
//   - the served zero threshold may be at least the declared one: telediag keeps it as
//     declared, and client_golang widens it only with NativeHistogramMaxZeroThreshold, which
//     lowers the resolution around zero as a lower schema does elsewhere; a narrower one
//     counts values in buckets the declaration puts in the zero bucket.
//
// max_buckets and min_reset_duration do not show in an exposition and are not compared.
func (n nativeSeen) findings(m *catalog.Metric, opts Options) []nativeFinding {
	var out []nativeFinding
	addf := func(sev Severity, format string, args ...any) {
		out = append(out, nativeFinding{sev, fmt.Sprintf(format, args...)})
	}
	switch {
	case n.series == 0:
	case opts.ClassicOnly && m.Native != nil:
		format := opts.Format
		if format == "" {
			format = "a text format"
		}
		addf(Warning, "native buckets not compared: the service answered %s, which carries no native histograms (only delimited protobuf does)", format)
	case opts.ClassicOnly:
	case m.Native == nil && n.native > 0:
		addf(Error, "served with native buckets (schema %d, zero threshold %s) but declared without native:; declare them (instrumentgen import writes native: from a scrape) or serve classic buckets only", n.maxSchema, formatFloat(n.minZero))
	case m.Native == nil:
	case n.native < n.series:
		addf(Error, "declared native buckets (%s), served %d of %d series without them: a MeterProvider other than telediag's serves a histogram classic only", m.Native, n.series-n.native, n.series)
	default:
		if n.maxSchema > m.Native.Schema {
			addf(Error, "served schema %d, above the declared %d: a series may lower its resolution from the declared schema, never raise it", n.maxSchema, m.Native.Schema)
		}
		if n.minZero < m.Native.ZeroThreshold {
			addf(Error, "served zero threshold %s, below the declared %s", formatFloat(n.minZero), formatFloat(m.Native.ZeroThreshold))
		}
	}
	return out
}

func formatFloat(f float64) string { return strconv.FormatFloat(f, 'g', -1, 64) }
