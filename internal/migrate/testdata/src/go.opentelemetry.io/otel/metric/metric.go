// Package metric is a stub of OTel's metric API: what the tests' generated package uses.
package metric

type MeterProvider interface{ meterProvider() }
