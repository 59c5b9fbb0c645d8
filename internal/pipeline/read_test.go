package pipeline

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/period"
)

// TestDealEncoding pins the line format of the curated deal files, which
// ingestion writes and buckets keep, and that Read gives back what Writer
// wrote.
func TestDealEncoding(t *testing.T) {
	deals := []Deal{
		{ID: "D1", Account: "Acme", Stage: "Won", Outcome: Won, Created: period.NewDate(2024, time.January, 5),
			Closed: period.NewDate(2024, time.March, 1), Value: "1200.50",
			Attrs: map[dimension.Dimension]string{dimension.Owner: "Ann", dimension.Industry: "retail"}},
		{Stage: "Prospecting", Outcome: Open, Value: "550", Listed: true},
	}
	const want = `{"id":"D1","c":"Acme","s":"Won","o":"won","cr":"2024-01-05","cl":"2024-03-01","v":"1200.50","a":{"industry":"retail","owner":"Ann"}}` + "\n" +
		`{"s":"Prospecting","o":"open","v":"550","lp":true}` + "\n"
	var buf bytes.Buffer
	w := NewWriter(&buf)
	for _, d := range deals {
		if err := w.Write(d); err != nil {
			t.Fatal(err)
		}
	}
	if buf.String() != want {
		t.Fatalf("encoded\n%s\nwant\n%s", buf.String(), want)
	}
	var got []Deal
	if err := Read(&buf, func(d Deal) error { got = append(got, d); return nil }); err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got, deals) {
		t.Fatalf("read %+v, want %+v", got, deals)
	}
}

func TestReadRejectsCorruptLines(t *testing.T) {
	const good = `{"id":"ok","s":"Won","o":"won","cr":"2024-01-01","cl":"2024-01-31","v":"10"}`
	for _, c := range []struct {
		name, line string
		invalid    bool // a rule broken, not a decoding failure
		msg        string
	}{
		{name: "not JSON", line: `{"s":"Won"`, msg: "deals line 2"},
		{name: "not a calendar date", line: `{"s":"Won","o":"won","cl":"2024-02-30"}`, msg: "deals line 2"},
		{name: "unknown outcome", line: `{"id":"x","s":"Pending","o":"pending"}`, invalid: true, msg: `outcome "pending"`},
		{name: "no outcome", line: `{"id":"x","s":"Won"}`, invalid: true, msg: `outcome ""`},
		{name: "won without a close date", line: `{"id":"x","s":"Won","o":"won","cr":"2024-01-01"}`, invalid: true, msg: "no close date"},
		{name: "lost without a close date", line: `{"id":"x","s":"Lost","o":"lost"}`, invalid: true, msg: "no close date"},
		{name: "open with a close date", line: `{"id":"x","s":"Proposal","o":"open","cl":"2024-01-01"}`, invalid: true, msg: "has a close date"},
		{name: "closed before created", line: `{"id":"x","s":"Won","o":"won","cr":"2024-02-01","cl":"2024-01-31"}`, invalid: true, msg: "before it was created"},
		{name: "value not a decimal", line: `{"id":"x","s":"Won","o":"won","cl":"2024-01-31","v":"1,200"}`, invalid: true, msg: `value "1,200"`},
		{name: "value with spaces", line: `{"id":"x","s":"Won","o":"won","cl":"2024-01-31","v":" 12"}`, invalid: true, msg: `value " 12"`},
		{name: "value rounded to 19 decimal places", line: `{"id":"x","s":"Won","o":"won","cl":"2024-01-31","v":"0.00000000000000000001"}`, invalid: true, msg: "19 a decimal keeps"},
		{name: "value rounded to 19 digits by its exponent", line: `{"id":"x","s":"Won","o":"won","cl":"2024-01-31","v":"1.00000000000000000001e2"}`, invalid: true, msg: "19 a decimal keeps"},
		{name: "value of 20 whole digits", line: `{"id":"x","s":"Won","o":"won","cl":"2024-01-31","v":"12345678901234567890"}`, invalid: true, msg: `value "12345678901234567890"`},
		{name: "listed without a value", line: `{"id":"x","s":"Proposal","o":"open","lp":true}`, invalid: true, msg: "listed but has no value"},
	} {
		t.Run(c.name, func(t *testing.T) {
			n := 0
			err := Read(strings.NewReader(good+"\n"+c.line+"\n"+good+"\n"), func(Deal) error { n++; return nil })
			if !errors.Is(err, ErrCorrupt) || !strings.Contains(err.Error(), "deals line 2") || !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("Read = %v, want ErrCorrupt naming deals line 2 and %q", err, c.msg)
			}
			if errors.Is(err, ErrInvalid) != c.invalid {
				t.Fatalf("Read = %v: wraps ErrInvalid %v, want %v", err, errors.Is(err, ErrInvalid), c.invalid)
			}
			if n != 1 {
				t.Fatalf("fn called %d times, want once (the line before)", n)
			}
		})
	}
}

