// Package workflow is the contract between the recompute state machine
// (infra/statemachine/recompute.asl.json, deployed by template.yaml as
// RecomputeStateMachine) and the recompute function it invokes.
//
// The machine invokes one Lambda function, RecomputeFunction, once per step
// with an Input whose Step says what to do:
//
//  1. Plan (Input.Execution, Input.Request): choose a run id, write the
//     JSON list of shard items (Items) to the bucket under RunPrefix, and
//     return a PlanOutput naming it.
//  2. Summarize (Run, Shard, Of), once per item by a Distributed Map that
//     reads the list from S3: summarize the shard's customers and write
//     the shard's statistics to S3; return a ShardResult.
//  3. Fit (Run, Of): merge every shard's statistics, fit the models and
//     derive the global thresholds; the result is the function's to store.
//  4. Assign (Run, Shard, Of), once per item by a second Distributed Map:
//     assign tiers, groups, quadrants and CLV in the shard and sum them per
//     segment; return a ShardResult.
//  5. Publish (Run, Of): publish the run's snapshot atomically.
//
// Steps keep their outputs small: everything large goes through S3 under
// RunPrefix. A step that fails (an error returned by the function, after
// the machine's retries of Lambda's own transient errors) sends a
// FailureMessage to the failure queue and fails the execution.
//
// Definition substitutes the deployment's values into the definition, as
// template.yaml's DefinitionSubstitutions do.
package workflow

import (
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/salesseg/salesseg/infra/statemachine"
)

// Step names what an invocation of the recompute function must do.
type Step string

// The steps, in the order the state machine runs them.
const (
	// Plan starts a run: it writes the shard items and returns a PlanOutput.
	Plan Step = "plan"
	// Summarize computes one shard's per-customer summaries and sufficient
	// statistics.
	Summarize Step = "summarize"
	// Fit merges the shards' statistics, fits the models and derives the
	// global thresholds.
	Fit Step = "fit"
	// Assign applies the fit and thresholds to one shard's customers and
	// sums the results per segment.
	Assign Step = "assign"
	// Publish publishes the run's snapshot atomically.
	Publish Step = "publish"
)

// Steps returns every step in the order the state machine runs them.
func Steps() []Step { return []Step{Plan, Summarize, Fit, Assign, Publish} }

// Sharded reports whether s runs once per shard (inside a Distributed Map).
func (s Step) Sharded() bool { return s == Summarize || s == Assign }

// Errors Input.Validate returns, wrapped with the offending value.
var (
	// ErrUnknownStep means Input.Step is none of Steps.
	ErrUnknownStep = errors.New("unknown recompute step")
	// ErrNoRun means a step after Plan was given no run id.
	ErrNoRun = errors.New("recompute step without a run")
	// ErrShard means a step was given a shard count below 1, or a shard
	// outside [0, Of).
	ErrShard = errors.New("recompute shard out of range")
)

// Input is the JSON payload the state machine invokes the recompute
// function with. Which fields are set depends on Step:
//
//	plan:             step, execution, request
//	summarize/assign: step, run, shard, of
//	fit/publish:      step, run, of
type Input struct {
	Step Step `json:"step"`
	// Run identifies the run; Plan chooses it and every later step gets it.
	Run string `json:"run,omitempty"`
	// Shard is the shard a sharded step works on, 0 to Of-1.
	Shard int `json:"shard"`
	// Of is the number of shards of the run.
	Of int `json:"of,omitempty"`
	// Execution is Plan's: the execution's ARN. Step Functions retries a
	// failed Plan within the same execution, so a run id derived from it
	// makes a retried Plan reuse its run.
	Execution string `json:"execution,omitempty"`
	// Request is Plan's: the execution's input as the starter gave it
	// (for example {"dataset": "..."}, or {} from a schedule).
	Request json.RawMessage `json:"request,omitempty"`
}

// Validate checks that in has the fields its step needs.
func (in Input) Validate() error {
	switch in.Step {
	case Plan:
		return nil
	case Summarize, Assign, Fit, Publish:
	default:
		return fmt.Errorf("%w: %q", ErrUnknownStep, in.Step)
	}
	if in.Run == "" {
		return fmt.Errorf("%w (step %s)", ErrNoRun, in.Step)
	}
	if in.Of < 1 {
		return fmt.Errorf("%w: %d shards (step %s)", ErrShard, in.Of, in.Step)
	}
	if in.Step.Sharded() && (in.Shard < 0 || in.Shard >= in.Of) {
		return fmt.Errorf("%w: shard %d of %d (step %s)", ErrShard, in.Shard, in.Of, in.Step)
	}
	return nil
}

// PlanOutput is what Plan returns. The state machine keeps it as the
// state every later step reads its run and shard count from.
type PlanOutput struct {
	Run    string `json:"run"`
	Shards int    `json:"shards"`
	// PartsBucket and PartsKey locate the JSON list of Items Plan wrote.
	// The deployed machine reads the list from its own bucket (the
	// BucketName substitution, the one its role may read), so PartsBucket
	// must be that bucket; it is returned for logs and local runs.
	PartsBucket string `json:"parts_bucket"`
	PartsKey    string `json:"parts_key"`
}

// Item is one element of the list a Distributed Map iterates over: one
// shard of a run split into Of shards. Step Functions needs map items to be
// JSON objects.
type Item struct {
	Shard int `json:"shard"`
	Of    int `json:"of"`
}

