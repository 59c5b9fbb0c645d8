package workflow_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	ltypes "github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/aws-sdk-go-v2/service/sfn"
	stypes "github.com/aws/aws-sdk-go-v2/service/sfn/types"
	"github.com/aws/aws-sdk-go-v2/service/sqs"

	"github.com/salesseg/salesseg/internal/awsconf"
	"github.com/salesseg/salesseg/internal/redrive"
	"github.com/salesseg/salesseg/internal/workflow"
)

// motoServer is a moto_server process started for one test, executing
// state machines and answering Lambda invocations without Docker.
type motoServer struct {
	url string
	log string // moto's request log, shown when a test fails
}

// startMoto starts moto_server on a free port and stops it, by process
// group, when the test ends. MOTO_PORT tells moto's Step Functions
// interpreter where to call the Lambda, S3 and SQS APIs back.
func startMoto(t *testing.T) *motoServer {
	t.Helper()
	bin, err := exec.LookPath("moto_server")
	if err != nil {
		t.Fatalf(`TestRecomputeInMoto needs moto_server 5.2.1 (preinstalled on this project's machines; elsewhere pip install "moto[server]==5.2.1"): %v`, err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := fmt.Sprint(ln.Addr().(*net.TCPAddr).Port)
	ln.Close()
	m := &motoServer{url: "http://127.0.0.1:" + port, log: filepath.Join(t.TempDir(), "moto.log")}
	logf, err := os.Create(m.log)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(bin, "-H", "127.0.0.1", "-p", port)
	cmd.Env = append(os.Environ(), "MOTO_PORT="+port)
	cmd.Stdout, cmd.Stderr = logf, logf
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start moto_server: %v", err)
	}
	t.Cleanup(func() {
		_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGTERM)
		done := make(chan struct{})
		go func() { _ = cmd.Wait(); close(done) }()
		select {
		case <-done:
		case <-time.After(5 * time.Second):
			_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
			<-done
		}
		logf.Close()
		if t.Failed() {
			if b, err := os.ReadFile(m.log); err == nil {
				t.Logf("moto_server log (last 4 KB):\n%s", b[max(0, len(b)-4096):])
			}
		}
	})
	deadline := time.Now().Add(20 * time.Second)
	for {
		resp, err := http.Get(m.url + "/moto-api/")
		if err == nil {
			resp.Body.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("moto_server did not answer on %s: %v", m.url, err)
		}
		time.Sleep(50 * time.Millisecond)
	}
	return m
}

// api posts a JSON body to one of moto's own endpoints.
func (m *motoServer) api(t *testing.T, path string, body any) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.Post(m.url+path, "application/json", bytes.NewReader(b))
	if err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
	resp.Body.Close()
	if resp.StatusCode/100 != 2 {
		t.Fatalf("POST %s: %s", path, resp.Status)
	}
}

// reset clears every resource and queued answer, then turns state machine
// execution and Docker-free Lambda on.
func (m *motoServer) reset(t *testing.T) {
	t.Helper()
	m.api(t, "/moto-api/reset", map[string]any{})
	m.api(t, "/moto-api/config", map[string]any{
		"stepfunctions": map[string]any{"execute_state_machine": true},
		"lambda":        map[string]any{"use_docker": false},
	})
}

// answer queues the payloads the next Lambda invocations return, in
// order, whatever function is invoked; once the queue is empty an
// invocation returns its own input. A payload over Lambda's 6 MB limit
// makes moto fail that invocation as Lambda does
// (Function.ResponseSizeTooLarge, X-Amz-Function-Error: Unhandled): the
// one way to fail a function without Docker.
func (m *motoServer) answer(t *testing.T, payloads ...any) {
	t.Helper()
	var results []string
	for _, p := range payloads {
		b, err := json.Marshal(p)
		if err != nil {
			t.Fatal(err)
		}
		results = append(results, string(b))
	}
	m.api(t, "/moto-api/static/lambda-simple/response", map[string]any{"results": results, "region": "us-east-1"})
}

// tooLarge is a function result moto turns into a function error.
func tooLarge() any { return map[string]string{"pad": strings.Repeat("x", 6_300_000)} }

// stack is the deployment's resources, created in moto.
type stack struct {
	sfn      *sfn.Client
	s3       *s3.Client
	sqs      *sqs.Client
	bucket   string
	queueURL string
	machine  string
}

