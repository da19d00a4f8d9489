package instrument

import (
	"context"
	"encoding/binary"
	"sync"
	"testing"
	"time"

	"go.opentelemetry.io/otel/trace"
)

// spanContext returns a sampled (or not) span context whose IDs are derived from i, so that a
// reader can tell a torn exemplar from a whole one.
func spanContext(i uint64, sampled bool) trace.SpanContext {
	var tid trace.TraceID
	var sid trace.SpanID
	binary.BigEndian.PutUint64(tid[:8], i)
	binary.BigEndian.PutUint64(tid[8:], ^i)
	binary.BigEndian.PutUint64(sid[:], i*3+1)
	cfg := trace.SpanContextConfig{TraceID: tid, SpanID: sid}
	if sampled {
		cfg.TraceFlags = trace.FlagsSampled
	}
	return trace.NewSpanContext(cfg)
}

func TestExemplarSlotFilters(t *testing.T) {
	sampled := trace.ContextWithSpanContext(context.Background(), spanContext(7, true))
	unsampled := trace.ContextWithSpanContext(context.Background(), spanContext(8, false))
	for _, tc := range []struct {
		filter            Exemplars
		ctx               context.Context
		kept, ids, offers bool
	}{
		{ExemplarsOff, sampled, false, false, false},
		{ExemplarsTraceBased, sampled, true, true, true},
		{ExemplarsTraceBased, unsampled, false, false, false},
		{ExemplarsTraceBased, context.Background(), false, false, false},
		{ExemplarsAlwaysOn, unsampled, true, true, true},
		{ExemplarsAlwaysOn, context.Background(), true, false, true},
	} {
		var s exemplarSlot
		before := time.Now()
		if got := s.offer(tc.ctx, tc.filter, toBits(2.5, true)); got != tc.offers {
			t.Errorf("filter %d: offer = %v, want %v", tc.filter, got, tc.offers)
		}
		e, ok := exemplarOf[float64](&s, time.Time{}, true)
		if ok != tc.kept {
			t.Errorf("filter %d: kept = %v, want %v", tc.filter, ok, tc.kept)
			continue
		}
		if !ok {
			continue
		}
		if e.Value != 2.5 || e.Time.Before(before) || e.Time.After(time.Now()) {
			t.Errorf("filter %d: exemplar %+v", tc.filter, e)
		}
		tid, sid := ids(trace.SpanContextFromContext(tc.ctx))
		if got := e.TraceID != nil; got != tc.ids || (got && (string(e.TraceID) != string(tid) || string(e.SpanID) != string(sid))) {
			t.Errorf("filter %d: IDs %x/%x, want %x/%x (set: %v)", tc.filter, e.TraceID, e.SpanID, tid, sid, tc.ids)
		}
		// A delta interval that began after the measurement has no exemplar.
		if _, ok := exemplarOf[float64](&s, time.Now().Add(time.Second), true); ok {
			t.Errorf("filter %d: an exemplar older than the interval was returned", tc.filter)
		}
	}
}

// TestExemplarSlotConcurrent: writers racing on one slot and readers reading it never produce
// a torn exemplar (a value with another measurement's IDs); the race detector sees only atomic
// accesses.
func TestExemplarSlotConcurrent(t *testing.T) {
	var s exemplarSlot
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for w := range 4 {
		wg.Go(func() {
			for i := uint64(w) * 1_000_000; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ctx := trace.ContextWithSpanContext(context.Background(), spanContext(i, true))
				s.offer(ctx, ExemplarsTraceBased, i)
			}
		})
	}
	reads := 0
	for range 20_000 {
		e, ok := exemplarOf[int64](&s, time.Time{}, false)
		if !ok {
			continue
		}
		reads++
		i := uint64(e.Value)
		if tid, sid := ids(spanContext(i, true)); string(e.TraceID) != string(tid) || string(e.SpanID) != string(sid) {
			t.Fatalf("torn exemplar: value %d with IDs %x/%x", i, e.TraceID, e.SpanID)
		}
	}
	close(stop)
	wg.Wait()
	if reads == 0 {
		t.Fatal("no exemplar was ever read")
	}
}

// ids returns sc's trace and span IDs as the bytes an exemplar carries.
func ids(sc trace.SpanContext) (tid, sid []byte) {
	t, s := sc.TraceID(), sc.SpanID()
	return t[:], s[:]
}
