package promimport_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/telediag/telediag/internal/promimport"
	"github.com/telediag/telediag/internal/scrape"
)

// Import turns what a client_golang service serves into a catalogue: the counter keeps its
// _total, the unit comes from the name's suffix, the label is declared once with a TODO and the
// values one scrape saw, and the summary's objectives are the quantiles it serves, with errors
// the scrape does not show, as the note says.
func ExampleImport() {
	exp, err := scrape.Open("-", strings.NewReader(`# HELP shop_requests_total Requests answered.
# TYPE shop_requests_total counter
shop_requests_total{code="200"} 7
shop_requests_total{code="503"} 1
# HELP shop_request_duration_seconds Time to answer.
# TYPE shop_request_duration_seconds histogram
shop_request_duration_seconds_bucket{le="0.1"} 6
shop_request_duration_seconds_bucket{le="1"} 8
shop_request_duration_seconds_bucket{le="+Inf"} 8
shop_request_duration_seconds_sum 1.2
shop_request_duration_seconds_count 8
# HELP shop_payload_bytes Payload sizes.
# TYPE shop_payload_bytes summary
shop_payload_bytes{quantile="0.5"} 40
shop_payload_bytes{quantile="0.99"} 60
shop_payload_bytes_sum 100
shop_payload_bytes_count 2
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	res, err := promimport.Import(exp.Families, promimport.Options{Source: "http://shop:8080/metrics"})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range res.Skipped {
		fmt.Println("left out", s)
	}
	for _, n := range res.Notes {
		fmt.Println("note:", n)
	}
	os.Stdout.Write(res.YAML)
	// Output:
	// note: shop_payload_bytes: summary with objectives {0.5: 0.05, 0.99: 0.001}: /metrics shows the quantiles, not the errors allowed on them nor max_age, so each error is min(q, 1-q)/10 and max_age client_golang's default 10m; set the service's own
	// # Metric catalogue imported by `instrumentgen import` from http://shop:8080/metrics.
	// #
	// # Before you generate from it:
	// #   - write every description that starts with "TODO": each label's, and a metric's whose
	// #     family had no HELP;
	// #   - check each unit: it comes from OpenMetrics' UNIT or the name's suffix (_seconds, _bytes…);
	// #     "1" means neither said, so give a UCUM annotation such as {request} where one fits;
	// #   - value_type is double, as client_golang records every value as a float64; make counts int
	// #     if you like;
	// #   - a summary's objectives are the quantiles it served, with errors the scrape does not show:
	// #     check them, and max_age, against the service's SummaryOpts;
	// #   - a label's "seen" comment lists the values of one scrape: add an enum only if the set is
	// #     closed;
	// #   - kind gauge may be an updowncounter, which /metrics serves as a gauge too: a scrape cannot
	// #     tell them apart, the code can (see the comment beside each gauge);
	// #   - sections are the names' first words: regroup them as the documentation should read.
	// #
	// # Then: instrumentgen -check instruments.yaml, and instrumentgen live-check against the service.
	//
	// labels:
	//   # seen: "200", "503" (one scrape: not necessarily every value)
	//   code:
	//     description: "TODO: write what the label code means."
	// metrics:
	//   - name: shop_payload_bytes
	//     section: shop
	//     kind: summary
	//     value_type: double
	//     unit: "By"
	//     description: "Payload sizes."
	//     # allowed errors are not on /metrics: min(q, 1-q)/10 each, client_golang's own 0.5: 0.05, 0.9: 0.01, 0.99: 0.001;
	//     # max_age and age_buckets neither: client_golang's defaults (10m, 5) apply. Set the service's SummaryOpts here.
	//     objectives: {0.5: 0.05, 0.99: 0.001}
	//   - name: shop_request_duration_seconds
	//     section: shop
	//     kind: histogram
	//     value_type: double
	//     unit: "s"
	//     description: "Time to answer."
	//     buckets: [0.1, 1]
	//   - name: shop_requests_total
	//     section: shop
	//     kind: counter
	//     value_type: double
	//     unit: "1" # no unit in the name or UNIT
	//     description: "Requests answered."
	//     labels: [code]
}