// deploy creates what template.yaml would: the execution role, the
// recompute function (its code is never run), the bucket, the failure
// queue and the state machine from workflow.Definition.
func deploy(t *testing.T, ctx context.Context, m *motoServer) *stack {
	t.Helper()
	clients, err := awsconf.Load(ctx, awsconf.Endpoints{S3: m.url, DynamoDB: m.url})
	if err != nil {
		t.Fatal(err)
	}
	cfg := clients.Config
	st := &stack{
		sfn:    sfn.NewFromConfig(cfg, func(o *sfn.Options) { o.BaseEndpoint = aws.String(m.url) }),
		s3:     clients.S3,
		sqs:    sqs.NewFromConfig(cfg, func(o *sqs.Options) { o.BaseEndpoint = aws.String(m.url) }),
		bucket: "salesseg-sales-123456789012-us-east-1",
	}
	role := createRole(t, ctx, m, cfg, "recompute")

	var code bytes.Buffer
	zw := zip.NewWriter(&code)
	if w, err := zw.Create("bootstrap"); err != nil {
		t.Fatal(err)
	} else if _, err := w.Write([]byte("not run")); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	lc := lambda.NewFromConfig(cfg, func(o *lambda.Options) { o.BaseEndpoint = aws.String(m.url) })
	fn, err := lc.CreateFunction(ctx, &lambda.CreateFunctionInput{
		FunctionName: aws.String("recompute"), Role: aws.String(role), Runtime: ltypes.RuntimeProvidedal2023,
		Handler: aws.String("bootstrap"), Architectures: []ltypes.Architecture{ltypes.ArchitectureArm64},
		Code: &ltypes.FunctionCode{ZipFile: code.Bytes()},
	})
	if err != nil {
		t.Fatalf("create function: %v", err)
	}
	if _, err := st.s3.CreateBucket(ctx, &s3.CreateBucketInput{Bucket: aws.String(st.bucket)}); err != nil {
		t.Fatalf("create bucket: %v", err)
	}
	q, err := st.sqs.CreateQueue(ctx, &sqs.CreateQueueInput{QueueName: aws.String("failures")})
	if err != nil {
		t.Fatalf("create queue: %v", err)
	}
	st.queueURL = aws.ToString(q.QueueUrl)
	def, err := workflow.Definition(workflow.Substitutions{FunctionArn: aws.ToString(fn.FunctionArn), Bucket: st.bucket, QueueURL: st.queueURL})
	if err != nil {
		t.Fatal(err)
	}
	out, err := st.sfn.CreateStateMachine(ctx, &sfn.CreateStateMachineInput{
		Name: aws.String("recompute"), Definition: aws.String(def), RoleArn: aws.String(role), Type: stypes.StateMachineTypeStandard,
	})
	if err != nil {
		t.Fatalf("create state machine: %v", err)
	}
	st.machine = aws.ToString(out.StateMachineArn)
	return st
}

// createRole creates an IAM role through IAM's query API, signed as the
// SDK signs (the module has no IAM client); moto's Lambda refuses a
// function whose role does not exist.
func createRole(t *testing.T, ctx context.Context, m *motoServer, cfg aws.Config, name string) string {
	t.Helper()
	form := url.Values{"Action": {"CreateRole"}, "Version": {"2010-05-08"}, "RoleName": {name},
		"AssumeRolePolicyDocument": {`{"Version":"2012-10-17","Statement":[]}`}}.Encode()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, m.url+"/", strings.NewReader(form))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	creds, err := cfg.Credentials.Retrieve(ctx)
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256([]byte(form))
	if err := v4.NewSigner().SignHTTP(ctx, creds, req, hex.EncodeToString(sum[:]), "iam", "us-east-1", time.Now()); err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("create role: %v", err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("create role: %s", resp.Status)
	}
	return "arn:aws:iam::123456789012:role/" + name
}

