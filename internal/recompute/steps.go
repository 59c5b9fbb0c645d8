package recompute

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dataset"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/shard"
	"github.com/salesseg/salesseg/internal/store"
	"github.com/salesseg/salesseg/internal/workflow"
)

// A recompute run in steps (package workflow) keeps what one step hands
// to the next under workflow.RunPrefix+<run>/ in the bucket, gob-encoded
// (exact floats and decimals, unlike the snapshot's JSON): the inputs the
// plan fixed (the live files, accounts and spend, so every step of the
// run reads the same files), each shard's summary, the plan and each
// shard's labels, and each shard's result. The state machine runs the
// steps on AWS, shards in parallel on a Distributed Map; Run runs the
// same steps in one process through a worker pool.

// runInputs is what the plan step fixes for a run.
type runInputs struct {
	Dataset      string
	Started      time.Time
	Shards       int
	Live         map[string]store.Entry
	Transactions []string
	Accounts     map[string]map[dimension.Dimension]string
	Names        map[string]string
	Spend        []history.Spend
}

// runKey is the key of one of a run's objects.
func runKey(run, name string) string { return workflow.RunPrefix + run + "/" + name }

// Step runs one step of a recompute run, as the state machine invokes it,
// and returns the step's output: a workflow.PlanOutput for the plan, a
// workflow.ShardResult for a shard's step, and nil for fit and publish.
// The plan step works on the dataset its execution's input names
// ({"dataset": name}, the default dataset without one), the others on
// the dataset their run's plan fixed. Errors wrap the workflow package's
// for an input that does not validate, dataset.ErrInvalid for a bad
// dataset name, and ErrShardMismatch when a run's objects disagree.
func (s *Service) Step(ctx context.Context, in workflow.Input) (any, error) {
	if err := in.Validate(); err != nil {
		return nil, err
	}
	if in.Step == workflow.Plan {
		var req ExecutionInput
		if len(in.Request) > 0 {
			if err := json.Unmarshal(in.Request, &req); err != nil {
				return nil, fmt.Errorf("plan: execution input: %w", err)
			}
		}
		name := cmp.Or(req.Dataset, dataset.Default)
		if err := dataset.Check(name); name != dataset.Default && err != nil {
			return nil, err
		}
		return s.In(name).planStep(ctx, in.Execution)
	}
	run, err := s.runInputs(ctx, in.Run, in.Of)
	if err != nil {
		return nil, err
	}
	d := s.In(run.fixed.Dataset)
	switch in.Step {
	case workflow.Summarize:
		return workflow.ShardResult{Step: in.Step, Shard: in.Shard}, d.summarizeStep(ctx, run, in.Shard)
	case workflow.Fit:
		return nil, d.fitStep(ctx, run)
	case workflow.Assign:
		return workflow.ShardResult{Step: in.Step, Shard: in.Shard}, d.assignStep(ctx, run, in.Shard)
	}
	_, err = d.publishStep(ctx, run)
	return nil, err
}

// ExecutionInput is the input a recompute execution is started with.
type ExecutionInput struct {
	// Dataset is the dataset to recompute; "" for the default one.
	Dataset string `json:"dataset,omitempty"`
}

// planStep recomputes the totals summary, fixes the run's inputs and
// lists its shards for the maps. A run started by an execution is named
// after it, so that a retried plan step reuses its run.
func (s *Service) planStep(ctx context.Context, execution string) (workflow.PlanOutput, error) {
	started := s.now()
	run := strconv.FormatInt(started.UnixNano(), 10)
	if execution != "" {
		sum := sha256.Sum256([]byte(execution))
		run = hex.EncodeToString(sum[:12])
	}
	if err := s.totals(ctx); err != nil {
		return workflow.PlanOutput{}, err
	}
	in, err := s.sources(ctx)
	if err != nil {
		return workflow.PlanOutput{}, err
	}
	n := cmp.Or(s.opts.Shards, shard.Default)
	fixed := runInputs{Dataset: s.dataset, Started: started, Shards: n, Live: in.live, Transactions: in.transactions,
		Accounts: in.accounts, Names: in.names, Spend: in.spend}
	if err := s.putGob(ctx, runKey(run, "inputs.gob"), fixed); err != nil {
		return workflow.PlanOutput{}, err
	}
	items, err := json.Marshal(workflow.Items(n))
	if err != nil {
		return workflow.PlanOutput{}, err
	}
	key := workflow.PartsKey(run)
	if err := s.put(ctx, key, items, "application/json"); err != nil {
		return workflow.PlanOutput{}, err
	}
	return workflow.PlanOutput{Run: run, Shards: n, PartsBucket: s.opts.Bucket, PartsKey: key}, nil
}

