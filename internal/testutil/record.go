package testutil

import (
	"context"
	"reflect"
)

// syncInstruments returns the fields of a generated Instruments struct (instruments is a
// pointer to it) that record synchronously: those with an Add or a Record method.
func syncInstruments(instruments any) []reflect.Value {
	v := reflect.ValueOf(instruments).Elem()
	var out []reflect.Value
	for i := range v.NumField() {
		f := v.Field(i)
		if !f.CanInterface() {
			continue
		}
		if f.MethodByName("Add").IsValid() || f.MethodByName("Record").IsValid() {
			out = append(out, f)
		}
	}
	return out
}

// RecordAll records val into every synchronous instrument of a generated Instruments struct
// (instruments is a pointer to it), through its typed API, with label(j) as its j-th label.
// It works for any catalogue instrumentgen generates, which lets tests of the generic pipeline
// record a whole catalogue without depending on its fields.
func RecordAll(ctx context.Context, instruments any, val float64, label func(j int) string) {
	for _, f := range syncInstruments(instruments) {
		record(ctx, f, false, val, label)
	}
}

// Record records val into the synchronous instrument number which (modulo their count), through
// Bind when bound is set: the fuzz tests drive every instrument of a catalogue this way.
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
	labels := make([]reflect.Value, t.NumIn()-2)
	for j := range labels {
		labels[j] = reflect.ValueOf(label(j)).Convert(t.In(2 + j))
	}
	value := reflect.ValueOf(val)
	if t.In(1).Kind() == reflect.Int64 {
		value = reflect.ValueOf(int64(val))
	}
	args := []reflect.Value{reflect.ValueOf(ctx), value}
	if bound && len(labels) > 0 {
		f.MethodByName("Bind").Call(labels)[0].MethodByName(name).Call(args)
		return
	}
	m.Call(append(args, labels...))
}
