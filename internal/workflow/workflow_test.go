package workflow_test

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/salesseg/salesseg/internal/workflow"
)

// testSubs are substitutions with the shapes of a deployment's values.
func testSubs() workflow.Substitutions {
	return workflow.Substitutions{
		FunctionArn: "arn:aws:lambda:us-east-1:123456789012:function:recompute",
		Bucket:      "salesseg-sales-123456789012-us-east-1",
		QueueURL:    "https://sqs.us-east-1.amazonaws.com/123456789012/failures",
	}
}

// state is the part of an ASL state the checks read.
type state struct {
	Type           string          `json:"Type"`
	Next           string          `json:"Next"`
	End            bool            `json:"End"`
	Default        string          `json:"Default"`
	Resource       string          `json:"Resource"`
	Parameters     json.RawMessage `json:"Parameters"`
	ResultPath     *string         `json:"ResultPath"`
	MaxConcurrency *float64        `json:"MaxConcurrency"`
	Choices        []struct {
		Next string `json:"Next"`
	} `json:"Choices"`
	Catch []struct {
		ErrorEquals []string `json:"ErrorEquals"`
		Next        string   `json:"Next"`
	} `json:"Catch"`
	Retry []struct {
		ErrorEquals []string `json:"ErrorEquals"`
		MaxAttempts int      `json:"MaxAttempts"`
		BackoffRate float64  `json:"BackoffRate"`
	} `json:"Retry"`
	ItemReader *struct {
		Resource     string `json:"Resource"`
		ReaderConfig struct {
			InputType string `json:"InputType"`
		} `json:"ReaderConfig"`
		Parameters map[string]string `json:"Parameters"`
	} `json:"ItemReader"`
	ItemSelector  map[string]any `json:"ItemSelector"`
	ItemBatcher   any            `json:"ItemBatcher"`
	ItemProcessor *machine       `json:"ItemProcessor"`
}

// machine is a state machine or a Map's processor.
type machine struct {
	StartAt         string            `json:"StartAt"`
	States          map[string]*state `json:"States"`
	ProcessorConfig struct {
		Mode          string `json:"Mode"`
		ExecutionType string `json:"ExecutionType"`
	} `json:"ProcessorConfig"`
}

func parse(t *testing.T) *machine {
	t.Helper()
	def, err := workflow.Definition(testSubs())
	if err != nil {
		t.Fatal(err)
	}
	var m machine
	dec := json.NewDecoder(strings.NewReader(def))
	if err := dec.Decode(&m); err != nil {
		t.Fatalf("definition: %v", err)
	}
	return &m
}

// checkGraph reports every transition of m (and of its Map processors) to
// a state that does not exist, every state that neither ends nor goes on,
// and every state unreachable from StartAt.
func checkGraph(t *testing.T, where string, m *machine) {
	t.Helper()
	if m.States[m.StartAt] == nil {
		t.Errorf("%s: StartAt %q is not a state", where, m.StartAt)
	}
	edges := map[string][]string{}
	for name, s := range m.States {
		var next []string
		if s.Next != "" {
			next = append(next, s.Next)
		}
		if s.Default != "" {
			next = append(next, s.Default)
		}
		for _, c := range s.Choices {
			next = append(next, c.Next)
		}
		for _, c := range s.Catch {
			next = append(next, c.Next)
		}
		for _, n := range next {
			if m.States[n] == nil {
				t.Errorf("%s: state %s goes to %q, which is not a state", where, name, n)
			}
		}
		terminal := s.End || s.Type == "Succeed" || s.Type == "Fail"
		if terminal == (s.Next != "") && s.Type != "Choice" {
			t.Errorf("%s: state %s has Next %q and End %v", where, name, s.Next, terminal)
		}
		edges[name] = next
		if s.ItemProcessor != nil {
			checkGraph(t, where+"/"+name, s.ItemProcessor)
		}
	}
	seen := map[string]bool{}
	var visit func(string)
	visit = func(n string) {
		if seen[n] {
			return
		}
		seen[n] = true
		for _, e := range edges[n] {
			visit(e)
		}
	}
	visit(m.StartAt)
	for name := range m.States {
		if !seen[name] {
			t.Errorf("%s: state %s is unreachable", where, name)
		}
	}
}

