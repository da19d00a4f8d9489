package telemetry

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// ErrFinalExportNotDelivered is matched (errors.Is) by the error of Shutdown when the last push
// of metrics did not reach its destination: the collector was down, hung, or the shutdown
// deadline came first. Everything recorded since the last delivered export is lost; nothing
// else is wrong. A caller that treats an unreachable collector as an ordinary condition, as
// telediag does on SIGTERM, warns and carries on; see FinalExportError for the details.
var ErrFinalExportNotDelivered = errors.New("final metrics export not delivered")

// FinalExportError is the error (errors.As) for ErrFinalExportNotDelivered: what was not
// delivered, where to, and why.
type FinalExportError struct {
	// Exporter is the kind of push: "otlp/grpc", "otlp/http/protobuf", "console" or "custom".
	Exporter string
	// Endpoint is where an OTLP exporter configured from the environment sends; empty when
	// unknown (a custom exporter).
	Endpoint string
	// LastDelivered is when an export last succeeded; the zero time if none ever did.
	LastDelivered time.Time
	// Err is the cause: the final export's error, or the context's if the deadline came first.
	Err error
}

// Error says, on one line, what was not delivered, where to, what is lost and why.
func (e *FinalExportError) Error() string {
	to := e.Exporter
	if e.Endpoint != "" {
		to += " to " + e.Endpoint
	}
	return fmt.Sprintf("telemetry: %s (%s): %s; %v", ErrFinalExportNotDelivered, to, e.Lost(), e.Err)
}

// Lost says in words what is missing at the destination.
func (e *FinalExportError) Lost() string {
	if e.LastDelivered.IsZero() {
		return "no export was ever delivered, so the destination has none of this process's metrics"
	}
	return "changes recorded since the last delivered export at " + e.LastDelivered.UTC().Format(time.RFC3339) + " are lost"
}

// Unwrap lets errors.Is match ErrFinalExportNotDelivered and the cause (context.DeadlineExceeded,
// a dial error, …).
func (e *FinalExportError) Unwrap() []error { return []error{ErrFinalExportNotDelivered, e.Err} }

// isContextError reports whether err is a context's cancellation or deadline: what the SDK
// returns when the shutdown deadline ends the final collection or export.
func isContextError(err error) bool {
	return errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled)
}

// leaves flattens errors.Join trees, so that each failure of a MeterProvider.Shutdown (one per
// reader) can be judged on its own.
func leaves(err error) []error {
	if err == nil {
		return nil
	}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		var out []error
		for _, e := range j.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	}
	return []error{err}
}