func TestValidateAcceptsExactValues(t *testing.T) {
	for _, c := range []struct{ name, value string }{
		{"none", ""},
		{"whole", "550"},
		{"negative cents", "-12.05"},
		{"19 decimal places", "0.1234567890123456789"},
		{"19 digits with trailing zeros", "1000000000000000000.0"},
		{"exponent", "1.5e2"},
		{"small exponent", "25e-19"},
	} {
		t.Run(c.name, func(t *testing.T) {
			d := Deal{Stage: "Won", Outcome: Won, Closed: period.NewDate(2024, time.May, 1), Value: c.value}
			if err := d.Validate(); err != nil {
				t.Fatalf("Validate = %v, want nil", err)
			}
		})
	}
}

func TestReadReturnsFnErrorAsIs(t *testing.T) {
	errFull := errors.New("full")
	in := `{"s":"A","o":"open"}` + "\n" + `{"s":"B","o":"open"}` + "\n"
	n := 0
	err := Read(strings.NewReader(in), func(Deal) error { n++; return errFull })
	if err != errFull || n != 1 {
		t.Fatalf("Read = %v after %d calls, want errFull after 1", err, n)
	}
}

// FuzzRead checks that Read never panics, that every deal it hands over
// keeps the Deal rules and survives a write and a second read unchanged,
// and that every failure is ErrCorrupt naming a line, or a read failure.
func FuzzRead(f *testing.F) {
	for _, s := range []string{
		`{"id":"D1","c":"Acme","s":"Won","o":"won","cr":"2024-01-05","cl":"2024-03-01","v":"1200.50","a":{"owner":"Ann"}}`,
		`{"s":"Prospecting","o":"open","v":"550","lp":true}` + "\n" + `{"s":"Lost","o":"lost","cl":"2023-12-31","v":"0"}`,
		`{"s":"Won","o":"won","cl":"2024-02-30"}`,
		`{"s":"Engaging","o":"open","v":"1e3"}`,
		`{"s":"x","o":"open","v":"-0.000000000000000000001"}`,
		`{"o":"lost","cl":"2024-01-01","cr":"2024-01-02"}`,
		"\n\n",
		`{"a":{"owner":null}}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		var got []Deal
		err := Read(bytes.NewReader(data), func(d Deal) error { got = append(got, d); return nil })
		if err != nil && !(errors.Is(err, ErrCorrupt) && strings.Contains(err.Error(), "deals line ")) &&
			!strings.HasPrefix(err.Error(), "read deals after line ") {
			t.Fatalf("Read = %v: neither ErrCorrupt naming a line nor a read failure", err)
		}
		var buf bytes.Buffer
		w := NewWriter(&buf)
		for _, d := range got {
			if err := d.Validate(); err != nil {
				t.Fatalf("Read handed over an invalid deal %+v: %v", d, err)
			}
			if err := w.Write(d); err != nil {
				t.Fatalf("write %+v: %v", d, err)
			}
		}
		var again []Deal
		if err := Read(&buf, func(d Deal) error { again = append(again, d); return nil }); err != nil {
			t.Fatalf("re-reading what Writer wrote: %v", err)
		}
		if len(again) != len(got) {
			t.Fatalf("re-read %d deals, want %d", len(again), len(got))
		}
		for i := range got {
			if !equalDeal(got[i], again[i]) {
				t.Fatalf("deal %d: re-read %+v, want %+v", i, again[i], got[i])
			}
		}
	})
}

// equalDeal compares deals with an empty Attrs map equal to a nil one,
// which encoding cannot tell apart.
func equalDeal(a, b Deal) bool {
	if len(a.Attrs) == 0 && len(b.Attrs) == 0 {
		a.Attrs, b.Attrs = nil, nil
	}
	return reflect.DeepEqual(a, b)
}
