package catalogdiff_test

import (
	"fmt"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/catalogdiff"
)

// Example compares two versions of a catalogue: a label dropped from a counter breaks the
// queries that group or select on it, while a reworded description breaks nothing.
func Example() {
	before, err := catalog.Parse("old.yaml", []byte(`labels:
  payment_method: {description: "How the customer paid.", enum: [card, invoice]}
metrics:
  - name: orders_placed_total
    kind: counter
    value_type: int
    unit: "{order}"
    description: "Orders accepted."
    labels: [payment_method]
  - name: orders_in_flight
    kind: updowncounter
    value_type: int
    unit: "{order}"
    description: "Orders in progress."
    labels: [payment_method]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	after, err := catalog.Parse("new.yaml", []byte(`labels:
  payment_method: {description: "How the customer paid.", enum: [card, invoice]}
metrics:
  - name: orders_placed_total
    kind: counter
    value_type: int
    unit: "{order}"
    description: "Orders accepted."
  - name: orders_in_flight
    kind: updowncounter
    value_type: int
    unit: "{order}"
    description: "Orders being processed."
    labels: [payment_method]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	changes := catalogdiff.Compare(before, after)
	for _, c := range changes {
		fmt.Println(c)
	}
	fmt.Println(catalogdiff.CountBreaking(changes), "breaking")
	// Output:
	// new.yaml:4: breaking: metric orders_placed_total: labels.payment_method: label payment_method removed: selectors that match on payment_method find nothing, and by (payment_method) groupings and legends lose it
	// new.yaml:9: compatible: metric orders_in_flight: description: reworded: the HELP text changes; queries are unaffected
	// 1 breaking
}