// run is a run's name and what its plan fixed, as a step reads them.
type run struct {
	name  string
	fixed runInputs
	in    *inputs
}

// runInputs reads what the plan step fixed for a run of of shards.
func (s *Service) runInputs(ctx context.Context, name string, of int) (*run, error) {
	var fixed runInputs
	if err := s.getGob(ctx, runKey(name, "inputs.gob"), &fixed); err != nil {
		return nil, err
	}
	if fixed.Shards != of {
		return nil, fmt.Errorf("%w: run %s planned %d shards, step given %d", ErrShardMismatch, name, fixed.Shards, of)
	}
	in := &inputs{live: fixed.Live, transactions: fixed.Transactions, accounts: fixed.Accounts, names: fixed.Names,
		spend: fixed.Spend, indexes: map[string]*history.Index{}}
	if in.accounts == nil {
		in.accounts = map[string]map[dimension.Dimension]string{}
	}
	in.prospects = Prospects(in.accounts)
	return &run{name: name, fixed: fixed, in: in}, nil
}

// shardBase folds the purchases of shard sh of n.
func (s *Service) shardBase(ctx context.Context, in *inputs, sh, n int) (*analytics.Base, error) {
	b := analytics.NewBuilder()
	if err := s.eachPurchase(ctx, in, sh, n, b.Add); err != nil {
		return nil, err
	}
	return b.Build(), nil
}

// summarizeStep is the first pass over one shard.
func (s *Service) summarizeStep(ctx context.Context, r *run, sh int) error {
	b, err := s.shardBase(ctx, r.in, sh, r.fixed.Shards)
	if err != nil {
		return err
	}
	// The count goes first, so that the fit reads it alone to size the
	// base before it reads any summary whole.
	sum := SummarizeShard(sh, b)
	return s.putGob(ctx, runKey(r.name, fmt.Sprintf("summary/%d.gob", sh)), len(sum.Customers), sum)
}

// fitStep merges every shard's summary into the plan: the plan without
// labels, and each shard's labels apart, so that a shard's step reads
// only its own.
func (s *Service) fitStep(ctx context.Context, r *run) error {
	run, n := r.name, r.fixed.Shards
	counts, err := s.counts(ctx, run, "summary", n)
	if err != nil {
		return err
	}
	plan, err := PlanShards(ctx, counts, func(sh int) (ShardSummary, error) {
		var count int
		var sum ShardSummary
		err := s.getGob(ctx, runKey(run, fmt.Sprintf("summary/%d.gob", sh)), &count, &sum)
		return sum, err
	}, time.Time{})
	if err != nil {
		return err
	}
	for sh, l := range plan.Labels {
		if err := s.putGob(ctx, runKey(run, fmt.Sprintf("labels/%d.gob", sh)), l); err != nil {
			return err
		}
	}
	plan.Labels = nil
	return s.putGob(ctx, runKey(run, "plan.gob"), plan)
}

// counts reads the customer counts that begin the n objects of a kind
// (summary, holdout) of a run, with a ranged GET of each.
func (s *Service) counts(ctx context.Context, run, kind string, n int) ([]int, error) {
	counts := make([]int, n)
	for sh := range n {
		get := &s3.GetObjectInput{Bucket: aws.String(s.opts.Bucket), Key: aws.String(runKey(run, fmt.Sprintf("%s/%d.gob", kind, sh))),
			Range: aws.String("bytes=0-63")} // the count's gob is a few bytes
		if err := s.get(ctx, get, func(r io.Reader) error { return decodeGob(r, &counts[sh]) }); err != nil {
			return nil, err
		}
	}
	return counts, nil
}

// readPlan reads a run's plan, with the labels of shard sh only (none
// for sh < 0).
func (s *Service) readPlan(ctx context.Context, run string, sh, n int) (*Plan, error) {
	var plan Plan
	if err := s.getGob(ctx, runKey(run, "plan.gob"), &plan); err != nil {
		return nil, err
	}
	plan.Labels = make([]ShardLabels, n)
	if sh >= 0 {
		if err := s.getGob(ctx, runKey(run, fmt.Sprintf("labels/%d.gob", sh)), &plan.Labels[sh]); err != nil {
			return nil, err
		}
	}
	return &plan, nil
}

