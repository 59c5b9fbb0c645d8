// Package metrics publishes salesseg's operational metrics as CloudWatch
// embedded metric format (EMF) log lines: a JSON log line whose "_aws"
// member tells CloudWatch Logs which of its numeric members to turn into
// metrics, in namespace Namespace, with the dimension Function naming the
// function (ingest, api, recompute). The same line stays an ordinary
// structured log line, searchable in Logs Insights, so one line per file
// or request carries both the metrics and the context behind them.
//
// Lines go through the function's own slog handler, so they share its
// stream and format, but are written whatever the logger's level: metrics
// must not disappear when LOG_LEVEL is raised to warn.
//
// Work measures one unit of work (an ingested file): time per phase, time
// and bytes spent reading its input, and DynamoDB items written on its
// behalf, which CountWrites counts from the SDK client. Nothing here
// returns errors: a metric that cannot be measured is simply not emitted.
package metrics

import (
	"context"
	"log/slog"
	"time"
)

// Namespace is the CloudWatch namespace of every metric.
const Namespace = "salesseg"

// FunctionDimension is the dimension every metric carries: which function
// emitted it.
const FunctionDimension = "Function"

// Unit is a CloudWatch metric unit.
type Unit string

// The units salesseg's metrics use.
const (
	UnitCount        Unit = "Count"
	UnitSeconds      Unit = "Seconds"
	UnitMilliseconds Unit = "Milliseconds"
	UnitBytes        Unit = "Bytes"
)

// Metric is one value of a named metric.
type Metric struct {
	Name  string
	Unit  Unit
	Value float64
}

// Count is a metric counting n things.
func Count(name string, n int64) Metric { return Metric{name, UnitCount, float64(n)} }

// Seconds is a duration metric in seconds.
func Seconds(name string, d time.Duration) Metric { return Metric{name, UnitSeconds, d.Seconds()} }

// Milliseconds is a duration metric in milliseconds.
func Milliseconds(name string, d time.Duration) Metric {
	return Metric{name, UnitMilliseconds, float64(d.Microseconds()) / 1000}
}

// Bytes is a size metric in bytes.
func Bytes(name string, n int64) Metric { return Metric{name, UnitBytes, float64(n)} }

// Dimension is a dimension name and its value for one line.
type Dimension struct{ Name, Value string }

// Emitter writes EMF lines for one function. It is safe for concurrent
// use; a nil *Emitter writes nothing.
type Emitter struct {
	h        slog.Handler
	function string
	now      func() time.Time
}

// New returns an Emitter writing through log's handler with the dimension
// Function=function. A nil log discards the lines.
func New(log *slog.Logger, function string) *Emitter {
	h := slog.DiscardHandler
	if log != nil {
		h = log.Handler()
	}
	return &Emitter{h: h, function: function, now: time.Now}
}

// directive is one entry of _aws.CloudWatchMetrics in the EMF
// specification.
type directive struct {
	Namespace  string       `json:"Namespace"`
	Dimensions [][]string   `json:"Dimensions"`
	Metrics    []definition `json:"Metrics"`
}

type definition struct {
	Name string `json:"Name"`
	Unit Unit   `json:"Unit"`
}

type envelope struct {
	Timestamp         int64       `json:"Timestamp"`
	CloudWatchMetrics []directive `json:"CloudWatchMetrics"`
}

// Emit writes one info line with message msg: the metrics ms, aggregated
// by Function alone and, when dims is not empty, also by Function and
// dims together; and attrs as plain properties. Metric and dimension names
// must not collide with each other, with attrs or with the handler's own
// time, level and msg keys.
func (e *Emitter) Emit(ctx context.Context, msg string, dims []Dimension, ms []Metric, attrs ...slog.Attr) {
	if e == nil || len(ms) == 0 {
		return
	}
	now := e.now()
	sets := [][]string{{FunctionDimension}}
	if len(dims) > 0 {
		set := []string{FunctionDimension}
		for _, d := range dims {
			set = append(set, d.Name)
		}
		sets = append(sets, set)
	}
	d := directive{Namespace: Namespace, Dimensions: sets, Metrics: make([]definition, len(ms))}
	for i, m := range ms {
		d.Metrics[i] = definition{Name: m.Name, Unit: m.Unit}
	}
	r := slog.NewRecord(now, slog.LevelInfo, msg, 0)
	r.AddAttrs(slog.Any("_aws", envelope{Timestamp: now.UnixMilli(), CloudWatchMetrics: []directive{d}}),
		slog.String(FunctionDimension, e.function))
	for _, d := range dims {
		r.AddAttrs(slog.String(d.Name, d.Value))
	}
	for _, m := range ms {
		r.AddAttrs(slog.Float64(m.Name, m.Value))
	}
	r.AddAttrs(attrs...)
	// Handle directly, not through a Logger, so the logger's level cannot
	// filter the line out.
	_ = e.h.Handle(ctx, r)
}

// Timed returns fn wrapped so that every call emits one line with message
// name: <name>Seconds, how long the call took, and <name>Errors, 1 if it
// returned an error and 0 if not (so its average is the error rate). The
// error itself is returned unchanged.
func Timed[E any](e *Emitter, name string, fn func(context.Context, E) error) func(context.Context, E) error {
	return func(ctx context.Context, ev E) error {
		start := time.Now()
		err := fn(ctx, ev)
		failed := int64(0)
		if err != nil {
			failed = 1
		}
		e.Emit(ctx, name, nil, []Metric{Seconds(name+"Seconds", time.Since(start)), Count(name+"Errors", failed)})
		return err
	}
}
