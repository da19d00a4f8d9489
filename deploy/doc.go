// Package deploy holds what operators load next to telediag: the Prometheus alert rules in
// prometheus/ (tested with promtool) and the Grafana dashboard in grafana/, which is generated
// from instruments.yaml. Its tests check every metric a rule or a panel queries against the
// catalogue, with Prometheus's own PromQL parser.
//
// deploy is a Go module of its own so that the parser, with the Prometheus module's dependency
// graph behind it, stays out of telediag's go.mod; a replace directive points it at the
// repository's root module for the catalogue loader.
package deploy

//go:generate go run ./internal/dashgen -catalog ../instruments.yaml -out grafana/telediag.json
