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

// Example_native: native buckets added beside a stable histogram's classic ones break the
// queries of its classic series on a Prometheus that scrapes native histograms, which fails the
// diff; on an alpha histogram the same change is reported and allowed; a native histogram's
// resolution changed is compatible.
func Example_native() {
	before, err := catalog.Parse("old.yaml", []byte(`metrics:
  - name: rpc_seconds
    kind: histogram
    value_type: double
    unit: s
    description: "RPC latency."
    buckets: [0.1, 1, 10]
  - name: queue_seconds
    kind: histogram
    value_type: double
    unit: s
    description: "Time in the queue."
    stability: alpha
    buckets: [0.1, 1, 10]
  - name: payload_bytes
    kind: histogram
    value_type: double
    unit: By
    description: "Payload sizes."
    native: {schema: 3}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	after, err := catalog.Parse("new.yaml", []byte(`metrics:
  - name: rpc_seconds
    kind: histogram
    value_type: double
    unit: s
    description: "RPC latency."
    buckets: [0.1, 1, 10]
    native: {bucket_factor: 1.1}
  - name: queue_seconds
    kind: histogram
    value_type: double
    unit: s
    description: "Time in the queue."
    stability: alpha
    buckets: [0.1, 1, 10]
    native: {bucket_factor: 1.1}
  - name: payload_bytes
    kind: histogram
    value_type: double
    unit: By
    description: "Payload sizes."
    native: {schema: 1}
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	changes := catalogdiff.Compare(before, after)
	for _, c := range changes {
		fmt.Printf("%s %s %s: %s, fails: %t, series: %v\n", c.Severity, c.Metric, c.Field, c.New, c.Fails(), c.Series)
	}
	fmt.Println(catalogdiff.CountFailing(changes), "failing")
	// Output:
	// breaking rpc_seconds native: {bucket_factor: 1.1, max_buckets: 160, zero_threshold: 2.938735877055719e-39, min_reset_duration: 0}, fails: true, series: [rpc_seconds_bucket rpc_seconds_sum rpc_seconds_count]
	// breaking queue_seconds native: {bucket_factor: 1.1, max_buckets: 160, zero_threshold: 2.938735877055719e-39, min_reset_duration: 0}, fails: false, series: [queue_seconds_bucket queue_seconds_sum queue_seconds_count]
	// compatible payload_bytes native: {schema: 1, max_buckets: 160, zero_threshold: 2.938735877055719e-39, min_reset_duration: 0}, fails: false, series: []
	// 1 failing
}