// Items returns the items of a run split into n shards, shard 0 first.
func Items(n int) []Item {
	items := make([]Item, n)
	for i := range items {
		items[i] = Item{Shard: i, Of: n}
	}
	return items
}

// ShardResult is what Summarize and Assign return: the step and shard they
// did. The machine keeps these (a few bytes per shard) in its state, so
// an execution's output lists every shard each map completed.
type ShardResult struct {
	Step  Step `json:"step"`
	Shard int  `json:"shard"`
}

// RunPrefix is the bucket prefix under which a run keeps its objects,
// recompute/<run>/; the state machine's role may read only below it.
const RunPrefix = "recompute/"

// PartsKey is where Plan writes the item list of run.
func PartsKey(run string) string { return RunPrefix + run + "/shards.json" }

// FailureKind is FailureMessage.Kind.
const FailureKind = "recompute-failed"

// FailureMessage is the body the state machine sends to the failure queue
// when a step fails: the execution and the error Step Functions caught.
// It is not a Lambda invocation record, so the ingest redrive leaves it
// in the queue for a person to read.
type FailureMessage struct {
	Kind      string  `json:"kind"`
	Execution string  `json:"execution"`
	Failure   Failure `json:"failure"`
}

// Failure is an error caught by a Catch: its name (such as
// States.TaskFailed, Lambda.ServiceException, or the function's own error
// type) and cause.
type Failure struct {
	Error string `json:"Error"`
	Cause string `json:"Cause"`
}

// ErrNotFailure means a queue message is not a FailureMessage.
var ErrNotFailure = errors.New("not a recompute failure message")

// ParseFailure reads a failure queue message body as a FailureMessage; it
// returns an error wrapping ErrNotFailure for any other message.
func ParseFailure(body []byte) (FailureMessage, error) {
	var m FailureMessage
	if err := json.Unmarshal(body, &m); err != nil {
		return FailureMessage{}, fmt.Errorf("%w: %v", ErrNotFailure, err)
	}
	if m.Kind != FailureKind {
		return FailureMessage{}, fmt.Errorf("%w: kind %q", ErrNotFailure, m.Kind)
	}
	return m, nil
}

// Placeholders of the definition, the keys of template.yaml's
// DefinitionSubstitutions.
const (
	FunctionArnVar = "RecomputeFunctionArn"
	BucketVar      = "BucketName"
	QueueURLVar    = "FailureQueueUrl"
)

// Substitutions are the deployment's values for the definition's
// placeholders.
type Substitutions struct {
	FunctionArn string // the recompute function's ARN
	Bucket      string // the sales bucket, holding recompute/<run>/
	QueueURL    string // the failure queue's URL
}

// ErrSubstitution means a placeholder has no value, or the definition has
// a placeholder Substitutions do not know.
var ErrSubstitution = errors.New("state machine definition substitution")

// placeholder returns the pattern of ${Name}, the placeholders
// DefinitionSubstitutions replace.
func placeholder() *regexp.Regexp { return regexp.MustCompile(`\$\{([A-Za-z0-9_]+)\}`) }

// Placeholders returns the placeholder names of the recompute definition
// as written, each once, in order of first appearance.
func Placeholders() []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range placeholder().FindAllSubmatch(statemachine.Recompute(), -1) {
		if name := string(m[1]); !seen[name] {
			seen[name] = true
			out = append(out, name)
		}
	}
	return out
}

// Definition returns the recompute state machine's definition with s
// substituted, as CloudFormation deploys it. It fails with an error
// wrapping ErrSubstitution when a value is empty or the definition names
// a placeholder s has no value for, and when the result is not JSON.
func Definition(s Substitutions) (string, error) {
	values := map[string]string{FunctionArnVar: s.FunctionArn, BucketVar: s.Bucket, QueueURLVar: s.QueueURL}
	var errs []error
	for _, name := range []string{FunctionArnVar, BucketVar, QueueURLVar} {
		if values[name] == "" {
			errs = append(errs, fmt.Errorf("%w: no value for ${%s}", ErrSubstitution, name))
		}
	}
	out := placeholder().ReplaceAllFunc(statemachine.Recompute(), func(m []byte) []byte {
		name := string(m[2 : len(m)-1])
		v, ok := values[name]
		if !ok {
			errs = append(errs, fmt.Errorf("%w: unknown placeholder ${%s}", ErrSubstitution, name))
			return m
		}
		// Values land inside JSON strings.
		quoted, _ := json.Marshal(v)
		return quoted[1 : len(quoted)-1]
	})
	if err := errors.Join(errs...); err != nil {
		return "", err
	}
	if !json.Valid(out) {
		return "", fmt.Errorf("%w: the substituted definition is not JSON", ErrSubstitution)
	}
	return strings.TrimSpace(string(out)), nil
}

// DecodeInput reads a function invocation's payload as a step's input.
// ok is false for a payload that is a JSON object without a "step" (a
// scheduled event, say), which is not a step's; a payload that is not a
// JSON object, or whose fields do not decode, is an error.
func DecodeInput(payload []byte) (in Input, ok bool, err error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(payload, &probe); err != nil {
		return Input{}, false, fmt.Errorf("recompute invocation: %w", err)
	}
	if _, ok := probe["step"]; !ok {
		return Input{}, false, nil
	}
	if err := json.Unmarshal(payload, &in); err != nil {
		return Input{}, false, fmt.Errorf("recompute step input: %w", err)
	}
	return in, true, nil
}
