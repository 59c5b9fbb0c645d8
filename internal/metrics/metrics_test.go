package metrics

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// emfUnits are the units the EMF specification allows.
var emfUnits = map[string]bool{"Seconds": true, "Microseconds": true, "Milliseconds": true, "Bytes": true, "Kilobytes": true,
	"Megabytes": true, "Gigabytes": true, "Terabytes": true, "Bits": true, "Kilobits": true, "Megabits": true, "Gigabits": true,
	"Terabits": true, "Percent": true, "Count": true, "Bytes/Second": true, "Kilobytes/Second": true, "Megabytes/Second": true,
	"Gigabytes/Second": true, "Terabytes/Second": true, "Bits/Second": true, "Kilobits/Second": true, "Megabits/Second": true,
	"Gigabits/Second": true, "Terabits/Second": true, "Count/Second": true, "None": true}

// checkEMF checks one log line against the rules of the CloudWatch
// embedded metric format specification: a root "_aws" object with an
// integer millisecond Timestamp and a CloudWatchMetrics array of
// directives, each with a Namespace, at most 30 dimensions per set and
// at most 100 metrics with a name and a known unit; every dimension a root
// string member and every metric a root number.
func checkEMF(line []byte) (map[string]any, error) {
	var root map[string]any
	dec := json.NewDecoder(bytes.NewReader(line))
	dec.UseNumber()
	if err := dec.Decode(&root); err != nil {
		return nil, fmt.Errorf("not a JSON object: %w", err)
	}
	aws, ok := root["_aws"].(map[string]any)
	if !ok {
		return nil, errors.New("no _aws object")
	}
	ts, ok := aws["Timestamp"].(json.Number)
	if _, err := ts.Int64(); !ok || err != nil {
		return nil, fmt.Errorf("_aws.Timestamp %v is not an integer", aws["Timestamp"])
	}
	dirs, ok := aws["CloudWatchMetrics"].([]any)
	if !ok || len(dirs) == 0 {
		return nil, errors.New("_aws.CloudWatchMetrics is not a non-empty array")
	}
	for _, d := range dirs {
		dir, ok := d.(map[string]any)
		if !ok {
			return nil, errors.New("a directive is not an object")
		}
		if ns, ok := dir["Namespace"].(string); !ok || ns == "" || len(ns) > 255 {
			return nil, fmt.Errorf("namespace %v", dir["Namespace"])
		}
		sets, ok := dir["Dimensions"].([]any)
		if !ok {
			return nil, errors.New("Dimensions is not an array")
		}
		for _, s := range sets {
			set, ok := s.([]any)
			if !ok || len(set) > 30 {
				return nil, fmt.Errorf("dimension set %v", s)
			}
			for _, name := range set {
				n, ok := name.(string)
				if !ok {
					return nil, fmt.Errorf("dimension name %v", name)
				}
				if _, ok := root[n].(string); !ok {
					return nil, fmt.Errorf("dimension %s is not a root string member", n)
				}
			}
		}
		ms, ok := dir["Metrics"].([]any)
		if !ok || len(ms) == 0 || len(ms) > 100 {
			return nil, fmt.Errorf("Metrics %v", dir["Metrics"])
		}
		for _, m := range ms {
			def, ok := m.(map[string]any)
			if !ok {
				return nil, fmt.Errorf("metric definition %v", m)
			}
			name, _ := def["Name"].(string)
			if name == "" || len(name) > 1024 {
				return nil, fmt.Errorf("metric name %v", def["Name"])
			}
			if u, ok := def["Unit"].(string); ok && !emfUnits[u] {
				return nil, fmt.Errorf("metric %s: unit %q", name, u)
			}
			if _, ok := root[name].(json.Number); !ok {
				return nil, fmt.Errorf("metric %s is not a root number", name)
			}
		}
	}
	return root, nil
}

