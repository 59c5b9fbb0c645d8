package config_test

import (
	"errors"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"gopkg.in/yaml.v3"

	"github.com/salesseg/salesseg/internal/config"
	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/shard"
)

// envOf is a getenv over a map: an absent variable reads as "".
func envOf(m map[string]string) func(string) string {
	return func(name string) string { return m[name] }
}

// with returns base with the given variables set (or, for "", unset).
func with(base map[string]string, kv ...string) map[string]string {
	out := map[string]string{}
	for k, v := range base {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i]] = kv[i+1]
	}
	return out
}

// badVars returns the variables err reports, sorted, checking the error
// contract: each is a *VarError, whose message starts with the variable's
// name, wrapping ErrMissing if the variable is empty and ErrInvalid if not.
func badVars(t *testing.T, err error) []string {
	t.Helper()
	if err == nil {
		return nil
	}
	errs := []error{err}
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		errs = j.Unwrap()
	}
	var names []string
	for _, e := range errs {
		var ve *config.VarError
		if !errors.As(e, &ve) {
			t.Fatalf("%v is not a *VarError", e)
		}
		want := config.ErrInvalid
		if ve.Value == "" {
			want = config.ErrMissing
		}
		if !errors.Is(ve, want) {
			t.Errorf("%v does not wrap %v", ve, want)
		}
		if !strings.HasPrefix(ve.Error(), ve.Name) {
			t.Errorf("%q does not start with the variable's name", ve.Error())
		}
		names = append(names, ve.Name)
	}
	sort.Strings(names)
	return names
}

// check compares a loader's result with a case's: want when bad is empty,
// else an error reporting exactly the variables in bad.
func check[C comparable](t *testing.T, got C, err error, want C, bad []string) {
	t.Helper()
	if len(bad) == 0 {
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("got %+v, want %+v", got, want)
		}
		return
	}
	if names := badVars(t, err); !reflect.DeepEqual(names, bad) {
		t.Fatalf("reported %v, want %v (%v)", names, bad, err)
	}
}

func TestIngestFromEnv(t *testing.T) {
	base := map[string]string{"TABLE_NAME": "t"}
	for _, c := range []struct {
		name string
		env  map[string]string
		want config.Ingest
		bad  []string
	}{
		{name: "defaults", env: base,
			want: config.Ingest{Table: "t", LogLevel: slog.LevelInfo, MaxRejectRate: config.DefaultMaxRejectRate, ProcessingDeadline: config.DefaultProcessingDeadline, Shards: shard.Default}},
		{name: "all set", env: with(base, "LOG_LEVEL", "DEBUG", "MAX_REJECT_RATE", "0", "MAX_SPOOL_BYTES", "4000000000", "PROCESSING_DEADLINE", "2m30s"),
			want: config.Ingest{Table: "t", LogLevel: slog.LevelDebug, MaxRejectRate: 0, MaxSpoolBytes: 4000000000, ProcessingDeadline: 150 * time.Second, Shards: shard.Default}},
		{name: "shards", env: with(base, "CUSTOMER_SHARDS", "64"),
			want: config.Ingest{Table: "t", LogLevel: slog.LevelInfo, MaxRejectRate: config.DefaultMaxRejectRate, ProcessingDeadline: config.DefaultProcessingDeadline, Shards: 64}},
		{name: "no shards", env: with(base, "CUSTOMER_SHARDS", "0"), bad: []string{"CUSTOMER_SHARDS"}},
		{name: "too many shards", env: with(base, "CUSTOMER_SHARDS", "100000"), bad: []string{"CUSTOMER_SHARDS"}},
		{name: "rate of one", env: with(base, "MAX_REJECT_RATE", "1"),
			want: config.Ingest{Table: "t", LogLevel: slog.LevelInfo, MaxRejectRate: 1, ProcessingDeadline: config.DefaultProcessingDeadline, Shards: shard.Default}},
		{name: "missing table", env: map[string]string{}, bad: []string{"TABLE_NAME"}},
		{name: "empty table", env: with(base, "TABLE_NAME", ""), bad: []string{"TABLE_NAME"}},
		{name: "rate above one", env: with(base, "MAX_REJECT_RATE", "1.5"), bad: []string{"MAX_REJECT_RATE"}},
		{name: "negative rate", env: with(base, "MAX_REJECT_RATE", "-0.1"), bad: []string{"MAX_REJECT_RATE"}},
		{name: "rate NaN", env: with(base, "MAX_REJECT_RATE", "NaN"), bad: []string{"MAX_REJECT_RATE"}},
		{name: "rate as percent", env: with(base, "MAX_REJECT_RATE", "50%"), bad: []string{"MAX_REJECT_RATE"}},
		{name: "negative spool", env: with(base, "MAX_SPOOL_BYTES", "-1"), bad: []string{"MAX_SPOOL_BYTES"}},
		{name: "spool with a unit", env: with(base, "MAX_SPOOL_BYTES", "4GB"), bad: []string{"MAX_SPOOL_BYTES"}},
		{name: "spool overflow", env: with(base, "MAX_SPOOL_BYTES", "9223372036854775808"), bad: []string{"MAX_SPOOL_BYTES"}},
		{name: "deadline in bare seconds", env: with(base, "PROCESSING_DEADLINE", "3300"), bad: []string{"PROCESSING_DEADLINE"}},
		{name: "zero deadline", env: with(base, "PROCESSING_DEADLINE", "0s"), bad: []string{"PROCESSING_DEADLINE"}},
		{name: "negative deadline", env: with(base, "PROCESSING_DEADLINE", "-5m"), bad: []string{"PROCESSING_DEADLINE"}},
		{name: "unknown log level", env: with(base, "LOG_LEVEL", "verbose"), bad: []string{"LOG_LEVEL"}},
		{name: "every problem at once", env: map[string]string{"MAX_REJECT_RATE": "x", "MAX_SPOOL_BYTES": "y"},
			bad: []string{"MAX_REJECT_RATE", "MAX_SPOOL_BYTES", "TABLE_NAME"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := config.IngestFromEnv(envOf(c.env))
			check(t, got, err, c.want, c.bad)
		})
	}
}