// payloadStep returns the step a lambda:invoke state's Parameters name:
// Payload.step, or, for a processor passing its item through
// (Payload.$ "$"), "".
func payloadStep(t *testing.T, s *state) (function, step string) {
	t.Helper()
	var p struct {
		FunctionName string `json:"FunctionName"`
		Payload      struct {
			Step string `json:"step"`
		} `json:"Payload"`
		PayloadPath string `json:"Payload.$"`
	}
	if err := json.Unmarshal(s.Parameters, &p); err != nil {
		t.Fatalf("parameters %s: %v", s.Parameters, err)
	}
	return p.FunctionName, p.Payload.Step
}

// TestDefinition parses the substituted definition and checks its shape:
// every transition and Catch leads to a state, every state is reachable,
// the main path runs the steps in workflow order, each step invokes the
// recompute function with its step name (the maps through their
// ItemSelector, over the shard list Plan wrote), Lambda's transient errors
// are retried, every step's failure goes to the Failure state, which sends
// to the failure queue and then fails, and nothing uses what moto's
// interpreter cannot run (ItemBatcher).
func TestDefinition(t *testing.T) {
	m := parse(t)
	checkGraph(t, "definition", m)
	subs := testSubs()

	var path []string
	for n := m.StartAt; n != "" && m.States[n] != nil; n = m.States[n].Next {
		if len(path) > len(m.States) {
			t.Fatalf("main path loops: %v", path)
		}
		path = append(path, n)
	}
	var want []string
	for _, s := range workflow.Steps() {
		want = append(want, strings.ToUpper(string(s[:1]))+string(s[1:]))
	}
	if !slices.Equal(path, want) {
		t.Fatalf("main path %v, want %v", path, want)
	}

	transient := []string{"Lambda.ServiceException", "Lambda.AWSLambdaException", "Lambda.SdkClientException", "Lambda.TooManyRequestsException"}
	checkTask := func(t *testing.T, name string, s *state, step workflow.Step) {
		t.Helper()
		if s.Type != "Task" || s.Resource != "arn:aws:states:::lambda:invoke" {
			t.Fatalf("%s: %s %s, want a lambda:invoke Task", name, s.Type, s.Resource)
		}
		fn, got := payloadStep(t, s)
		if fn != subs.FunctionArn {
			t.Errorf("%s invokes %q, want the recompute function", name, fn)
		}
		if !step.Sharded() && got != string(step) {
			t.Errorf("%s sends step %q, want %q", name, got, step)
		}
		retried := false
		for _, r := range s.Retry {
			if !slices.ContainsFunc(transient, func(e string) bool { return !slices.Contains(r.ErrorEquals, e) }) {
				retried = r.MaxAttempts >= 3 && r.BackoffRate > 1
			}
			if slices.Contains(r.ErrorEquals, "States.ALL") || slices.Contains(r.ErrorEquals, "States.TaskFailed") {
				t.Errorf("%s retries %v: the function's own errors must not be retried blindly", name, r.ErrorEquals)
			}
		}
		if !retried {
			t.Errorf("%s: no retry with backoff on %v", name, transient)
		}
	}

	for i, step := range workflow.Steps() {
		name := path[i]
		s := m.States[name]
		t.Run(name, func(t *testing.T) {
			if len(s.Catch) != 1 || !slices.Equal(s.Catch[0].ErrorEquals, []string{"States.ALL"}) || s.Catch[0].Next != "Failure" {
				t.Errorf("%s does not catch States.ALL into Failure: %+v", name, s.Catch)
			}
			if !step.Sharded() {
				checkTask(t, name, s, step)
				return
			}
			if s.Type != "Map" || s.ItemProcessor == nil || s.ItemProcessor.ProcessorConfig.Mode != "DISTRIBUTED" ||
				s.ItemProcessor.ProcessorConfig.ExecutionType != "STANDARD" {
				t.Fatalf("%s is not a Distributed Map of STANDARD executions", name)
			}
			if s.ItemBatcher != nil {
				t.Error("ItemBatcher: moto's interpreter cannot run it, and one shard is one invocation")
			}
			r := s.ItemReader
			if r == nil || r.Resource != "arn:aws:states:::s3:getObject" || r.ReaderConfig.InputType != "JSON" ||
				r.Parameters["Bucket"] != subs.Bucket || r.Parameters["Key.$"] != "$.parts_key" {
				t.Errorf("%s does not read the JSON shard list from the bucket at $.parts_key: %+v", name, r)
			}
			wantSel := map[string]any{"step": string(step), "run.$": "$.run", "shard.$": "$$.Map.Item.Value.shard", "of.$": "$$.Map.Item.Value.of"}
			if fmt.Sprint(s.ItemSelector) != fmt.Sprint(wantSel) {
				t.Errorf("%s item selector %v, want %v", name, s.ItemSelector, wantSel)
			}
			if s.MaxConcurrency == nil || *s.MaxConcurrency < 1 {
				t.Errorf("%s: no MaxConcurrency bound", name)
			}
			p := s.ItemProcessor
			if len(p.States) != 1 {
				t.Fatalf("%s: processor has %d states, want one task", name, len(p.States))
			}
			task := p.States[p.StartAt]
			checkTask(t, name+"/"+p.StartAt, task, step)
			var params map[string]any
			if err := json.Unmarshal(task.Parameters, &params); err != nil || params["Payload.$"] != "$" {
				t.Errorf("%s/%s does not pass its item as the payload: %s", name, p.StartAt, task.Parameters)
			}
		})
	}

	t.Run("Failure", func(t *testing.T) {
		f := m.States["Failure"]
		if f == nil || f.Type != "Task" || f.Resource != "arn:aws:states:::sqs:sendMessage" {
			t.Fatal("no Failure task sending to SQS")
		}
		var p struct {
			QueueURL string         `json:"QueueUrl"`
			Body     map[string]any `json:"MessageBody"`
		}
		if err := json.Unmarshal(f.Parameters, &p); err != nil {
			t.Fatal(err)
		}
		if p.QueueURL != subs.QueueURL || p.Body["kind"] != workflow.FailureKind || p.Body["execution.$"] != "$$.Execution.Id" || p.Body["failure.$"] != "$.error" {
			t.Errorf("Failure sends %+v", p)
		}
		if f.Next == "" || m.States[f.Next].Type != "Fail" || len(f.Catch) != 1 || f.Catch[0].Next != f.Next {
			t.Errorf("Failure does not end in a Fail state, sent or not")
		}
	})
}

