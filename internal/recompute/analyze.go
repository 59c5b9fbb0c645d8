package recompute

import (
	"context"
	"time"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/snapshot"
)

// maxTopCustomers bounds the ranked list kept in a snapshot.
const maxTopCustomers = 1000

// Analyze computes a snapshot from a customer base, the accounts of the
// customers files (firmographics; those without purchases are the
// prospects ranked by likeness to the top tier) and the spend of the
// spend files (acquisition cost, see analytics.NewAcquisition). asOf is the day recency
// and CLV are measured at (it is moved to the last purchase day when
// earlier). A CLV model that cannot be fitted or trusted (see
// analytics.CLVStatus) is reported in Meta.CLVStatus, Meta.CLVReason and
// Meta.Warnings and leaves the CLV-based parts out: quadrants, forecasts
// and the customers' predictions; any other failure is an error. An empty base gives a snapshot with only a Meta, which encodes
// to no parts.
func Analyze(ctx context.Context, base *analytics.Base, accounts []analytics.Prospect, spend []history.Spend, asOf time.Time) (snapshot.Snapshot, error) {
	whole := func(context.Context, int) (*analytics.Base, error) { return base, nil }
	return AnalyzeShards(ctx, 1, 1, whole, accounts, spend, asOf)
}

func ptr[T any](v T) *T { return &v }

// maxLookalikes bounds the ranked prospect list kept in a snapshot.
const maxLookalikes = 200