// assignStep is the second pass over one shard.
func (s *Service) assignStep(ctx context.Context, r *run, sh int) error {
	plan, err := s.readPlan(ctx, r.name, sh, r.fixed.Shards)
	if err != nil {
		return err
	}
	// The holdout check's part comes from the same read of the shard.
	b := analytics.NewBuilder()
	var h *Holdout
	if plan.HoldoutEnd != 0 {
		h = NewHoldout(plan.HoldoutEnd)
	}
	if err := s.eachPurchase(ctx, r.in, sh, r.fixed.Shards, fold(b, h)); err != nil {
		return err
	}
	res, err := plan.AssignShard(sh, b.Build(), r.in.prospects, r.in.spend)
	if err != nil {
		return err
	}
	if h != nil {
		// The count first, as in a summary, to size the check's arrays.
		part := h.Part()
		if err := s.putGob(ctx, runKey(r.name, fmt.Sprintf("holdout/%d.gob", sh)), len(part.Customers), part); err != nil {
			return err
		}
	}
	return s.putGob(ctx, runKey(r.name, fmt.Sprintf("result/%d.gob", sh)), res)
}

// publishStep merges the shards' results into the snapshot, adds the
// holdout check, and publishes it (see publish).
func (s *Service) publishStep(ctx context.Context, r *run) (*Result, error) {
	n := r.fixed.Shards
	plan, err := s.readPlan(ctx, r.name, -1, n)
	if err != nil {
		return nil, err
	}
	// One result at a time: memory holds their sum, not all of them.
	m := plan.NewMerger()
	for sh := range n {
		var res ShardResult
		if err := s.getGob(ctx, runKey(r.name, fmt.Sprintf("result/%d.gob", sh)), &res); err != nil {
			return nil, err
		}
		if err := m.Add(res); err != nil {
			return nil, fmt.Errorf("shard %d: %w", sh, err)
		}
	}
	snap, err := m.Snapshot(r.in.spend)
	if err != nil {
		return nil, fmt.Errorf("analyze: %w", err)
	}
	if plan.HoldoutEnd != 0 {
		// One part at a time again, once the merge is done with: the
		// calibration customers are in memory, not every purchase.
		counts, err := s.counts(ctx, r.name, "holdout", n)
		if err != nil {
			return nil, err
		}
		check, err := CheckHoldout(ctx, plan.HoldoutEnd, counts, func(sh int) (HoldoutPart, error) {
			var count int
			var part HoldoutPart
			return part, s.getGob(ctx, runKey(r.name, fmt.Sprintf("holdout/%d.gob", sh)), &count, &part)
		})
		if err != nil {
			return nil, err
		}
		snap.Holdout = &check
	}
	return s.publish(ctx, snap, r.fixed.Started, n, len(r.in.transactions))
}

// putGob writes vs gob-encoded, one after another, under key.
func (s *Service) putGob(ctx context.Context, key string, vs ...any) error {
	var buf bytes.Buffer
	enc := gob.NewEncoder(&buf)
	for _, v := range vs {
		if err := enc.Encode(v); err != nil {
			return fmt.Errorf("encode %s: %w", key, err)
		}
	}
	return s.put(ctx, key, buf.Bytes(), "application/octet-stream")
}

// put writes data under key.
func (s *Service) put(ctx context.Context, key string, data []byte, contentType string) error {
	if _, err := s.blobs.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.opts.Bucket), Key: aws.String(key),
		Body: bytes.NewReader(data), ContentType: aws.String(contentType)}); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// getGob reads the values putGob wrote under key into vs, as many as
// given.
func (s *Service) getGob(ctx context.Context, key string, vs ...any) error {
	return s.read(ctx, key, func(r io.Reader) error { return decodeGob(r, vs...) })
}

// decodeGob decodes values from r into vs, in order. Errors wrap
// ErrShardMismatch: a run's objects are not what its steps wrote.
func decodeGob(r io.Reader, vs ...any) error {
	dec := gob.NewDecoder(r)
	for _, v := range vs {
		if err := dec.Decode(v); err != nil {
			return fmt.Errorf("%w: %v", ErrShardMismatch, err)
		}
	}
	return nil
}
