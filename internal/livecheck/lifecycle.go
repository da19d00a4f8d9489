package livecheck

import (
	"fmt"

	dto "github.com/prometheus/client_model/go"

	"github.com/telediag/telediag/internal/catalog"
)

// The checks of the catalogue's lifecycle keys.
const (
	// Disabled: a family that the catalogue disables by default (enabled: false), or that a
	// Disable switch names, is served although no Enable switch enables it.
	Disabled Check = "disabled"
	// Hidden: a hidden family is served although hidden families are not shown.
	Hidden Check = "hidden"
	// BudgetCheck: a family with max_series serves 80 % of its budget or more (a warning), or
	// more than its budget, or folds label sets into the overflow series (an error).
	BudgetCheck Check = "budget"
)

// Options are what RunWith holds the service to besides its catalogue.
type Options struct {
	// Ignore are patterns of undeclared families that are not findings (live-check's -ignore).
	Ignore []catalog.Pattern
	// Switches are the operator's choices the service runs with (live-check's -enable,
	// -disable and -show-hidden), which decide the families expected absent.
	Switches catalog.Switches
	// ClassicOnly says the exposition was read in a format that carries no native histograms
	// (the text formats; scrape.CarriesNative): a declared native: is not compared, and a
	// warning says so, rather than every native histogram being found missing.
	ClassicOnly bool
	// Format names the exposition's format in that warning, such as "text/plain; version=0.0.4".
	Format string
}

// Budget is one family's series count against its max_series.
type Budget struct {
	// Family is the declared family; Served the name its series were counted under (its own,
	// or an old one when only that is served).
	Family string `json:"family"`
	Served string `json:"served"`
	// Line is where the catalogue declares the family.
	Line int `json:"line"`
	// Series counts the family's label sets, the overflow series aside.
	Series int `json:"series"`
	// MaxSeries is the declared budget.
	MaxSeries int `json:"max_series"`
	// Overflow is set when label sets were folded into the otel_metric_overflow series.
	Overflow bool `json:"overflow"`
}

// Percent is the share of the budget the family uses, rounded down.
func (b Budget) Percent() int { return b.Series * 100 / b.MaxSeries }

// budgetWarning is the share of its budget from which a family is warned about: early enough
// to raise the budget, or find the label that grows, before series are folded.
const budgetWarning = 80

// budget counts f, the family m as served, against m's max_series; nil when m declares none.
// The finding is nil while the family uses less than budgetWarning percent of it.
func budget(m *catalog.Metric, f *dto.MetricFamily) (*Budget, *Finding) {
	if m.MaxSeries == 0 {
		return nil, nil
	}
	b := &Budget{Family: m.Name, Served: f.GetName(), Line: m.Line, MaxSeries: m.MaxSeries}
	for _, s := range f.GetMetric() {
		if isOverflow(s) {
			b.Overflow = true
			continue
		}
		b.Series++
	}
	finding := &Finding{Family: f.GetName(), Check: BudgetCheck, Line: m.Line}
	switch {
	case b.Overflow:
		finding.Severity = Error
		finding.Message = fmt.Sprintf("past its budget of %d series: label sets were folded into the %s=\"true\" series (%d served besides it)", b.MaxSeries, overflowLabel, b.Series)
	case b.Series > b.MaxSeries:
		finding.Severity = Error
		finding.Message = fmt.Sprintf("past its budget: %d series served, max_series is %d", b.Series, b.MaxSeries)
	case b.Series*100 >= budgetWarning*b.MaxSeries:
		finding.Severity = Warning
		finding.Message = fmt.Sprintf("%d of its %d series (%d %%): near its budget, past which label sets are folded into the overflow series", b.Series, b.MaxSeries, b.Percent())
	default:
		finding = nil
	}
	return b, finding
}

// unexpected is the finding of a family served as name although the switches leave it out.
func unexpected(m *catalog.Metric, name string, s catalog.Switches) Finding {
	f := Finding{Family: name, Severity: Error, Line: m.Line, Check: Disabled}
	switch {
	case catalog.MatchAny(s.Disable, m.Name):
		f.Message = fmt.Sprintf("served, but a -disable glob names %s: the service does not run with the switches given", m.Name)
	case m.Disabled && (!m.Hidden || s.ShowHidden):
		f.Message = "served, but disabled by default (enabled: false) and no -enable glob names it: a default deployment does not serve it"
	default:
		f.Check = Hidden
		f.Message = "served, but hidden (deprecated and on its way out) and hidden metrics are not shown: pass -show-hidden if the service runs with them shown"
	}
	return f
}
