package promimport

import (
	"strings"

	"github.com/prometheus/otlptranslator"

	"github.com/telediag/telediag/internal/catalog"
)

// unitTable turns the unit words of Prometheus names and of OpenMetrics' UNIT (seconds,
// bytes, bytes_per_second, …) back into the UCUM units the catalogue declares.
//
// It is otlptranslator's own mapping read backwards: every UCUM unit of the catalogue's subset
// is given to otlptranslator.UnitNamer, which is what the OTel Prometheus exporter uses to
// suffix names, and the word it answers is mapped back to it. So the importer reads a suffix
// exactly as the exporter would have written it for that unit, and a unit otlptranslator has no
// word for is never guessed.
type unitTable map[string]string

// newUnitTable builds the table. Candidates are the atoms and prefixes of catalog.ValidateUnit's
// UCUM subset; those otlptranslator leaves unchanged have no word and are left out.
func newUnitTable() unitTable {
	atoms := []string{"s", "By", "bit", "Hz", "m", "g", "W", "J", "V", "A", "1", "%", "min", "h", "d", "Cel", "K"}
	prefixes := []string{"", "k", "M", "G", "T", "P", "m", "u", "n", "p", "Ki", "Mi", "Gi", "Ti", "Pi"}
	namer := otlptranslator.UnitNamer{}
	t := unitTable{}
	add := func(ucum string) bool {
		if catalog.ValidateUnit(ucum) != nil {
			return false
		}
		word := namer.Build(ucum)
		if word == "" || word == ucum || t[word] != "" {
			return false
		}
		t[word] = ucum
		return true
	}
	var mains []string
	for _, a := range atoms {
		for _, p := range prefixes {
			if add(p + a) {
				mains = append(mains, p+a)
			}
		}
	}
	// Rates: By/s is bytes_per_second. otlptranslator words the per-units s, h and d (its "m"
	// means minute, which UCUM spells min, so it is left out).
	for _, m := range mains {
		for _, per := range []string{"s", "h", "d"} {
			add(m + "/" + per)
		}
	}
	// Prometheus's naming guide ends ratios in _ratio; otlptranslator writes UCUM "1" as no
	// suffix at all, so it has no word to read back.
	t["ratio"] = "1"
	return t
}

// fromName finds the unit in the name's last words: process_cpu_seconds_total is in s,
// node_network_receive_bytes_per_second in By/s. A counter's _total is not a unit.
func (t unitTable) fromName(name string, counter bool) (string, bool) {
	words := strings.Split(name, "_")
	if counter && len(words) > 1 && words[len(words)-1] == "total" {
		words = words[:len(words)-1]
	}
	for n := min(3, len(words)-1); n >= 1; n-- {
		if u, ok := t[strings.Join(words[len(words)-n:], "_")]; ok {
			return u, true
		}
	}
	return "", false
}

// fromUnit reads OpenMetrics' UNIT: a word of the table, or else, when it can be one, a UCUM
// annotation naming what is counted ({requests}).
func (t unitTable) fromUnit(word string) (string, bool) {
	if word == "" {
		return "", false
	}
	if u, ok := t[word]; ok {
		return u, true
	}
	if ann := "{" + word + "}"; catalog.ValidateUnit(ann) == nil {
		return ann, true
	}
	return "", false
}
