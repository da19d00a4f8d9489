package livecheck_test

import (
	"fmt"
	"strings"

	"github.com/telediag/telediag/internal/catalog"
	"github.com/telediag/telediag/internal/livecheck"
	"github.com/telediag/telediag/internal/scrape"
)

// Run holds what a service serves to its catalogue: here the service added a label value its
// enum does not know, and a family nobody declared.
func ExampleRun() {
	cat, err := catalog.Parse("instruments.yaml", []byte(`labels:
  payment_method: {description: "How the customer paid.", enum: [card, invoice]}
metrics:
  - name: orders_placed_total
    kind: counter
    value_type: int
    unit: "{order}"
    description: "Orders accepted, by payment method."
    labels: [payment_method]
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	exp, err := scrape.Open("-", strings.NewReader(`# HELP orders_placed_total Orders accepted, by payment method.
# TYPE orders_placed_total counter
orders_placed_total{payment_method="card"} 3
orders_placed_total{payment_method="crypto"} 1
# HELP orders_refunded_total Refunds.
# TYPE orders_refunded_total counter
orders_refunded_total 0
# HELP go_goroutines Runtime families are telemetry's own.
# TYPE go_goroutines gauge
go_goroutines 8
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	res := livecheck.Run(cat, exp.Families)
	for _, f := range res.Findings {
		fmt.Printf("%s: %s: %s\n", f.Family, f.Check, f.Message)
	}
	fmt.Println("failed:", res.Failed())
	// Output:
	// orders_placed_total: enum: label payment_method has values outside its enum [card, invoice]: "crypto"
	// orders_refunded_total: undeclared: served as a counter but not declared in instruments.yaml
	// failed: true
}
