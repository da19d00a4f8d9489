package instrument

import (
	"testing"

	"github.com/telediag/telediag/internal/catalog"
)

// TestLifecycleAgreesWithTheCatalogue: the HELP of an old name and the stability levels are
// written twice, here for the pipeline and in internal/catalog for the tools (a package the
// generated code of another module cannot import); they must say the same.
func TestLifecycleAgreesWithTheCatalogue(t *testing.T) {
	if got, want := RenamedHelp("rx_bytes_total", "(Deprecated since 4.2) Bytes."), catalog.RenamedHelp("rx_bytes_total", "(Deprecated since 4.2) Bytes."); got != want {
		t.Errorf("RenamedHelp = %q, catalog's %q", got, want)
	}
	for mine, theirs := range map[Stability]catalog.Stability{
		StabilityDevelopment: catalog.StabilityDevelopment, StabilityAlpha: catalog.StabilityAlpha,
		StabilityBeta: catalog.StabilityBeta, StabilityStable: catalog.StabilityStable,
	} {
		if string(mine) != string(theirs) {
			t.Errorf("stability %q is %q in the catalogue", mine, theirs)
		}
	}
	if (Lifecycle{}).Deprecated() || !(Lifecycle{DeprecatedSince: "4.2"}).Deprecated() {
		t.Error("Deprecated does not follow DeprecatedSince")
	}
}
