package workflow_test

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/salesseg/salesseg/infra/statemachine"
	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/workflow"
)

// node returns the value under path in a YAML mapping, or nil.
func node(n *yaml.Node, path ...string) *yaml.Node {
	for _, key := range path {
		if n == nil || n.Kind != yaml.MappingNode {
			return nil
		}
		var next *yaml.Node
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == key {
				next = n.Content[i+1]
			}
		}
		n = next
	}
	return n
}

// items returns a sequence's elements, or n alone when it is a scalar.
func items(n *yaml.Node) []*yaml.Node {
	if n == nil {
		return nil
	}
	if n.Kind == yaml.SequenceNode {
		return n.Content
	}
	return []*yaml.Node{n}
}

// is reports whether n is the intrinsic tag with value (such as !Ref X).
func is(n *yaml.Node, tag, value string) bool { return n != nil && n.Tag == tag && n.Value == value }

// TestTemplateDeploysTheStateMachine reads template.yaml and checks that
// RecomputeStateMachine deploys infra/statemachine/recompute.asl.json with
// a value for each of its placeholders, that its role may invoke only the
// recompute function, read only run objects, send only to the failure
// queue and start and watch only its own executions (the Distributed
// Maps' children), that RecomputeFunction knows the machine's ARN and may
// write run objects and start it, that its failures raise an alarm, and
// that the function's reserved concurrency admits the maps' concurrency.
func TestTemplateDeploysTheStateMachine(t *testing.T) {
	root, err := devstack.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(filepath.Join(root, "template.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		t.Fatalf("template.yaml: %v", err)
	}
	top := doc.Content[0]
	res := node(top, "Resources")
	sm := node(res, "RecomputeStateMachine")
	if v := node(sm, "Type"); v == nil || v.Value != "AWS::Serverless::StateMachine" {
		t.Fatal("no AWS::Serverless::StateMachine RecomputeStateMachine")
	}
	props := node(sm, "Properties")
	if v := node(props, "Type"); v == nil || v.Value != "STANDARD" {
		t.Error("the state machine is not STANDARD (Distributed Map children of 5 minutes and more)")
	}
	uri := node(props, "DefinitionUri")
	if uri == nil {
		t.Fatal("no DefinitionUri")
	}
	file, err := os.ReadFile(filepath.Join(root, uri.Value))
	if err != nil || !bytes.Equal(file, statemachine.Recompute()) {
		t.Fatalf("DefinitionUri %s is not the embedded definition (%v)", uri.Value, err)
	}

	bucket := node(res, "SalesBucket", "Properties", "BucketName")
	subs := node(props, "DefinitionSubstitutions")
	var keys []string
	for i := 0; subs != nil && i+1 < len(subs.Content); i += 2 {
		keys = append(keys, subs.Content[i].Value)
	}
	slices.Sort(keys)
	want := workflow.Placeholders()
	slices.Sort(want)
	if !slices.Equal(keys, want) {
		t.Errorf("DefinitionSubstitutions %v, want the definition's placeholders %v", keys, want)
	}
	if !is(node(subs, workflow.FunctionArnVar), "!GetAtt", "RecomputeFunction.Arn") ||
		!is(node(subs, workflow.QueueURLVar), "!Ref", "IngestFailureQueue") ||
		!is(node(subs, workflow.BucketVar), "!Sub", bucket.Value) {
		t.Error("substitutions are not the recompute function, the failure queue and the sales bucket")
	}

	name := node(props, "Name")
	if name == nil || name.Tag != "!Sub" {
		t.Fatal("the state machine has no fixed !Sub Name")
	}
	arn := "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:stateMachine:" + name.Value
	executions := "arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:" + name.Value
	runs := "arn:${AWS::Partition}:s3:::" + bucket.Value + "/" + workflow.RunPrefix + "*"

	t.Run("state machine role", func(t *testing.T) {
		var invoke, send bool
		granted := map[string][]string{}
		for _, p := range items(node(props, "Policies")) {
			if f := node(p, "LambdaInvokePolicy", "FunctionName"); f != nil {
				invoke = is(f, "!Ref", "RecomputeFunction")
				continue
			}
			if q := node(p, "SQSSendMessagePolicy", "QueueName"); q != nil {
				send = is(q, "!GetAtt", "IngestFailureQueue.QueueName")
				continue
			}
			st := node(p, "Statement")
			if st == nil {
				t.Errorf("unexpected policy %v", p.Content[0].Value)
				continue
			}
			for _, s := range st.Content {
				for _, a := range items(node(s, "Action")) {
					for _, r := range items(node(s, "Resource")) {
						granted[a.Value] = append(granted[a.Value], r.Value)
					}
				}
			}
		}
		if !invoke || !send {
			t.Errorf("invoke the recompute function: %v, send to the failure queue: %v", invoke, send)
		}
		wantGrants := map[string][]string{
			"s3:GetObject":             {runs},
			"states:StartExecution":    {arn},
			"states:DescribeExecution": {executions + "/*", executions + ":*"},
			"states:StopExecution":     {executions + "/*", executions + ":*"},
		}
		for a, rs := range granted {
			if !slices.Equal(rs, wantGrants[a]) {
				t.Errorf("the state machine may %s on %v, want %v", a, rs, wantGrants[a])
			}
		}
		if len(granted) != len(wantGrants) {
			t.Errorf("granted %v, want %v", granted, wantGrants)
		}
	})

	t.Run("recompute function", func(t *testing.T) {
		fn := node(res, "RecomputeFunction", "Properties")
		if env := node(fn, "Environment", "Variables", "STATE_MACHINE_ARN"); !is(env, "!Sub", arn) {
			t.Errorf("STATE_MACHINE_ARN is not the state machine's ARN %s", arn)
		}
		can := map[string]bool{}
		for _, p := range items(node(fn, "Policies")) {
			for _, s := range items(node(p, "Statement")) {
				for _, a := range items(node(s, "Action")) {
					for _, r := range items(node(s, "Resource")) {
						can[a.Value+" "+r.Value] = true
					}
				}
			}
		}
		for _, g := range []string{"s3:PutObject " + runs, "s3:GetObject " + runs, "states:StartExecution " + arn} {
			if !can[g] {
				t.Errorf("the recompute function may not %s", g)
			}
		}
	})

	t.Run("alarm", func(t *testing.T) {
		found := false
		for i := 0; i+1 < len(res.Content); i += 2 {
			p := node(res.Content[i+1], "Properties")
			if node(res.Content[i+1], "Type").Value != "AWS::CloudWatch::Alarm" || node(p, "MetricName").Value != "ExecutionsFailed" {
				continue
			}
			d := node(p, "Dimensions")
			found = node(p, "Namespace").Value == "AWS/States" && len(d.Content) == 1 &&
				node(d.Content[0], "Name").Value == "StateMachineArn" && is(node(d.Content[0], "Value"), "!Ref", "RecomputeStateMachine") &&
				len(node(p, "AlarmActions").Content) == 1 && is(node(p, "AlarmActions").Content[0], "!Ref", "AlarmTopic")
		}
		if !found {
			t.Error("no alarm on the state machine's ExecutionsFailed notifying AlarmTopic")
		}
	})

	t.Run("concurrency", func(t *testing.T) {
		reserved, err := strconv.Atoi(node(top, "Parameters", "RecomputeReservedConcurrency", "Default").Value)
		if err != nil {
			t.Fatal(err)
		}
		var def struct {
			States map[string]struct {
				MaxConcurrency int `json:"MaxConcurrency"`
			} `json:"States"`
		}
		if err := json.Unmarshal(statemachine.Recompute(), &def); err != nil {
			t.Fatal(err)
		}
		maps := 0
		for n, s := range def.States {
			if s.MaxConcurrency == 0 {
				continue
			}
			maps++
			if s.MaxConcurrency > reserved {
				t.Errorf("%s runs %d shards at once, above RecomputeReservedConcurrency's default %d", n, s.MaxConcurrency, reserved)
			}
		}
		if maps != 2 || !strings.Contains(node(top, "Parameters", "RecomputeReservedConcurrency", "Description").Value, "MaxConcurrency") {
			t.Errorf("%d maps with MaxConcurrency; the parameter's description must name it", maps)
		}
	})
}