// TestDefinitionSubstitutions checks that every placeholder gets its
// value, JSON-escaped, and that a missing value is an error.
func TestDefinitionSubstitutions(t *testing.T) {
	if got := workflow.Placeholders(); !slices.Equal(got, []string{workflow.FunctionArnVar, workflow.BucketVar, workflow.QueueURLVar}) {
		t.Fatalf("placeholders %v", got)
	}
	for _, c := range []struct {
		name string
		subs func(*workflow.Substitutions)
		err  bool
	}{
		{"all set", func(*workflow.Substitutions) {}, false},
		{"quote in a value", func(s *workflow.Substitutions) { s.Bucket = `b"x` }, false},
		{"no function", func(s *workflow.Substitutions) { s.FunctionArn = "" }, true},
		{"no queue", func(s *workflow.Substitutions) { s.QueueURL = "" }, true},
	} {
		t.Run(c.name, func(t *testing.T) {
			s := testSubs()
			c.subs(&s)
			def, err := workflow.Definition(s)
			if c.err {
				if !errors.Is(err, workflow.ErrSubstitution) {
					t.Fatalf("error %v, want ErrSubstitution", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Contains(def, "${") {
				t.Error("a placeholder is left")
			}
			if !strings.Contains(def, s.FunctionArn) || !strings.Contains(def, s.QueueURL) {
				t.Error("values not substituted")
			}
			var v map[string]any
			if err := json.Unmarshal([]byte(def), &v); err != nil {
				t.Fatalf("not JSON: %v", err)
			}
		})
	}
}

// TestInputValidate checks which fields each step needs, and that inputs
// round-trip through JSON as the machine writes them (shard 0 included).
func TestInputValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		json string
		err  error
	}{
		{"plan", `{"step":"plan","execution":"arn:x","request":{}}`, nil},
		{"summarize shard 0", `{"step":"summarize","run":"r","shard":0,"of":4}`, nil},
		{"assign last shard", `{"step":"assign","run":"r","shard":3,"of":4}`, nil},
		{"fit", `{"step":"fit","run":"r","of":4}`, nil},
		{"publish", `{"step":"publish","run":"r","of":1}`, nil},
		{"unknown step", `{"step":"reduce","run":"r","of":1}`, workflow.ErrUnknownStep},
		{"no step", `{"run":"r","of":1}`, workflow.ErrUnknownStep},
		{"no run", `{"step":"fit","of":4}`, workflow.ErrNoRun},
		{"no shards", `{"step":"publish","run":"r"}`, workflow.ErrShard},
		{"shard past the end", `{"step":"summarize","run":"r","shard":4,"of":4}`, workflow.ErrShard},
		{"negative shard", `{"step":"assign","run":"r","shard":-1,"of":4}`, workflow.ErrShard},
	} {
		t.Run(c.name, func(t *testing.T) {
			var in workflow.Input
			if err := json.Unmarshal([]byte(c.json), &in); err != nil {
				t.Fatal(err)
			}
			if err := in.Validate(); !errors.Is(err, c.err) || (c.err == nil) != (err == nil) {
				t.Fatalf("Validate: %v, want %v", err, c.err)
			}
			b, err := json.Marshal(in)
			if err != nil {
				t.Fatal(err)
			}
			var again workflow.Input
			if err := json.Unmarshal(b, &again); err != nil || again.Step != in.Step || again.Shard != in.Shard || again.Of != in.Of || again.Run != in.Run {
				t.Fatalf("round trip %s -> %+v (%v)", b, again, err)
			}
		})
	}
}

// TestItemsAndFailures checks the shard list Plan writes and the parsing
// of failure queue messages.
func TestItemsAndFailures(t *testing.T) {
	b, err := json.Marshal(workflow.Items(3))
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `[{"shard":0,"of":3},{"shard":1,"of":3},{"shard":2,"of":3}]` {
		t.Fatalf("items %s", b)
	}
	if k := workflow.PartsKey("r1"); k != "recompute/r1/shards.json" || !strings.HasPrefix(k, workflow.RunPrefix) {
		t.Fatalf("parts key %s", k)
	}
	for _, c := range []struct {
		name, body string
		ok         bool
	}{
		{"failure", `{"kind":"recompute-failed","execution":"arn:e","failure":{"Error":"E","Cause":"c"}}`, true},
		{"lambda record", `{"version":"1.0","requestPayload":{}}`, false},
		{"not JSON", `oops`, false},
	} {
		t.Run(c.name, func(t *testing.T) {
			m, err := workflow.ParseFailure([]byte(c.body))
			if c.ok != (err == nil) || (!c.ok && !errors.Is(err, workflow.ErrNotFailure)) {
				t.Fatalf("ParseFailure: %+v, %v", m, err)
			}
			if c.ok && (m.Execution != "arn:e" || m.Failure.Error != "E" || m.Failure.Cause != "c") {
				t.Fatalf("parsed %+v", m)
			}
		})
	}
}

func TestDecodeInput(t *testing.T) {
	for _, c := range []struct {
		name, payload string
		ok, bad       bool
		want          workflow.Input
	}{
		{name: "a step", payload: `{"step":"assign","run":"r1","shard":3,"of":8}`, ok: true, want: workflow.Input{Step: workflow.Assign, Run: "r1", Shard: 3, Of: 8}},
		{name: "a scheduled event", payload: `{"version":"0","detail-type":"Scheduled Event","source":"aws.events"}`},
		{name: "an empty object", payload: `{}`},
		{name: "not an object", payload: `[1,2]`, bad: true},
		{name: "a shard that is not a number", payload: `{"step":"assign","shard":"three"}`, bad: true},
	} {
		t.Run(c.name, func(t *testing.T) {
			in, ok, err := workflow.DecodeInput([]byte(c.payload))
			if (err != nil) != c.bad || ok != c.ok || in.Step != c.want.Step || in.Run != c.want.Run || in.Shard != c.want.Shard || in.Of != c.want.Of {
				t.Errorf("DecodeInput(%s) = %+v, %v, %v", c.payload, in, ok, err)
			}
		})
	}
}