func TestAPIFromEnv(t *testing.T) {
	base := map[string]string{"TABLE_NAME": "t", "BUCKET_NAME": "b"}
	april, err := period.NewCalendar(time.April)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name string
		env  map[string]string
		want config.API
		bad  []string
	}{
		{name: "defaults", env: base, want: config.API{Table: "t", Bucket: "b", LogLevel: slog.LevelInfo}},
		{name: "fiscal year from April", env: with(base, "FISCAL_YEAR_START", "4", "LOG_LEVEL", "error"),
			want: config.API{Table: "t", Bucket: "b", LogLevel: slog.LevelError, Calendar: april}},
		{name: "missing bucket", env: with(base, "BUCKET_NAME", ""), bad: []string{"BUCKET_NAME"}},
		{name: "missing table and bucket", env: map[string]string{}, bad: []string{"BUCKET_NAME", "TABLE_NAME"}},
		{name: "month zero", env: with(base, "FISCAL_YEAR_START", "0"), bad: []string{"FISCAL_YEAR_START"}},
		{name: "month thirteen", env: with(base, "FISCAL_YEAR_START", "13"), bad: []string{"FISCAL_YEAR_START"}},
		{name: "month by name", env: with(base, "FISCAL_YEAR_START", "April"), bad: []string{"FISCAL_YEAR_START"}},
		{name: "currency", env: with(base, "CURRENCY", "EUR"), want: config.API{Table: "t", Bucket: "b", LogLevel: slog.LevelInfo, Currency: "EUR"}},
		{name: "currency in lower case", env: with(base, "CURRENCY", "eur"), bad: []string{"CURRENCY"}},
		{name: "currency symbol", env: with(base, "CURRENCY", "$"), bad: []string{"CURRENCY"}},
		{name: "not a currency", env: with(base, "CURRENCY", "ABC"), bad: []string{"CURRENCY"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := config.APIFromEnv(envOf(c.env))
			check(t, got, err, c.want, c.bad)
		})
	}
}

