// Package config reads the settings of salesseg's three functions (ingest,
// api, recompute) from the environment variables template.yaml gives them,
// validates them and applies their defaults. The Lambda mains and
// `salesseg local` both go through it, so a setting means the same thing,
// is checked the same way and has the same default wherever the functions
// run; each service package's NewFromConfig builds its service from its
// function's settings. The builders live there, not here, because a
// package that built every service would link all three into each
// function: the api function's binary carried the file parsers, ingest,
// recompute and Step Functions, and was 26 MB.
//
// The settings live here rather than in each service package because they
// are the deployment's contract, not the services': the variable names
// mirror template.yaml, and the services take plain typed options that
// tests fill in directly.
//
// A loader reports every bad variable at once: its error joins one
// *VarError per variable, each wrapping ErrMissing or ErrInvalid. With the
// error it still returns what it read, and LogLevel is always usable (info
// when LOG_LEVEL is unset or invalid), so a main can log the error.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"time"

	"golang.org/x/text/currency"

	"github.com/salesseg/salesseg/internal/logging"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/shard"
)

// The environment variables the functions read, as template.yaml sets
// them. An empty variable counts as unset.
const (
	TableVar           = "TABLE_NAME"        // the DynamoDB table; required
	BucketVar          = "BUCKET_NAME"       // the sales bucket; required by api and recompute
	LogLevelVar        = "LOG_LEVEL"         // debug, info, warn or error; default info
	MaxRejectRateVar   = "MAX_REJECT_RATE"   // ingest: 0 to 1; default DefaultMaxRejectRate
	MaxSpoolBytesVar   = "MAX_SPOOL_BYTES"   // ingest: bytes, 0 or more; default 0, the parser's own limit
	FiscalYearStartVar = "FISCAL_YEAR_START" // api: month number 1 to 12; default 1 (January)
	// CurrencyVar is the api's: the ISO 4217 code every amount is in
	// ("USD"), which the dashboard shows; unset, amounts carry no unit.
	CurrencyVar = "CURRENCY"
	// ProcessingDeadlineVar is ingest's: a Go duration ("55m"), more than
	// zero; default DefaultProcessingDeadline.
	ProcessingDeadlineVar = "PROCESSING_DEADLINE"
	// CustomerShardsVar is ingest's and recompute's: the number of
	// customer shards histories are grouped by and recompute computes
	// (package shard), 1 to shard.Max; default shard.Default.
	CustomerShardsVar = "CUSTOMER_SHARDS"
	// RecomputeWorkersVar is recompute's: how many shards it computes at
	// once, 1 to 64; default DefaultRecomputeWorkers.
	RecomputeWorkersVar = "RECOMPUTE_WORKERS"
	// StateMachineVar is recompute's: the ARN of the state machine that
	// runs its steps; unset, a scheduled run computes in the function.
	StateMachineVar = "STATE_MACHINE_ARN"
	// FunctionMemoryVar is set by Lambda: the function's memory in MB.
	// Recompute sets its Go memory limit from it (Recompute.MemoryLimit).
	FunctionMemoryVar = "AWS_LAMBDA_FUNCTION_MEMORY_SIZE"
	// GoMemLimitVar is the Go runtime's own soft memory limit; set, it
	// wins over the one recompute derives.
	GoMemLimitVar = "GOMEMLIMIT"
)

// DefaultRecomputeWorkers is how many shards recompute computes at once
// when RECOMPUTE_WORKERS is unset: a shard's purchases are a small part
// of the base, and reading them from S3 waits more than it computes.
const DefaultRecomputeWorkers = 4

// DefaultProcessingDeadline is how long an upload may stay processing
// when PROCESSING_DEADLINE is unset: the ingest function's 900 s timeout
// times Lambda's three asynchronous attempts, plus 10 minutes for the
// waits between attempts.
const DefaultProcessingDeadline = 3*900*time.Second + 10*time.Minute

// DefaultMaxRejectRate is the share of rejected rows above which ingest
// fails a file when MAX_REJECT_RATE is unset.
const DefaultMaxRejectRate = 0.5

var (
	// ErrMissing means a required variable is unset or empty.
	ErrMissing = errors.New("required but not set")
	// ErrInvalid means a variable's value cannot be parsed or is out of
	// range.
	ErrInvalid = errors.New("invalid value")
)

// VarError is what is wrong with one environment variable.
type VarError struct {
	Name  string // the variable, e.g. MAX_REJECT_RATE
	Value string // its value as read
	Err   error  // wraps ErrMissing or ErrInvalid
}