func TestEmitWritesEMF(t *testing.T) {
	at := time.Date(2026, 5, 4, 3, 2, 1, 987_000_000, time.UTC)
	cases := []struct {
		name  string
		level slog.Level
		dims  []Dimension
		sets  string
	}{
		{"function only", slog.LevelInfo, nil, `[["Function"]]`},
		{"with route", slog.LevelInfo, []Dimension{{"Route", "GET /v1/segments"}, {"StatusClass", "2xx"}},
			`[["Function"],["Function","Route","StatusClass"]]`},
		{"logger at error level", slog.LevelError, nil, `[["Function"]]`},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := New(slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: c.level})), "api")
			e.now = func() time.Time { return at }
			e.Emit(t.Context(), "request", c.dims, []Metric{Milliseconds("Latency", 1500*time.Microsecond), Count("DBRequests", 3)},
				slog.String("path", "/v1/segments"))
			lines := bytes.Split(bytes.TrimSpace(buf.Bytes()), []byte("\n"))
			if len(lines) != 1 {
				t.Fatalf("%d lines: %s", len(lines), buf.String())
			}
			root, err := checkEMF(lines[0])
			if err != nil {
				t.Fatalf("%v\n%s", err, lines[0])
			}
			aws := root["_aws"].(map[string]any)
			dir := aws["CloudWatchMetrics"].([]any)[0].(map[string]any)
			sets, _ := json.Marshal(dir["Dimensions"])
			if aws["Timestamp"].(json.Number).String() != fmt.Sprint(at.UnixMilli()) || dir["Namespace"] != "salesseg" || string(sets) != c.sets {
				t.Fatalf("envelope %v", aws)
			}
			units, _ := json.Marshal(dir["Metrics"])
			if string(units) != `[{"Name":"Latency","Unit":"Milliseconds"},{"Name":"DBRequests","Unit":"Count"}]` {
				t.Fatalf("metrics %s", units)
			}
			if root["Function"] != "api" || root["Latency"].(json.Number).String() != "1.5" || root["DBRequests"].(json.Number).String() != "3" ||
				root["msg"] != "request" || root["path"] != "/v1/segments" {
				t.Fatalf("members %v", root)
			}
		})
	}
	t.Run("nil emitter and no metrics write nothing", func(t *testing.T) {
		var buf bytes.Buffer
		var nilEmitter *Emitter
		nilEmitter.Emit(t.Context(), "x", nil, []Metric{Count("N", 1)})
		New(slog.New(slog.NewJSONHandler(&buf, nil)), "api").Emit(t.Context(), "x", nil, nil)
		if buf.Len() != 0 {
			t.Fatalf("wrote %s", buf.String())
		}
	})
}

func TestTimed(t *testing.T) {
	boom := errors.New("boom")
	for _, c := range []struct {
		name   string
		err    error
		errors string
	}{{"success", nil, "0"}, {"failure", boom, "1"}} {
		t.Run(c.name, func(t *testing.T) {
			var buf bytes.Buffer
			e := New(slog.New(slog.NewJSONHandler(&buf, nil)), "recompute")
			fn := Timed(e, "Recompute", func(_ context.Context, ev string) error {
				time.Sleep(10 * time.Millisecond)
				return c.err
			})
			if err := fn(t.Context(), "tick"); !errors.Is(err, c.err) {
				t.Fatalf("error %v, want %v", err, c.err)
			}
			root, err := checkEMF(bytes.TrimSpace(buf.Bytes()))
			if err != nil {
				t.Fatalf("%v: %s", err, buf.String())
			}
			secs, _ := root["RecomputeSeconds"].(json.Number).Float64()
			if secs < 0.01 || root["RecomputeErrors"].(json.Number).String() != c.errors || root["Function"] != "recompute" {
				t.Fatalf("%v", root)
			}
		})
	}
}

// slowReader returns one byte per Read after a pause.
type slowReader struct {
	n     int
	pause time.Duration
}

func (r *slowReader) Read(p []byte) (int, error) {
	if r.n == 0 {
		return 0, io.EOF
	}
	time.Sleep(r.pause)
	r.n--
	p[0] = 'x'
	return 1, nil
}

