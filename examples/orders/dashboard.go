package main

// dashboard.json is the orders service's Grafana dashboard, generated from its catalogue by
// `instrumentgen dashboard`: a row per section of ordermetrics/instruments.yaml and a panel per
// family. `go generate ./...` rewrites it when the catalogue changes; do not edit it by hand.
//
//go:generate go tool instrumentgen dashboard -o dashboard.json -title "orders: the service's own metrics" -uid orders ordermetrics/instruments.yaml
