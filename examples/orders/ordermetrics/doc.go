// Package ordermetrics is the orders service's metric catalogue: typed OTel instruments
// generated from instruments.yaml by telediag's instrumentgen.
package ordermetrics

//go:generate go run github.com/telediag/telediag/cmd/instrumentgen instruments.yaml
