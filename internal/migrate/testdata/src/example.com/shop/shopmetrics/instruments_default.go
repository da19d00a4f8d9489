package shopmetrics

import "go.opentelemetry.io/otel/metric"

var Default = new(Instruments)

func SetDefault(mp metric.MeterProvider) error {
	i, err := NewInstruments(mp)
	*Default = *i
	return err
}
