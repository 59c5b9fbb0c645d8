package devstack

import (
	"testing"

	"github.com/aws/aws-lambda-go/events"
)

// TestNotifiedFollowsTheTemplateFilters checks which keys invoke ingest
// locally: the upload prefixes and the mapping files, not ingest's own
// outputs.
func TestNotifiedFollowsTheTemplateFilters(t *testing.T) {
	cases := []struct {
		key  string
		want bool
	}{
		{"transactions/sales+2024.csv", true},
		{"customers/accounts.csv", true},
		{"config/mapping.json", true},
		{"config/mappings/sales.csv.json", true},
		{"config/notes.txt", false},
		{"curated/abc.ndjson", false},
		{"rejects/abc.csv", false},
	}
	for _, c := range cases {
		t.Run(c.key, func(t *testing.T) {
			ev := events.S3Event{Records: []events.S3EventRecord{{S3: events.S3Entity{Object: events.S3Object{Key: c.key}}}}}
			if got := notified(ev); got != c.want {
				t.Fatalf("notified = %v, want %v", got, c.want)
			}
		})
	}
}
