package livecheck

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/internal/catalog"
)

// Quantiles: a summary served with other quantiles than its declared objectives, which a query
// on {quantile="…"} would miss or misread.
const Quantiles Check = "quantiles"

// quantileFinding compares the quantiles of every series of a generated summary with its
// objectives; a provided summary's are its collector's. The first series that differs is
// reported: all series of one family share one summary's options.
func quantileFinding(m *catalog.Metric, f *dto.MetricFamily) (Finding, bool) {
	if m.Kind != catalog.KindSummary || !m.Generated() {
		return Finding{}, false
	}
	want := m.Quantiles()
	for _, s := range f.GetMetric() {
		var got []float64
		for _, q := range s.GetSummary().GetQuantile() {
			got = append(got, q.GetQuantile())
		}
		slices.Sort(got)
		if !slices.Equal(got, want) {
			return Finding{Family: m.Name, Check: Quantiles, Severity: Error, Line: m.Line,
				Message: fmt.Sprintf("quantiles differ: declared %s, served %s", quantilesText(want), quantilesText(got))}, true
		}
	}
	return Finding{}, false
}

func quantilesText(qs []float64) string {
	if len(qs) == 0 {
		return "none (count and sum only)"
	}
	parts := make([]string, len(qs))
	for i, q := range qs {
		parts[i] = strconv.FormatFloat(q, 'g', -1, 64)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}
