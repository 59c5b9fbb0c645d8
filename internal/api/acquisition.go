package api

import (
	"context"
	"fmt"
	"slices"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/snapshot"
)

// AcquisitionResponse is the body of GET /v1/acquisition: acquisition
// cost by period and segment, channel or in total, from the spend files
// and the latest recompute snapshot (see analytics.Acquisition).
type AcquisitionResponse struct {
	Snapshot     SnapshotRef                `json:"snapshot"`
	Period       string                     `json:"period"`
	Dimension    string                     `json:"dimension"`
	PaybackBasis string                     `json:"payback_basis"`
	Rows         []analytics.AcquisitionRow `json:"rows"`
	Unattributed []analytics.SpendAmount    `json:"unattributed"`
	Unplaced     []analytics.SpendAmount    `json:"unplaced"`
	Notes        []string                   `json:"notes"`
}

// acquisitionParams are the parameters GET /v1/acquisition takes.
func acquisitionParams() []string { return []string{"period", "dimension"} }

// acquisition answers GET /v1/acquisition.
func (s *Service) acquisition(ctx context.Context, q query) (*AcquisitionResponse, error) {
	grain := analytics.ByMonth
	if g, ok := q["period"]; ok {
		if grain = analytics.Grain(g); !slices.Contains(snapshot.BridgeGrains(), grain) {
			return nil, badRequest("Parameter period must be month, quarter or year, got %s.", quote(g))
		}
	}
	d := dimension.Total
	if name, ok := q["dimension"]; ok {
		var err error
		if d, err = dimension.Parse(name); err != nil {
			return nil, badRequest("Parameter dimension: %v.", err)
		}
		if d != dimension.Total && d != dimension.Segment && d != dimension.Channel {
			return nil, badRequest("Parameter dimension: spend files name a segment or a channel, not a %s; use total, segment or channel.", d)
		}
	}
	info, ref, err := s.snapshot(ctx)
	if err != nil {
		return nil, err
	}
	why := "No acquisition figures: upload a spend/ file (period, amount, optionally segment or channel) and wait for the next recompute."
	if d != dimension.Total {
		why = fmt.Sprintf("No acquisition figures by %s: no live spend/ file names a %s.", d, d)
	}
	a, err := servePart(ctx, s, info, snapshot.AcquisitionPart(d, grain), why)
	if err != nil {
		return nil, err
	}
	return &AcquisitionResponse{Snapshot: ref, Period: string(a.Grain), Dimension: string(a.Dimension), PaybackBasis: a.PaybackBasis,
		Rows: a.Rows, Unattributed: a.Unattributed, Unplaced: a.Unplaced, Notes: a.Notes}, nil
}