func TestWorkSeparatesReadingFromPhases(t *testing.T) {
	ctx, w := Start(t.Context())
	if WorkFrom(ctx) != w {
		t.Fatal("context does not carry the work")
	}
	stop := w.Phase("Aggregate")
	if _, err := io.ReadAll(w.Reader(&slowReader{n: 4, pause: 15 * time.Millisecond})); err != nil {
		t.Fatal(err)
	}
	time.Sleep(20 * time.Millisecond)
	stop()
	stop = w.Phase("Write")
	time.Sleep(5 * time.Millisecond)
	stop()
	got := map[string]float64{}
	var names []string
	for _, m := range w.Metrics() {
		got[m.Name] = m.Value
		names = append(names, m.Name)
	}
	if strings.Join(names, ",") != "ReadSeconds,AggregateSeconds,WriteSeconds,BytesRead,ItemsWritten" {
		t.Fatalf("metrics %v", names)
	}
	// The phase lasted over 80 ms, of which 60 were spent reading.
	if got["ReadSeconds"] < 0.06 || got["AggregateSeconds"] < 0.02 || got["AggregateSeconds"] > 0.05 || got["WriteSeconds"] < 0.005 ||
		got["BytesRead"] != 4 || got["ItemsWritten"] != 0 {
		t.Fatalf("%v", got)
	}
	if w.Elapsed() < 85*time.Millisecond {
		t.Fatalf("elapsed %v", w.Elapsed())
	}
	var none *Work
	none.Phase("x")()
	if none.Metrics() != nil || none.Reader(strings.NewReader("a")) == nil || WorkFrom(t.Context()) != nil {
		t.Fatal("nil work must measure nothing")
	}
}

// fakeDynamo answers DynamoDB calls by operation name.
type fakeDynamo map[string]struct {
	status int
	body   string
}

func (f fakeDynamo) Do(r *http.Request) (*http.Response, error) {
	op := strings.TrimPrefix(r.Header.Get("X-Amz-Target"), "DynamoDB_20120810.")
	a, ok := f[op]
	if !ok {
		return nil, fmt.Errorf("unexpected %s", op)
	}
	return &http.Response{StatusCode: a.status, Header: http.Header{"Content-Type": {"application/x-amz-json-1.0"}},
		Body: io.NopCloser(strings.NewReader(a.body)), Request: r}, nil
}

func TestCountWrites(t *testing.T) {
	db := dynamodb.New(dynamodb.Options{Region: "us-east-1", BaseEndpoint: aws.String("http://dynamo.test"),
		Credentials: aws.AnonymousCredentials{}, RetryMaxAttempts: 1, HTTPClient: fakeDynamo{
			"PutItem":        {200, `{}`},
			"UpdateItem":     {200, `{}`},
			"GetItem":        {200, `{}`},
			"BatchWriteItem": {200, `{"UnprocessedItems":{"t":[{"PutRequest":{"Item":{"pk":{"S":"c"}}}}]}}`},
			"DeleteItem":     {400, `{"__type":"com.amazonaws.dynamodb.v20120810#ConditionalCheckFailedException","message":"no"}`},
		}}, CountWrites)
	item := map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: "a"}}
	put := func(v string) types.WriteRequest {
		return types.WriteRequest{PutRequest: &types.PutRequest{Item: map[string]types.AttributeValue{"pk": &types.AttributeValueMemberS{Value: v}}}}
	}
	calls := func(ctx context.Context) {
		t.Helper()
		if _, err := db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String("t"), Item: item}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.UpdateItem(ctx, &dynamodb.UpdateItemInput{TableName: aws.String("t"), Key: item}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String("t"), Key: item}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.BatchWriteItem(ctx, &dynamodb.BatchWriteItemInput{RequestItems: map[string][]types.WriteRequest{
			"t": {put("a"), put("b"), put("c")}}}); err != nil {
			t.Fatal(err)
		}
		var ccf *types.ConditionalCheckFailedException
		if _, err := db.DeleteItem(ctx, &dynamodb.DeleteItemInput{TableName: aws.String("t"), Key: item}); !errors.As(err, &ccf) {
			t.Fatalf("delete: %v", err)
		}
	}
	ctx, w := Start(t.Context())
	calls(ctx)
	calls(t.Context()) // outside the work: counted nowhere
	// One put, one update, two of three batched puts; the read and the
	// failed delete wrote nothing.
	if m := w.Metrics(); m[len(m)-1] != Count("ItemsWritten", 4) {
		t.Fatalf("%v", m)
	}
}
