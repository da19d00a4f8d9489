// Package shopmetrics is a stub of what instrumentgen generates from ../../../../shop.yaml: the
// same types and methods, without the record path.
package shopmetrics

import "context"

type OutcomeAttr string

const (
	OutcomeOk    OutcomeAttr = "ok"
	OutcomeError OutcomeAttr = "error"
)

type Instruments struct {
	ShopRequestsTotal          ShopRequestsTotal
	ShopOrdersTotal            ShopOrdersTotal
	ShopInFlight               ShopInFlight
	ShopRequestDurationSeconds ShopRequestDurationSeconds
	ShopTemperatureCelsius     ShopTemperatureCelsius
	ShopQueueLength            ShopQueueLength
	ShopErrorsTotal            ShopErrorsTotal
	ShopBuildsTotal            ShopBuildsTotal
	ShopPayloadBytes           ShopPayloadBytes
}

func NewInstruments(mp any) (*Instruments, error) { return &Instruments{}, nil }

type ShopRequestsTotal struct{ p *int }

func (m ShopRequestsTotal) Add(ctx context.Context, incr float64, code string, method string) {}
func (m ShopRequestsTotal) Delete(code string, method string) bool                            { return false }
func (m ShopRequestsTotal) DeletePartialMatch(labels map[string]string) int                   { return 0 }
func (m ShopRequestsTotal) Reset()                                                            {}
func (m ShopRequestsTotal) Bind(code string, method string) ShopRequestsTotalBound {
	return ShopRequestsTotalBound{}
}

type ShopRequestsTotalBound struct{ p *int }

func (b ShopRequestsTotalBound) Add(ctx context.Context, incr float64) {}

type ShopOrdersTotal struct{ p *int }

func (m ShopOrdersTotal) Add(ctx context.Context, incr int64, outcome OutcomeAttr) {}
func (m ShopOrdersTotal) Delete(outcome OutcomeAttr) bool                          { return false }
func (m ShopOrdersTotal) DeletePartialMatch(labels map[string]string) int          { return 0 }
func (m ShopOrdersTotal) Reset()                                                   {}
func (m ShopOrdersTotal) Bind(outcome OutcomeAttr) ShopOrdersTotalBound {
	return ShopOrdersTotalBound{}
}

type ShopOrdersTotalBound struct{ p *int }

func (b ShopOrdersTotalBound) Add(ctx context.Context, incr int64) {}

type ShopInFlight struct{ p *int }

func (m ShopInFlight) Add(ctx context.Context, incr int64) {}

type ShopRequestDurationSeconds struct{ p *int }

func (m ShopRequestDurationSeconds) Record(ctx context.Context, val float64, method string) {}
func (m ShopRequestDurationSeconds) Delete(method string) bool                              { return false }
func (m ShopRequestDurationSeconds) DeletePartialMatch(labels map[string]string) int        { return 0 }
func (m ShopRequestDurationSeconds) Reset()                                                 {}
func (m ShopRequestDurationSeconds) Bind(method string) ShopRequestDurationSecondsBound {
	return ShopRequestDurationSecondsBound{}
}

type ShopRequestDurationSecondsBound struct{ p *int }

func (b ShopRequestDurationSecondsBound) Record(ctx context.Context, val float64) {}

type ShopTemperatureCelsius struct{ p *int }

func (m ShopTemperatureCelsius) Record(ctx context.Context, val float64) {}

type ShopQueueLength struct{ p *int }

func (m ShopQueueLength) Record(ctx context.Context, val int64, queue string) {}
func (m ShopQueueLength) Delete(queue string) bool                            { return false }
func (m ShopQueueLength) DeletePartialMatch(labels map[string]string) int     { return 0 }
func (m ShopQueueLength) Reset()                                              {}
func (m ShopQueueLength) Bind(queue string) ShopQueueLengthBound {
	return ShopQueueLengthBound{}
}

type ShopQueueLengthBound struct{ p *int }

func (b ShopQueueLengthBound) Record(ctx context.Context, val int64) {}

type ShopErrorsTotal struct{ p *int }

func (m ShopErrorsTotal) Add(ctx context.Context, incr int64) {}

type ShopBuildsTotal struct{ p *int }

func (m ShopBuildsTotal) Add(ctx context.Context, incr int64, version string) {}
func (m ShopBuildsTotal) Delete(version string) bool                          { return false }
func (m ShopBuildsTotal) DeletePartialMatch(labels map[string]string) int     { return 0 }
func (m ShopBuildsTotal) Reset()                                              {}
func (m ShopBuildsTotal) Bind(version string) ShopBuildsTotalBound {
	return ShopBuildsTotalBound{}
}

type ShopBuildsTotalBound struct{ p *int }

func (b ShopBuildsTotalBound) Add(ctx context.Context, incr int64) {}

type ShopPayloadBytes struct{ p *int }

func (m ShopPayloadBytes) Record(ctx context.Context, val float64) {}
