package dashboard

import (
	"strings"

	"github.com/telediag/telediag/internal/catalog"
)

// annotateLifecycle tells, on the panel of m, what its lifecycle means to whoever reads the
// dashboard: a deprecated family's title says so (a panel is where a user finds out that a
// family is on its way out), and the description says since when, why and what replaces it,
// whether a default deployment serves it at all (hidden, disabled by default: an empty panel is
// then expected), and which old names it still serves. The queries read the family's own name
// only: an old name is for the queries not moved yet, never for a generated panel.
func annotateLifecycle(m *catalog.Metric, p *Panel) {
	var before, after []string
	var marks []string
	if d := m.Deprecated; d != nil {
		marks = append(marks, "deprecated")
		text := "Deprecated since " + d.Since + "."
		if d.Note != "" {
			text += " " + strings.TrimSpace(d.Note)
			if !strings.HasSuffix(text, ".") {
				text += "."
			}
		}
		if d.ReplacedBy != "" {
			text += " Replaced by " + d.ReplacedBy + "."
		}
		before = append(before, text)
	}
	if m.Hidden {
		marks = append(marks, "hidden")
		before = append(before, "Hidden: served only where the operator shows hidden metrics, so this panel is empty elsewhere.")
	}
	if m.Disabled {
		marks = append(marks, "off by default")
		before = append(before, "Disabled by default: served only where the operator enables it, so this panel is empty elsewhere.")
	}
	if len(m.RenamedFrom) > 0 {
		after = append(after, "Formerly "+strings.Join(m.RenamedFrom, ", ")+", which the family still serves for the queries not moved yet; this panel reads "+m.Name+".")
	}
	if len(marks) > 0 {
		p.Title += " [" + strings.Join(marks, ", ") + "]"
	}
	p.Description = strings.Join(append(append(before, p.Description), after...), " ")
}