// run starts an execution named name and waits for it to finish.
func (st *stack) run(t *testing.T, ctx context.Context, name, input string) *sfn.DescribeExecutionOutput {
	t.Helper()
	start, err := st.sfn.StartExecution(ctx, &sfn.StartExecutionInput{StateMachineArn: aws.String(st.machine), Name: aws.String(name), Input: aws.String(input)})
	if err != nil {
		t.Fatalf("start execution: %v", err)
	}
	deadline := time.Now().Add(2 * time.Minute)
	for {
		d, err := st.sfn.DescribeExecution(ctx, &sfn.DescribeExecutionInput{ExecutionArn: start.ExecutionArn})
		if err != nil {
			t.Fatalf("describe execution: %v", err)
		}
		if d.Status != stypes.ExecutionStatusRunning {
			return d
		}
		if time.Now().After(deadline) {
			t.Fatalf("execution %s still running after 2 minutes", name)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// history returns an execution's events, oldest first.
func (st *stack) history(t *testing.T, ctx context.Context, arn string) []stypes.HistoryEvent {
	t.Helper()
	var events []stypes.HistoryEvent
	p := sfn.NewGetExecutionHistoryPaginator(st.sfn, &sfn.GetExecutionHistoryInput{ExecutionArn: aws.String(arn), MaxResults: 1000})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			t.Fatalf("execution history: %v", err)
		}
		events = append(events, page.Events...)
	}
	return events
}

// invocation is a Lambda task the parent execution scheduled.
type invocation struct {
	FunctionName string          `json:"FunctionName"`
	Payload      workflow.Input  `json:"Payload"`
	Raw          json.RawMessage `json:"-"`
}

// invocations returns the lambda:invoke tasks of the execution itself (a
// Distributed Map's iterations are child executions, not in this history).
func invocations(t *testing.T, events []stypes.HistoryEvent) []invocation {
	t.Helper()
	var out []invocation
	for _, e := range events {
		d := e.TaskScheduledEventDetails
		if e.Type != stypes.HistoryEventTypeTaskScheduled || aws.ToString(d.ResourceType) != "lambda" {
			continue
		}
		var inv invocation
		if err := json.Unmarshal([]byte(aws.ToString(d.Parameters)), &inv); err != nil {
			t.Fatalf("task parameters %s: %v", aws.ToString(d.Parameters), err)
		}
		out = append(out, inv)
	}
	return out
}

// receiveAll takes every message off the failure queue.
func (st *stack) receiveAll(t *testing.T, ctx context.Context) []string {
	t.Helper()
	var bodies []string
	for {
		out, err := st.sqs.ReceiveMessage(ctx, &sqs.ReceiveMessageInput{QueueUrl: aws.String(st.queueURL), MaxNumberOfMessages: 10})
		if err != nil {
			t.Fatalf("receive: %v", err)
		}
		if len(out.Messages) == 0 {
			return bodies
		}
		for _, msg := range out.Messages {
			bodies = append(bodies, aws.ToString(msg.Body))
			if _, err := st.sqs.DeleteMessage(ctx, &sqs.DeleteMessageInput{QueueUrl: aws.String(st.queueURL), ReceiptHandle: msg.ReceiptHandle}); err != nil {
				t.Fatalf("delete: %v", err)
			}
		}
	}
}

// plan writes the shard list of run r1 split into n shards, as Plan
// does, and returns the PlanOutput Plan would.
func (st *stack) plan(t *testing.T, ctx context.Context, n int) workflow.PlanOutput {
	t.Helper()
	key := workflow.PartsKey("r1")
	body, err := json.Marshal(workflow.Items(n))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.s3.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(st.bucket), Key: aws.String(key), Body: bytes.NewReader(body)}); err != nil {
		t.Fatalf("put shard list: %v", err)
	}
	return workflow.PlanOutput{Run: "r1", Shards: n, PartsBucket: st.bucket, PartsKey: key}
}

