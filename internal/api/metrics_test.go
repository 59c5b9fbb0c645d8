package api

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"net/http"
	"testing"
)

// TestRequestsEmitMetrics checks the one line each request logs: an
// embedded-metric-format record of its latency and DynamoDB requests by
// route template (never by raw path) and status class, written even when
// the log level hides info lines.
func TestRequestsEmitMetrics(t *testing.T) {
	var buf bytes.Buffer
	f := testData(t)
	svc := New(f, fakePresigner{}, slog.New(slog.NewJSONHandler(&buf, &slog.HandlerOptions{Level: slog.LevelError})), Options{Bucket: "b"})
	cases := []struct {
		target, route, class string
		auth                 bool
	}{
		{"/v1/uploads/0123456789abcdef01234567", "GET /v1/uploads/{id}", "2xx", true},
		{"/v1/dimensions/region/values", "GET /v1/dimensions/{dimension}/values", "2xx", true},
		{"/v1/dimensions", "GET /v1/dimensions", "2xx", true},
		{"/v1/segments?dimension=planet", "GET /v1/segments", "4xx", true},
		{"/v1/summary", "GET /v1/summary", "4xx", false},
		{"/v1/../etc/passwd", "GET unmatched", "4xx", true},
	}
	for _, c := range cases {
		t.Run(c.target, func(t *testing.T) {
			buf.Reset()
			if _, err := svc.Handle(t.Context(), request(http.MethodGet, c.target, c.auth)); err != nil {
				t.Fatal(err)
			}
			var line struct {
				AWS struct {
					Timestamp         int64 `json:"Timestamp"`
					CloudWatchMetrics []struct {
						Namespace  string     `json:"Namespace"`
						Dimensions [][]string `json:"Dimensions"`
						Metrics    []struct{ Name, Unit string }
					} `json:"CloudWatchMetrics"`
				} `json:"_aws"`
				Function, Route, StatusClass string
				Latency, DBRequests          *float64
			}
			if err := json.Unmarshal(buf.Bytes(), &line); err != nil {
				t.Fatalf("%v: %s", err, buf.String())
			}
			if len(line.AWS.CloudWatchMetrics) != 1 || line.AWS.CloudWatchMetrics[0].Namespace != "salesseg" || line.AWS.Timestamp == 0 ||
				line.Function != "api" || line.Route != c.route || line.StatusClass != c.class || line.Latency == nil || line.DBRequests == nil {
				t.Fatalf("%s", buf.String())
			}
		})
	}
}
