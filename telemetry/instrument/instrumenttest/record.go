package instrumenttest

import (
	"context"
	"fmt"
	"reflect"
)

// syncInstruments returns the fields of a generated Instruments struct (instruments is a
// pointer to it) that record synchronously: those with an Add or a Record method.
func syncInstruments(instruments any) []reflect.Value {
	return fieldsWith(instruments, "Add", "Record")
}

// fieldsWith returns the exported fields of the struct instruments points to that have one of
// the methods.
func fieldsWith(instruments any, methods ...string) []reflect.Value {
	v := reflect.ValueOf(instruments).Elem()
	var out []reflect.Value
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanInterface() {
			continue
		}
		for _, m := range methods {
			if f.MethodByName(m).IsValid() {
				out = append(out, f)
				break
			}
		}
	}
	return out
}

// RecordAll records val into every synchronous instrument of a generated Instruments struct
// (instruments is a pointer to it), through its typed Add or Record, with label(j) as its j-th
// label (converted to the label's enum type where it has one). It works for any catalogue
// instrumentgen generates: the generated tests record their whole catalogue with it, and tests
// of the generic pipeline record a catalogue without depending on its fields.
func RecordAll(ctx context.Context, instruments any, val float64, label func(j int) string) {
	for _, f := range syncInstruments(instruments) {
		record(ctx, f, false, val, label)
	}
}

// Record records val into the synchronous instrument number which (modulo their count; a
// negative which counts as its absolute value), through Bind when bound is set: fuzz tests
// drive every instrument of a catalogue this way.
func Record(ctx context.Context, instruments any, which int, bound bool, val float64, label func(j int) string) {
	fs := syncInstruments(instruments)
	if which < 0 {
		which = -which
	}
	record(ctx, fs[which%len(fs)], bound, val, label)
}

func record(ctx context.Context, f reflect.Value, bound bool, val float64, label func(int) string) {
	name := "Add"
	if !f.MethodByName(name).IsValid() {
		name = "Record"
	}
	m := f.MethodByName(name)
	t := m.Type() // (ctx, value, labels...)
	labels := labelValues(t, 2, label)
	args := []reflect.Value{reflect.ValueOf(ctx), number(t.In(1), val)}
	if bound && len(labels) > 0 {
		f.MethodByName("Bind").Call(labels)[0].MethodByName(name).Call(args)
		return
	}
	m.Call(append(args, labels...))
}

// ObserveAll registers, on every observable instrument of a generated Instruments struct
// (instruments is a pointer to it), a callback that observes val with label(j) as its j-th
// label. The registrations belong to the instruments: their Release unregisters them.
func ObserveAll(instruments any, val float64, label func(j int) string) error {
	for _, f := range fieldsWith(instruments, "Register") {
		register := f.MethodByName("Register")
		fnType := register.Type().In(0) // func(context.Context, XObserver) error
		fn := reflect.MakeFunc(fnType, func(in []reflect.Value) []reflect.Value {
			observe := in[1].MethodByName("Observe")
			t := observe.Type() // (val, labels...)
			observe.Call(append([]reflect.Value{number(t.In(0), val)}, labelValues(t, 1, label)...))
			return []reflect.Value{reflect.Zero(fnType.Out(0))}
		})
		if err, _ := register.Call([]reflect.Value{fn})[1].Interface().(error); err != nil {
			return fmt.Errorf("instrumenttest: register %s: %w", f.Type().Name(), err)
		}
	}
	return nil
}

// labelValues builds the label arguments of a method of type t, whose labels start at
// parameter first.
func labelValues(t reflect.Type, first int, label func(int) string) []reflect.Value {
	labels := make([]reflect.Value, t.NumIn()-first)
	for j := range labels {
		labels[j] = reflect.ValueOf(label(j)).Convert(t.In(first + j))
	}
	return labels
}

// number converts val to the value type t of an instrument: int64 or float64.
func number(t reflect.Type, val float64) reflect.Value {
	if t.Kind() == reflect.Int64 {
		return reflect.ValueOf(int64(val))
	}
	return reflect.ValueOf(val)
}
