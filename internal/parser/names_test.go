package parser

import (
	"fmt"
	"strings"
	"testing"

	"github.com/salesseg/salesseg/internal/history"
)

// TestCustomerNameColumn checks which column, if any, is a sales file's
// customer name, and the names the purchase history carries: one per
// customer, on its last purchase, from the latest day that gave one.
func TestCustomerNameColumn(t *testing.T) {
	cases := []struct {
		name    string
		text    string
		opt     Options
		column  string            // Format.Columns["customer_name"], "" for none
		names   map[string]string // customer id → name on its last purchase
		rejects int
	}{
		{"Superstore's id and name", "Order Date,Customer ID,Customer Name,Sales\n1/2/2024,CG-1,Claire Gute,5\n1/3/2024,CG-1,Claire Gute,1\n",
			Options{}, "Customer Name", map[string]string{"CG-1": "Claire Gute"}, 0},
		{"name before id", "client_name,client_id,date,amount\nAcme Inc,7,2024-01-01,5\n", Options{}, "client_name",
			map[string]string{"7": "Acme Inc"}, 0},
		{"account name next to an account id", "date,amount,Account ID,Account Name\n2024-01-01,5,A1,Acme\n", Options{}, "Account Name",
			map[string]string{"A1": "Acme"}, 0},
		{"CRM deals: account is the id, no name", "opportunity_id,account,deal_stage,close_date,close_value\nX,Cancity,Won,2024-01-01,5\n",
			Options{}, "", map[string]string{"Cancity": ""}, 0},
		{"a lone customer name is the id", "Customer Name,Date,Sales\nClaire Gute,2024-01-01,5\n", Options{}, "",
			map[string]string{"Claire Gute": ""}, 0},
		{"a lone company is the id", "company,date,amount\nAcme,2024-01-01,5\n", Options{}, "", map[string]string{"Acme": ""}, 0},
		{"company names the customer of an id", "customer_id,company,date,amount\n1,Acme,2024-01-01,5\n", Options{}, "company",
			map[string]string{"1": "Acme"}, 0},
		{"customer name wins over company", "customer_id,company,customer name,date,amount\n1,Acme Group,Acme,2024-01-01,5\n", Options{},
			"customer name", map[string]string{"1": "Acme"}, 0},
		{"latest day's name wins, blanks ignored", "customer_id,customer_name,date,amount\n1,Old Name,2024-01-01,5\n1,,2024-03-01,5\n" +
			"1,New Name,2024-02-01,5\n2,,2024-01-01,1\n", Options{}, "customer_name", map[string]string{"1": "New Name", "2": ""}, 0},
		{"mapping names the column", "id,label,date,amount\n1,Acme,2024-01-01,5\n", Options{Mapping: map[string]string{"customer_id": "id", "customer_name": "label"}},
			"label", map[string]string{"1": "Acme"}, 0},
		{"mapping unmaps it", "customer_id,customer_name,date,amount\n1,Acme,2024-01-01,5\n", Options{Mapping: map[string]string{"customer_name": ""}},
			"", map[string]string{"1": ""}, 0},
		{"a formula as a name rejects the row", "customer_id,customer_name,date,amount\n1,=HYPERLINK(\"x\"),2024-01-01,5\n1,Acme,2024-01-02,5\n",
			Options{}, "customer_name", map[string]string{"1": "Acme"}, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, rej, err := parseText(t, c.text, c.opt)
			if err != nil {
				t.Fatal(err)
			}
			if got := res.Format.Columns["customer_name"]; got != c.column || len(rej) != c.rejects {
				t.Fatalf("customer_name column %q, rejects %v; want %q, %d", got, rej, c.column, c.rejects)
			}
			got := map[string]string{}
			named := map[string]bool{}
			err = res.Purchases(func(p history.Purchase) error {
				if named[p.Customer] {
					return fmt.Errorf("customer %s: a purchase after the named one", p.Customer)
				}
				named[p.Customer] = p.Name != ""
				got[p.Customer] = p.Name
				return nil
			})
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(got) != fmt.Sprint(c.names) {
				t.Fatalf("names on last purchases %v, want %v", got, c.names)
			}
		})
	}
}

// TestCustomersFileNames checks the names a customers file gives its
// accounts.
func TestCustomersFileNames(t *testing.T) {
	cases := []struct {
		name  string
		text  string
		names map[string]string
	}{
		{"id then name", "customer_id,company name,industry\n1,Acme,Retail\n2,,Mining\n", map[string]string{"1": "Acme"}},
		{"name then id: the id still keys", "Customer Name,Customer ID,Segment\nAcme,1,SMB\n", map[string]string{"1": "Acme"}},
		{"CRM accounts: account is the id", "account,sector,employees\nAcme Corporation,technology,2822\n", map[string]string{}},
		{"a later row without a name drops it", "id,customer_name,segment\n1,Acme,SMB\n1,,SMB\n", map[string]string{}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			opt := Options{}
			if strings.HasPrefix(c.text, "id,") {
				opt.Mapping = map[string]string{"customer_id": "id"}
			}
			var rej rejectList
			tab, err := ParseCustomers(strings.NewReader(c.text), c.name, &rej, opt)
			if err != nil {
				t.Fatal(err)
			}
			if fmt.Sprint(tab.Names) != fmt.Sprint(c.names) || len(rej) != 0 {
				t.Fatalf("names %v rejects %v, want %v", tab.Names, rej, c.names)
			}
		})
	}
}
