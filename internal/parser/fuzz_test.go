package parser

import (
	"bytes"
	"errors"
	"testing"

	"github.com/salesseg/salesseg/internal/money"
)

func parseSeeds() []string {
	return []string{
		"Order Date,Order ID,Customer ID,Segment,Region,Sales,Profit\n1/15/2024,O1,C1,Consumer,East,100.10,10\n2/3/2024,O2,C2,Corporate,West,\"1,250.00\",-50\n",
		"date;customer;amount;segment\n31.01.2024;K1;1.234,50;A\n01.02.2024;K2;99,90;B\n",
		"date\tamount\tregion\n2024-01-01\t5\tN\n2024-01-02\t(6)\tS\n",
		"date|amount|category\n20240101|$5|x\n20240102|€6|y\n",
		" customer_id  date number_of_cds  dollar_value\r\n 00001 19970101  1   11.77\r\n 00002 19970112  1   12.00\r\n",
		"InvoiceNo,InvoiceDate,Quantity,UnitPrice,CustomerID,Country\nC536379,12/1/2010 9:41,-1,27.50,NA,France\n536365,12/1/2010 8:26,6,2.55,17850,UK\n",
		"Date,Note,Amount\n2024-01-01,\"multi\nline\",1\n13/1/2024,x,2\n1/13/2024,y,3\n",
		"date,amount,employees,sector\n2024-01-01,1,12,retail\n45382,2,5000,tech\n",
		"\xef\xbb\xbfdate,amount\n2024-01-01,1e3\n",
		"date,amount\n\"2024-01-01\"x,1\n,\n",
	}
}

// FuzzParse checks that no input panics, that a failure is a file error
// (ErrUnreadable, *HeaderError, ErrOverflow) with no result, and that a
// success counts every row once and adds up across dimensions.
func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds() {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var rej rejectList
		res, err := Parse(bytes.NewReader(data), "fuzz", &rej)
		if err != nil {
			var he *HeaderError
			if res != nil || !(errors.Is(err, ErrUnreadable) || errors.As(err, &he) || errors.Is(err, money.ErrOverflow)) {
				t.Fatalf("error %v (result %v) is not a file error", err, res != nil)
			}
			return
		}
		checkInvariants(t, res, rej)
		for _, r := range rej {
			if r.Line < 1 || r.Err == nil {
				t.Fatalf("bad reject %+v", r)
			}
		}
	})
}