// Error names the variable, its value if it has one, and the problem.
func (e *VarError) Error() string {
	if e.Value == "" {
		return fmt.Sprintf("%s: %v", e.Name, e.Err)
	}
	return fmt.Sprintf("%s=%q: %v", e.Name, e.Value, e.Err)
}

// Unwrap returns the problem, which wraps ErrMissing or ErrInvalid.
func (e *VarError) Unwrap() error { return e.Err }

// Ingest is the ingest function's configuration.
type Ingest struct {
	Table         string
	LogLevel      slog.Level
	MaxRejectRate float64
	MaxSpoolBytes int64
	// ProcessingDeadline bounds how long an upload stays processing (see
	// ingest.ServiceOptions).
	ProcessingDeadline time.Duration
	// Shards is the number of customer shards histories are grouped by.
	Shards int
}

// API is the api function's configuration.
type API struct {
	Table    string
	Bucket   string
	LogLevel slog.Level
	Calendar period.Calendar
	// Currency is an ISO 4217 code, or "" when not set.
	Currency string
}

// Recompute is the recompute function's configuration.
type Recompute struct {
	Table    string
	Bucket   string
	LogLevel slog.Level
	// Shards and Workers configure the sharded computation (see
	// recompute.Options).
	Shards, Workers int
	// StateMachine is the ARN of the state machine that runs the steps,
	// or "" for none.
	StateMachine string
	// MemoryLimit is the Go soft memory limit in bytes the function
	// sets: 7/8 of its memory (FunctionMemoryVar), so that the collector
	// works harder before the heap meets Lambda's hard limit rather than
	// letting it grow to twice what is live. It is 0, for no limit of
	// ours, outside Lambda or when GoMemLimitVar is set.
	MemoryLimit int64
}

// Functions is the configuration of all three functions, for a process
// that runs them side by side (`salesseg local`). LogLevel is the one
// LOG_LEVEL they share, for that process's own logger.
type Functions struct {
	LogLevel  slog.Level
	Ingest    Ingest
	API       API
	Recompute Recompute
}

// IngestFromEnv reads the ingest function's configuration (TABLE_NAME,
// LOG_LEVEL, MAX_REJECT_RATE, MAX_SPOOL_BYTES, PROCESSING_DEADLINE) through getenv, which is
// os.Getenv in Lambda. Errors are described in the package comment.
func IngestFromEnv(getenv func(string) string) (Ingest, error) {
	r := newReader(getenv)
	c := r.ingest()
	return c, r.err()
}

// APIFromEnv reads the api function's configuration (TABLE_NAME,
// BUCKET_NAME, LOG_LEVEL, FISCAL_YEAR_START, CURRENCY) through getenv. Errors are
// described in the package comment.
func APIFromEnv(getenv func(string) string) (API, error) {
	r := newReader(getenv)
	c := r.api()
	return c, r.err()
}

// RecomputeFromEnv reads the recompute function's configuration
// (TABLE_NAME, BUCKET_NAME, LOG_LEVEL) through getenv. Errors are
// described in the package comment.
func RecomputeFromEnv(getenv func(string) string) (Recompute, error) {
	r := newReader(getenv)
	c := r.recompute()
	return c, r.err()
}

// FunctionsFromEnv reads all three configurations through getenv,
// reporting a variable they share only once. Errors are described in the
// package comment.
func FunctionsFromEnv(getenv func(string) string) (Functions, error) {
	r := newReader(getenv)
	f := Functions{Ingest: r.ingest(), API: r.api(), Recompute: r.recompute()}
	f.LogLevel = f.Ingest.LogLevel
	return f, r.err()
}

// reader reads variables and collects what is wrong with them, each
// variable once.
type reader struct {
	getenv   func(string) string
	errs     []error
	reported map[string]bool
}

func newReader(getenv func(string) string) *reader {
	return &reader{getenv: getenv, reported: map[string]bool{}}
}

func (r *reader) err() error { return errors.Join(r.errs...) }

func (r *reader) fail(name, value string, err error) {
	if r.reported[name] {
		return
	}
	r.reported[name] = true
	r.errs = append(r.errs, &VarError{Name: name, Value: value, Err: err})
}

