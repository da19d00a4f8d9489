// Package testcatalog is the telemetry pipeline's own test catalogue, generated from
// instruments.yaml beside it: a metric of every kind, so that the pipeline's tests do not depend
// on Teleport's catalogue.
package testcatalog

//go:generate go tool instrumentgen instruments.yaml
