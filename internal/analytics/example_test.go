package analytics_test

import (
	"fmt"
	"strings"

	"github.com/salesseg/salesseg/internal/analytics"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
)

// A recompute folds every history file into one Builder, then runs the
// analyses on the Base.
func Example() {
	files := []string{
		`{"c":"acme","d":"2024-01-15","o":1,"l":2,"r":"800.00","a":{"segment":"Corporate"}}
{"c":"bob","d":"2024-01-20","o":1,"l":1,"r":"50.00","a":{"segment":"Consumer"}}`,
		`{"c":"acme","d":"2024-02-03","o":1,"l":1,"r":"900.00","a":{"segment":"Corporate"}}
{"c":"cleo","d":"2024-02-10","o":2,"l":2,"r":"250.00","a":{"segment":"Consumer"}}`,
	}
	b := analytics.NewBuilder()
	for _, f := range files {
		if err := history.Read(strings.NewReader(f), b.Add); err != nil {
			fmt.Println(err)
			return
		}
	}
	base := b.Build()

	tiers, err := analytics.Tiers(base, analytics.DefaultTierConfig())
	if err != nil {
		fmt.Println(err)
		return
	}
	sums, err := tiers.Summarize(base, dimension.Segment)
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range sums {
		for _, g := range s.Groups {
			fmt.Printf("%s %s: %d customers, %s (%.0f%%)\n", s.Value, g.Group, g.Customers, g.Revenue, 100*g.RevenueShare)
		}
	}

	rows, err := analytics.Bridge(base, analytics.BridgeConfig{Grain: analytics.ByMonth})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, r := range rows {
		fmt.Printf("%s: start %s, new %s, expansion %s, churned %s, end %s\n",
			r.Period, r.Start.Revenue, r.New.Revenue, r.Expansion.Revenue, r.Churned.Revenue, r.End.Revenue)
	}
	// Output:
	// Consumer A: 0 customers, 0 (0%)
	// Consumer B: 1 customers, 250.00 (83%)
	// Consumer C: 1 customers, 50.00 (17%)
	// Corporate A: 1 customers, 1700.00 (100%)
	// Corporate B: 0 customers, 0 (0%)
	// Corporate C: 0 customers, 0 (0%)
	// 2024-01: start 0, new 850.00, expansion 0, churned 0, end 850.00
	// 2024-02: start 850.00, new 250.00, expansion 100.00, churned -50.00, end 1150.00
}
