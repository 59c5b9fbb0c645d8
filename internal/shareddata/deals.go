package shareddata

import (
	"bytes"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/salesseg/salesseg/internal/devstack"
)

// DealsScript is the DuckDB reference computation of deal and pipeline
// figures on the CRM data sets, relative to the repository root; its
// header comment states every rule it applies.
const DealsScript = "infra/node/deals_reference.mjs"

// DealsReference is DealsScript's output: the figures of every group,
// DuckDB's exact DECIMAL sums rendered as strings.
type DealsReference struct {
	Groups           map[string]DealsGroup `json:"groups"`
	CustomerDays     int                   `json:"customer_days"`
	LostOnlyAccounts []string              `json:"lost_only_accounts"`
}

// DealsGroup is the figures of one group of a DealsReference.
type DealsGroup struct {
	Won            int64  `json:"won"`
	WonValue       string `json:"won_value"`
	Lost           int64  `json:"lost"`
	LostValue      string `json:"lost_value"`
	WonCycleN      int64  `json:"won_cycle_n"`
	WonCycleSum    int64  `json:"won_cycle_sum"`
	WonCycleMedian string `json:"won_cycle_median"` // "" when no won deal has an engage date
	LostCycleN     int64  `json:"lost_cycle_n"`
	LostCycleSum   int64  `json:"lost_cycle_sum"`
	// Open is the deals open at the end of the --as-of day by stage as
	// the file spells it ("Won" and "Lost" for deals closed later, and
	// "<stage> (undated)" for deals without dates); empty without --as-of.
	Open map[string]DealsStage `json:"open"`
}

// DealsStage is the open deals at one stage of a DealsGroup.
type DealsStage struct {
	Count int64  `json:"count"`
	Value string `json:"value"`
}

// Deals runs DealsScript with node on the CRM data sets, grouped by by
// (total, sector, sales_agent, product, manager or regional_office) and
// with the further arguments given (--from, --to, --as-of as
// YYYY-MM-DD). It fails the test when a data set, node or DuckDB
// (installed by make deps) is missing, or the script fails.
func Deals(t testing.TB, by string, args ...string) DealsReference {
	t.Helper()
	root, err := devstack.FindRoot()
	if err != nil {
		t.Fatalf("locate %s: %v", DealsScript, err)
	}
	argv := append([]string{filepath.Join(root, DealsScript),
		"--pipeline", Path(t, "crm_sales_pipeline.csv"), "--accounts", Path(t, "crm_accounts.csv"),
		"--products", Path(t, "crm_products.csv"), "--teams", Path(t, "crm_sales_teams.csv"), "--by", by}, args...)
	cmd := exec.Command("node", argv...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("DuckDB deals reference (node and DuckDB are installed by make deps) %v: %v\n%s", args, err, stderr.String())
	}
	var ref DealsReference
	if err := json.Unmarshal(out, &ref); err != nil {
		t.Fatalf("DuckDB deals reference output: %v", err)
	}
	return ref
}
