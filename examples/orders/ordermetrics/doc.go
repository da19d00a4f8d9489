// Package ordermetrics is the orders service's metric catalogue: typed OTel instruments
// generated from instruments.yaml by telediag's instrumentgen.
package ordermetrics

//go:generate go tool instrumentgen instruments.yaml
