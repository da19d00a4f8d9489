// Package telemetry is a stub of telediag's pipeline: what migrated code calls.
package telemetry

import (
	"context"
	"net/http"

	"go.opentelemetry.io/otel/metric"
)

type Telemetry struct{}

type Option func()

func New(ctx context.Context, opts ...Option) (*Telemetry, error) { return &Telemetry{}, nil }
func (t *Telemetry) Handler() http.Handler                        { return nil }
func (t *Telemetry) MeterProvider() metric.MeterProvider          { return nil }
func (t *Telemetry) Shutdown(ctx context.Context) error           { return nil }
