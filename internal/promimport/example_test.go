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
// values one scrape saw, and the summary is left out with its reason.
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
	os.Stdout.Write(res.YAML)
	// Output:
	// left out shop_payload_bytes: summary: OTel has no summary instrument; declare a histogram instead, with buckets around the quantiles you query
	// # Metric catalogue imported by `instrumentgen import` from http://shop:8080/metrics.
	// #
	// # Before you generate from it:
	// #   - write every description that starts with "TODO": each label's, and a metric's whose
	// #     family had no HELP;
	// #   - check each unit: it comes from OpenMetrics' UNIT or the name's suffix (_seconds, _bytes…);
	// #     "1" means neither said, so give a UCUM annotation such as {request} where one fits;
	// #   - value_type is double, as client_golang records every value as a float64; make counts int
	// #     if you like;
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
