package recompute

import (
	"context"
	"io"
	"os"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/parser"
	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/shareddata"
	"github.com/salesseg/salesseg/internal/snapshot"
)

// parsedBase parses shared data files as ingestion does and folds their
// purchase histories.
func parsedBase(t *testing.T, names ...string) *analytics.Base {
	t.Helper()
	b := analytics.NewBuilder()
	for _, name := range names {
		f, err := os.Open(shareddata.Path(t, name))
		if err != nil {
			t.Fatal(err)
		}
		res, err := parser.ParseWith(f, name, parser.NewCSVRejects(io.Discard), parser.Options{})
		f.Close()
		if err != nil {
			t.Fatal(err)
		}
		if err := res.Purchases(b.Add); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

// cdnowSampleBase folds the CDNOW 1/10 cohort (headerless: master id,
// cohort id, YYYYMMDD, CDs, dollars) up to the papers' calibration end.
func cdnowSampleBase(t *testing.T) *analytics.Base {
	t.Helper()
	data, err := os.ReadFile(shareddata.Path(t, "CDNOW_sample.txt"))
	if err != nil {
		t.Fatal(err)
	}
	b := analytics.NewBuilder()
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) != 5 || f[2] > "19970930" {
			continue
		}
		day, err := time.Parse("20060102", f[2])
		if err != nil {
			t.Fatal(err)
		}
		if err := b.Add(history.Purchase{Customer: f[1], Day: period.DateOf(day), Orders: 1, Lines: 1, Revenue: f[4]}); err != nil {
			t.Fatal(err)
		}
	}
	return b.Build()
}

// TestAnalyzeWithholdsAnUntrustedCLV checks that a snapshot presents CLV
// predictions only from a model it can trust: on Superstore the BG/NBD
// estimate is degenerate, and the snapshot says so in plain words and has
// no quadrants, forecasts or per-customer predictions; on CDNOW it has
// them all.
func TestAnalyzeWithholdsAnUntrustedCLV(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name    string
		base    *analytics.Base
		trusted bool
	}{
		{"superstore", parsedBase(t, "sample_superstore_utf8bom_2016-2019.csv"), false},
		{"cdnow", cdnowSampleBase(t), true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			snap, err := Analyze(ctx, tc.base, nil, nil, time.Time{})
			if err != nil {
				t.Fatal(err)
			}
			m := snap.Meta
			t.Logf("%s: %s", m.CLVStatus, m.CLVReason)
			if (m.CLVStatus == string(analytics.CLVFitted)) != tc.trusted || (m.CLVReason == "") != tc.trusted || m.CLV == nil {
				t.Fatalf("status %q, reason %q, model %+v", m.CLVStatus, m.CLVReason, m.CLV)
			}
			if !tc.trusted && (len(m.Warnings) == 0 || m.Warnings[len(m.Warnings)-1] != m.CLVReason) {
				t.Errorf("warnings %q do not carry the reason", m.Warnings)
			}
			parts, err := snap.Encode()
			if err != nil {
				t.Fatal(err)
			}
			var quads, forecasts int
			for _, p := range parts {
				switch {
				case strings.HasPrefix(p.Name, string(snapshot.Quadrants)+"/"):
					quads++
				case strings.HasPrefix(p.Name, "forecast/"):
					forecasts++
				}
			}
			predicted := 0
			for _, c := range snap.Customers {
				if c.PAlive != nil || c.CLV != nil || c.Quadrant != "" {
					predicted++
				}
				if c.PurchaseDays < 1 {
					t.Fatalf("customer %s: %d purchase days", c.ID, c.PurchaseDays)
				}
			}
			if tc.trusted != (quads > 0 && forecasts > 0 && predicted == len(snap.Customers)) || !tc.trusted && (quads+forecasts+predicted) > 0 {
				t.Errorf("%d quadrant parts, %d forecast parts, %d of %d customers with predictions", quads, forecasts, predicted, len(snap.Customers))
			}
		})
	}
}

// TestAnalyzeSaysWhenAsOfIsMoved checks that an as-of day before the last
// purchase is not silently replaced: the snapshot is measured as of the
// last purchase and a warning says so.
func TestAnalyzeSaysWhenAsOfIsMoved(t *testing.T) {
	base := cdnowSampleBase(t)
	snap, err := Analyze(context.Background(), base, nil, nil, time.Date(1997, 6, 30, 0, 0, 0, 0, time.UTC))
	if err != nil {
		t.Fatal(err)
	}
	if snap.Meta.AsOf != base.LastDay.String() {
		t.Errorf("as of %s, want the last purchase day %s", snap.Meta.AsOf, base.LastDay)
	}
	if !slices.ContainsFunc(snap.Meta.Warnings, func(w string) bool { return strings.Contains(w, "As of 1997-06-30 is before the last purchase") }) {
		t.Errorf("warnings %q do not say the as-of day moved", snap.Meta.Warnings)
	}
}