// TestRecomputeInMoto deploys the recompute state machine into moto's
// Step Functions interpreter, with the recompute function answered by
// moto's Docker-free Lambda (queued answers, else its own input back), and
// runs it. A run succeeds through plan, a Distributed Map over every item
// of the shard list in S3, fit, a second map, and publish, each invocation
// with the step input the workflow contract gives; a function error in
// any single step is caught, sent to the failure queue as a
// FailureMessage that the ingest redrive skips, and fails the execution.
func TestRecomputeInMoto(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Minute)
	defer cancel()
	m := startMoto(t)
	const shards = 7

	t.Run("succeeds over every shard", func(t *testing.T) {
		m.reset(t)
		st := deploy(t, ctx, m)
		plan := st.plan(t, ctx, shards)
		// Plan's answer is queued; every later invocation echoes its
		// payload, so a map iteration's result shows what it was sent.
		m.answer(t, plan)
		started := time.Now()
		d := st.run(t, ctx, "ok", `{"dataset":"demo"}`)
		if d.Status != stypes.ExecutionStatusSucceeded {
			t.Fatalf("execution %s: %s %s", d.Status, aws.ToString(d.Error), aws.ToString(d.Cause))
		}
		t.Logf("%d shards: execution took %v in moto", shards, time.Since(started).Round(time.Millisecond))

		var out struct {
			workflow.PlanOutput
			Summarized []workflow.ShardResult `json:"summarized"`
			Assigned   []workflow.ShardResult `json:"assigned"`
		}
		if err := json.Unmarshal([]byte(aws.ToString(d.Output)), &out); err != nil {
			t.Fatalf("output %s: %v", aws.ToString(d.Output), err)
		}
		if out.PlanOutput != plan {
			t.Errorf("output carries %+v, want the plan %+v", out.PlanOutput, plan)
		}
		for _, c := range []struct {
			step workflow.Step
			got  []workflow.ShardResult
		}{{workflow.Summarize, out.Summarized}, {workflow.Assign, out.Assigned}} {
			var done []int
			for _, r := range c.got {
				if r.Step != c.step {
					t.Errorf("%s map: an iteration invoked step %q", c.step, r.Step)
				}
				done = append(done, r.Shard)
			}
			slices.Sort(done)
			if want := []int{0, 1, 2, 3, 4, 5, 6}; !slices.Equal(done, want) {
				t.Errorf("%s map invoked shards %v, want %v", c.step, done, want)
			}
		}

		invs := invocations(t, st.history(t, ctx, aws.ToString(d.ExecutionArn)))
		var steps []workflow.Step
		for _, inv := range invs {
			steps = append(steps, inv.Payload.Step)
			if err := inv.Payload.Validate(); err != nil {
				t.Errorf("%s input: %v", inv.Payload.Step, err)
			}
			if !strings.HasSuffix(inv.FunctionName, ":function:recompute") {
				t.Errorf("%s invoked %s", inv.Payload.Step, inv.FunctionName)
			}
		}
		if !slices.Equal(steps, []workflow.Step{workflow.Plan, workflow.Fit, workflow.Publish}) {
			t.Fatalf("the execution invoked %v, want plan, fit, publish (the maps' in child executions)", steps)
		}
		var req map[string]string
		if p := invs[0].Payload; p.Execution != aws.ToString(d.ExecutionArn) || json.Unmarshal(p.Request, &req) != nil || req["dataset"] != "demo" || len(req) != 1 {
			t.Errorf("plan got execution %q and request %s, want the execution's ARN and input", p.Execution, p.Request)
		}
		for _, inv := range invs[1:] {
			if inv.Payload.Run != "r1" || inv.Payload.Of != shards {
				t.Errorf("%s got run %q of %d, want r1 of %d", inv.Payload.Step, inv.Payload.Run, inv.Payload.Of, shards)
			}
		}

		runs, err := st.sfn.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: d.ExecutionArn})
		if err != nil {
			t.Fatal(err)
		}
		if len(runs.MapRuns) != 2 {
			t.Fatalf("%d map runs, want 2", len(runs.MapRuns))
		}
		for _, r := range runs.MapRuns {
			mr, err := st.sfn.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: r.MapRunArn})
			if err != nil {
				t.Fatal(err)
			}
			if c := mr.ItemCounts; c.Total != shards || c.Succeeded != shards || c.Failed != 0 || mr.MaxConcurrency != 10 {
				t.Errorf("map run %s: %+v items, concurrency %d; want %d succeeded of %d", aws.ToString(r.MapRunArn), *c, mr.MaxConcurrency, shards, shards)
			}
		}
		if bodies := st.receiveAll(t, ctx); len(bodies) != 0 {
			t.Errorf("a successful run sent %v to the failure queue", bodies)
		}
	})

	// On AWS a failed iteration fails its Distributed Map (no tolerated
	// failures), which the Catch routes to the failure queue. moto 5.2.1
	// counts the item as failed, gives it a null result and lets the map
	// succeed; so this checks the failure is counted and, should moto
	// ever fail the map, that the failure reaches the queue.
	t.Run("a shard fails", func(t *testing.T) {
		m.reset(t)
		st := deploy(t, ctx, m)
		m.answer(t, st.plan(t, ctx, shards), tooLarge())
		d := st.run(t, ctx, "shard-fails", `{}`)
		runs, err := st.sfn.ListMapRuns(ctx, &sfn.ListMapRunsInput{ExecutionArn: d.ExecutionArn})
		if err != nil || len(runs.MapRuns) == 0 {
			t.Fatalf("map runs: %v", err)
		}
		mr, err := st.sfn.DescribeMapRun(ctx, &sfn.DescribeMapRunInput{MapRunArn: runs.MapRuns[0].MapRunArn})
		if err != nil {
			t.Fatal(err)
		}
		if mr.ItemCounts.Failed != 1 || mr.ItemCounts.Succeeded != shards-1 {
			t.Errorf("summarize map: %+v, want 1 failed and %d succeeded", *mr.ItemCounts, shards-1)
		}
		bodies := st.receiveAll(t, ctx)
		switch d.Status {
		case stypes.ExecutionStatusFailed:
			if len(bodies) != 1 {
				t.Errorf("the map failed but the failure queue holds %d messages", len(bodies))
			}
		case stypes.ExecutionStatusSucceeded:
			t.Logf("moto let the map succeed with a failed item (a gap of moto 5.2.1; AWS fails the map)")
		default:
			t.Errorf("execution %s", d.Status)
		}
	})

	for _, c := range []struct {
		step workflow.Step
		// before answers every invocation ahead of the failing one;
		// answers run out in invocation order, whatever was invoked.
		before func(plan workflow.PlanOutput) []any
	}{
		{workflow.Plan, func(workflow.PlanOutput) []any { return nil }},
		{workflow.Fit, func(p workflow.PlanOutput) []any { return append([]any{p}, acks(workflow.Summarize, shards)...) }},
		{workflow.Publish, func(p workflow.PlanOutput) []any {
			a := append([]any{p}, acks(workflow.Summarize, shards)...)
			return append(append(a, map[string]any{}), acks(workflow.Assign, shards)...)
		}},
	} {
		t.Run(string(c.step)+" fails", func(t *testing.T) {
			m.reset(t)
			st := deploy(t, ctx, m)
			m.answer(t, append(c.before(st.plan(t, ctx, shards)), tooLarge())...)
			d := st.run(t, ctx, "fail-"+string(c.step), `{}`)
			if d.Status != stypes.ExecutionStatusFailed || aws.ToString(d.Error) != "RecomputeFailed" {
				t.Fatalf("execution %s %s, want FAILED RecomputeFailed", d.Status, aws.ToString(d.Error))
			}
			events := st.history(t, ctx, aws.ToString(d.ExecutionArn))
			invs := invocations(t, events)
			if last := invs[len(invs)-1].Payload.Step; last != c.step {
				t.Errorf("the last invocation was %s, want the failing %s", last, c.step)
			}
			var failed, sent bool
			for _, e := range events {
				if e.Type == stypes.HistoryEventTypeTaskFailed && aws.ToString(e.TaskFailedEventDetails.Error) == "Function.ResponseSizeTooLarge" {
					failed = true
				}
				if e.Type == stypes.HistoryEventTypeTaskSucceeded && aws.ToString(e.TaskSucceededEventDetails.ResourceType) == "sqs" {
					sent = true
				}
			}
			if !failed || !sent {
				t.Errorf("history: function error %v, failure sent %v", failed, sent)
			}
			bodies := st.receiveAll(t, ctx)
			if len(bodies) != 1 {
				t.Fatalf("%d messages in the failure queue, want 1", len(bodies))
			}
			msg, err := workflow.ParseFailure([]byte(bodies[0]))
			if err != nil {
				t.Fatal(err)
			}
			if msg.Execution != aws.ToString(d.ExecutionArn) || msg.Failure.Error != "Function.ResponseSizeTooLarge" || !strings.Contains(msg.Failure.Cause, "errorMessage") {
				t.Errorf("failure message %+v", msg)
			}
			if _, err := redrive.Decode([]byte(bodies[0])); !errors.Is(err, redrive.ErrNotRecord) {
				t.Errorf("the ingest redrive would replay the failure message: %v", err)
			}
		})
	}
}

// acks are the results of a map's n iterations.
func acks(step workflow.Step, n int) []any {
	out := make([]any, n)
	for i := range out {
		out[i] = workflow.ShardResult{Step: step, Shard: i}
	}
	return out
}