func TestRecomputeFromEnv(t *testing.T) {
	for _, c := range []struct {
		name string
		env  map[string]string
		want config.Recompute
		bad  []string
	}{
		{name: "defaults", env: map[string]string{"TABLE_NAME": "t", "BUCKET_NAME": "b"},
			want: config.Recompute{Table: "t", Bucket: "b", LogLevel: slog.LevelInfo, Shards: shard.Default, Workers: config.DefaultRecomputeWorkers}},
		{name: "shards and workers", env: map[string]string{"TABLE_NAME": "t", "BUCKET_NAME": "b", "CUSTOMER_SHARDS": "4", "RECOMPUTE_WORKERS": "2"},
			want: config.Recompute{Table: "t", Bucket: "b", LogLevel: slog.LevelInfo, Shards: 4, Workers: 2}},
		{name: "memory limit from the function's memory", env: map[string]string{"TABLE_NAME": "t", "BUCKET_NAME": "b", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512"},
			want: config.Recompute{Table: "t", Bucket: "b", LogLevel: slog.LevelInfo, Shards: shard.Default, Workers: config.DefaultRecomputeWorkers, MemoryLimit: 448 << 20}},
		{name: "GOMEMLIMIT wins", env: map[string]string{"TABLE_NAME": "t", "BUCKET_NAME": "b", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "512", "GOMEMLIMIT": "300MiB"},
			want: config.Recompute{Table: "t", Bucket: "b", LogLevel: slog.LevelInfo, Shards: shard.Default, Workers: config.DefaultRecomputeWorkers}},
		{name: "function memory out of range", env: map[string]string{"TABLE_NAME": "t", "BUCKET_NAME": "b", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "64"}, bad: []string{"AWS_LAMBDA_FUNCTION_MEMORY_SIZE"}},
		{name: "workers not a number", env: map[string]string{"TABLE_NAME": "t", "BUCKET_NAME": "b", "RECOMPUTE_WORKERS": "many"}, bad: []string{"RECOMPUTE_WORKERS"}},
		{name: "missing table", env: map[string]string{"BUCKET_NAME": "b"}, bad: []string{"TABLE_NAME"}},
		{name: "missing bucket", env: map[string]string{"TABLE_NAME": "t", "LOG_LEVEL": "warn"}, bad: []string{"BUCKET_NAME"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := config.RecomputeFromEnv(envOf(c.env))
			check(t, got, err, c.want, c.bad)
		})
	}
}

// TestFunctionsFromEnvReportsSharedVariablesOnce checks that a bad
// variable all three functions read is one error, not three.
func TestFunctionsFromEnvReportsSharedVariablesOnce(t *testing.T) {
	_, err := config.FunctionsFromEnv(envOf(map[string]string{"BUCKET_NAME": "b", "LOG_LEVEL": "loud"}))
	if names := badVars(t, err); !reflect.DeepEqual(names, []string{"LOG_LEVEL", "TABLE_NAME"}) {
		t.Fatalf("reported %v, want LOG_LEVEL and TABLE_NAME once each (%v)", names, err)
	}
	f, err := config.FunctionsFromEnv(envOf(map[string]string{"TABLE_NAME": "t", "BUCKET_NAME": "b", "LOG_LEVEL": "debug"}))
	if err != nil {
		t.Fatal(err)
	}
	if f.LogLevel != slog.LevelDebug || f.Ingest.Table != "t" || f.API.Bucket != "b" || f.Recompute.Bucket != "b" {
		t.Fatalf("got %+v", f)
	}
}

// samTemplate is the part of template.yaml that sets the functions'
// environment. Values are nodes because they may be !Ref or !Sub.
type samTemplate struct {
	Parameters map[string]struct {
		Default yaml.Node `yaml:"Default"`
	} `yaml:"Parameters"`
	Globals struct {
		Function struct {
			Environment environment `yaml:"Environment"`
		} `yaml:"Function"`
	} `yaml:"Globals"`
	Resources map[string]struct {
		Properties struct {
			Environment       environment `yaml:"Environment"`
			Timeout           int         `yaml:"Timeout"`
			EventInvokeConfig struct {
				MaximumRetryAttempts int `yaml:"MaximumRetryAttempts"`
			} `yaml:"EventInvokeConfig"`
		} `yaml:"Properties"`
	} `yaml:"Resources"`
}

type environment struct {
	Variables map[string]yaml.Node `yaml:"Variables"`
}

// value is what a variable's node stands for: a literal as written, !Ref
// to a parameter that parameter's default, anything else (a resource,
// !Sub) its own text.
func (tm *samTemplate) value(n yaml.Node) string {
	if p, ok := tm.Parameters[n.Value]; ok && n.Tag == "!Ref" {
		return p.Default.Value
	}
	return n.Value
}

// TestTemplateDeadlineOutlastsEveryAttempt checks that the ingest
// function's PROCESSING_DEADLINE in template.yaml is longer than all of
// Lambda's attempts at an event together: an upload must never be given
// up on while an attempt could still finish it.
func TestTemplateDeadlineOutlastsEveryAttempt(t *testing.T) {
	root, err := devstack.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tm samTemplate
	if err := yaml.Unmarshal(data, &tm); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	fn := tm.Resources["IngestFunction"].Properties
	v := fn.Environment.Variables[config.ProcessingDeadlineVar]
	c, err := config.IngestFromEnv(envOf(map[string]string{"TABLE_NAME": "t", config.ProcessingDeadlineVar: tm.value(v)}))
	if err != nil {
		t.Fatal(err)
	}
	attempts := 1 + fn.EventInvokeConfig.MaximumRetryAttempts
	if fn.Timeout == 0 || attempts < 1 {
		t.Fatalf("IngestFunction: Timeout %d, MaximumRetryAttempts %d", fn.Timeout, fn.EventInvokeConfig.MaximumRetryAttempts)
	}
	if busy := time.Duration(attempts*fn.Timeout) * time.Second; c.ProcessingDeadline <= busy {
		t.Errorf("PROCESSING_DEADLINE %v is not longer than %d attempts of %d s", c.ProcessingDeadline, attempts, fn.Timeout)
	}
	if c.ProcessingDeadline != config.DefaultProcessingDeadline {
		t.Errorf("the template's PROCESSING_DEADLINE %v differs from the default %v: keep them in step", c.ProcessingDeadline, config.DefaultProcessingDeadline)
	}
}

// TestTemplateSetsWhatTheFunctionsRead reads template.yaml and checks, for
// each function, that every variable its loader reads is set there
// (globally or on the function), and that the loader accepts the values
// the template gives.
func TestTemplateSetsWhatTheFunctionsRead(t *testing.T) {
	root, err := devstack.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var tm samTemplate
	if err := yaml.Unmarshal(data, &tm); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	for _, c := range []struct {
		function string
		load     func(getenv func(string) string) error
	}{
		{"IngestFunction", func(g func(string) string) error { _, err := config.IngestFromEnv(g); return err }},
		{"ApiFunction", func(g func(string) string) error { _, err := config.APIFromEnv(g); return err }},
		{"RecomputeFunction", func(g func(string) string) error { _, err := config.RecomputeFromEnv(g); return err }},
	} {
		t.Run(c.function, func(t *testing.T) {
			fn, ok := tm.Resources[c.function]
			if !ok {
				t.Fatalf("no resource %s", c.function)
			}
			env := map[string]string{}
			for _, vars := range []map[string]yaml.Node{tm.Globals.Function.Environment.Variables, fn.Properties.Environment.Variables} {
				for name, v := range vars {
					env[name] = tm.value(v)
				}
			}
			read := map[string]bool{}
			if err := c.load(func(name string) string {
				read[name] = true
				return env[name]
			}); err != nil {
				t.Fatalf("the template's environment %v: %v", env, err)
			}
			for name := range read {
				// Lambda sets the one; the other is the Go runtime's,
				// for a deployer to set if they wish.
				if name == config.FunctionMemoryVar || name == config.GoMemLimitVar {
					continue
				}
				if _, ok := env[name]; !ok {
					t.Errorf("%s reads %s, which template.yaml does not set for it", c.function, name)
				}
			}
			if !read["TABLE_NAME"] {
				t.Errorf("TABLE_NAME not read: %v", read)
			}
		})
	}
}

// TestFunctionsLinkOnlyTheirService keeps the api and recompute functions'
// binaries small, which their cold starts pay for: neither may link the
// file parsers or the ingest service, nor the api recompute's Step
// Functions client. When this package built all three services, each
// function linked them all: the api was 26 MB stripped, recompute 27 MB
// (12 and 13 MB without).
func TestFunctionsLinkOnlyTheirService(t *testing.T) {
	parsers := []string{
		"github.com/salesseg/salesseg/internal/parser",
		"github.com/salesseg/salesseg/internal/tabular",
		"github.com/salesseg/salesseg/internal/ingest",
		"github.com/xuri/excelize",
		"github.com/parquet-go/",
	}
	for _, tc := range []struct {
		function string
		never    []string
	}{
		{"api", append([]string{"github.com/salesseg/salesseg/internal/recompute", "github.com/aws/aws-sdk-go-v2/service/sfn"}, parsers...)},
		{"recompute", append([]string{"github.com/salesseg/salesseg/internal/api"}, parsers...)},
	} {
		t.Run(tc.function, func(t *testing.T) {
			out, err := exec.Command("go", "list", "-deps", filepath.Join("..", "..", "functions", tc.function)).Output()
			if err != nil {
				t.Fatalf("go list -deps: %v", err)
			}
			deps := strings.Fields(string(out))
			if !slices.Contains(deps, "github.com/salesseg/salesseg/internal/"+tc.function) {
				t.Fatalf("go list -deps does not list the %s service: %q", tc.function, deps)
			}
			for _, dep := range deps {
				for _, never := range tc.never {
					if strings.HasPrefix(dep, never) {
						t.Errorf("the %s function links %s", tc.function, dep)
					}
				}
			}
		})
	}
}