func (r *reader) ingest() Ingest {
	return Ingest{
		Table:              r.required(TableVar),
		LogLevel:           r.logLevel(),
		MaxRejectRate:      r.float(MaxRejectRateVar, DefaultMaxRejectRate, 0, 1),
		MaxSpoolBytes:      r.nonNegative(MaxSpoolBytesVar),
		ProcessingDeadline: r.duration(ProcessingDeadlineVar, DefaultProcessingDeadline),
		Shards:             r.intIn(CustomerShardsVar, shard.Default, 1, shard.Max),
	}
}

func (r *reader) api() API {
	return API{
		Table:    r.required(TableVar),
		Bucket:   r.required(BucketVar),
		LogLevel: r.logLevel(),
		Calendar: r.calendar(),
		Currency: r.currency(),
	}
}

func (r *reader) recompute() Recompute {
	return Recompute{Table: r.required(TableVar), Bucket: r.required(BucketVar), LogLevel: r.logLevel(),
		Shards: r.intIn(CustomerShardsVar, shard.Default, 1, shard.Max), Workers: r.intIn(RecomputeWorkersVar, DefaultRecomputeWorkers, 1, 64),
		StateMachine: r.getenv(StateMachineVar), MemoryLimit: r.memoryLimit()}
}

// memoryLimit is 7/8 of the function's memory, or 0 (see
// Recompute.MemoryLimit).
func (r *reader) memoryLimit() int64 {
	if r.getenv(GoMemLimitVar) != "" || r.getenv(FunctionMemoryVar) == "" {
		return 0
	}
	// Lambda's memory sizes are 128 MB to 10,240 MB.
	return int64(r.intIn(FunctionMemoryVar, 0, 128, 10240)) << 20 * 7 / 8
}

func (r *reader) required(name string) string {
	v := r.getenv(name)
	if v == "" {
		r.fail(name, v, ErrMissing)
	}
	return v
}

func (r *reader) logLevel() slog.Level {
	v := r.getenv(LogLevelVar)
	l, err := logging.ParseLevel(v)
	if err != nil {
		r.fail(LogLevelVar, v, fmt.Errorf("%w: %w", ErrInvalid, err))
	}
	return l
}

// float reads a number in [lo, hi]; unset means def.
func (r *reader) float(name string, def, lo, hi float64) float64 {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	f, err := strconv.ParseFloat(v, 64)
	if err != nil || !(f >= lo && f <= hi) { // also rejects NaN
		r.fail(name, v, fmt.Errorf("%w: want a number from %g to %g", ErrInvalid, lo, hi))
		return def
	}
	return f
}

// nonNegative reads a whole number, 0 or more; unset means 0.
func (r *reader) nonNegative(name string) int64 {
	v := r.getenv(name)
	if v == "" {
		return 0
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 {
		r.fail(name, v, fmt.Errorf("%w: want a whole number, 0 or more", ErrInvalid))
		return 0
	}
	return n
}

// intIn reads a whole number from lo to hi; unset means def.
func (r *reader) intIn(name string, def, lo, hi int) int {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		r.fail(name, v, fmt.Errorf("%w: want a whole number from %d to %d", ErrInvalid, lo, hi))
		return def
	}
	return n
}

// duration reads a Go duration more than zero; unset means def.
func (r *reader) duration(name string, def time.Duration) time.Duration {
	v := r.getenv(name)
	if v == "" {
		return def
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		r.fail(name, v, fmt.Errorf("%w: want a duration more than zero, such as 55m", ErrInvalid))
		return def
	}
	return d
}

// currency reads an ISO 4217 currency code; unset means none.
func (r *reader) currency() string {
	v := r.getenv(CurrencyVar)
	if v == "" {
		return ""
	}
	u, err := currency.ParseISO(v)
	if err != nil || u.String() != v {
		r.fail(CurrencyVar, v, fmt.Errorf("%w: want an ISO 4217 code in capitals, such as USD or EUR", ErrInvalid))
		return ""
	}
	return v
}

// calendar reads the month fiscal years start in; unset means January,
// the zero Calendar.
func (r *reader) calendar() period.Calendar {
	v := r.getenv(FiscalYearStartVar)
	if v == "" {
		return period.Calendar{}
	}
	n, err := strconv.Atoi(v)
	if err == nil {
		var cal period.Calendar
		if cal, err = period.NewCalendar(time.Month(n)); err == nil {
			return cal
		}
	}
	r.fail(FiscalYearStartVar, v, fmt.Errorf("%w: want a month number from 1 to 12", ErrInvalid))
	return period.Calendar{}
}
