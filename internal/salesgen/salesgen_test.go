package salesgen_test

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/parser"
	"github.com/salesseg/salesseg/internal/salesgen"
)

func shape() salesgen.Shape {
	return salesgen.Shape{Rows: 3000, Customers: 500, From: time.Date(2023, 12, 30, 0, 0, 0, 0, time.UTC), Days: 40,
		Segments: 5, Regions: 6, Countries: 40, Categories: 20, Channels: 5, Seed: 9}
}

// failOnReject fails the test for every rejected row.
type failOnReject struct{ t *testing.T }

func (r failOnReject) Reject(e *parser.RowError) error {
	r.t.Errorf("rejected: %v", e)
	return nil
}

func TestSplitKeepsEveryRowInItsDayRange(t *testing.T) {
	s := shape()
	var whole bytes.Buffer
	if err := s.WriteCSV(&whole); err != nil {
		t.Fatal(err)
	}
	header, _, _ := bytes.Cut(whole.Bytes(), []byte("\n"))
	for _, n := range []int{1, 3, 7, 40} {
		t.Run(fmt.Sprintf("files=%d", n), func(t *testing.T) {
			files, err := s.Split(n)
			if err != nil {
				t.Fatal(err)
			}
			if len(files) != n {
				t.Fatalf("%d files, want %d", len(files), n)
			}
			var joined bytes.Buffer
			joined.Write(header)
			joined.WriteByte('\n')
			for k, f := range files {
				h, body, _ := bytes.Cut(f, []byte("\n"))
				if !bytes.Equal(h, header) {
					t.Fatalf("file %d header %q", k, h)
				}
				first := s.From.AddDate(0, 0, k*s.Days/n).Format("2006-01-02")
				last := s.From.AddDate(0, 0, (k+1)*s.Days/n-1).Format("2006-01-02")
				for _, line := range strings.Split(strings.TrimSuffix(string(body), "\n"), "\n") {
					if line == "" {
						continue
					}
					if day := line[:10]; day < first || day > last {
						t.Fatalf("file %d of %d (%s..%s) holds a row of %s", k, n, first, last, day)
					}
				}
				joined.Write(body)
			}
			if !bytes.Equal(joined.Bytes(), whole.Bytes()) {
				t.Fatal("the files together differ from the whole export")
			}
		})
	}
}

func TestExportParsesWithTheShapesCardinalities(t *testing.T) {
	s := shape()
	var whole bytes.Buffer
	if err := s.WriteCSV(&whole); err != nil {
		t.Fatal(err)
	}
	res, err := parser.Parse(&whole, "gen.csv", failOnReject{t})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != int64(s.Rows) || res.Accepted != int64(s.Rows) {
		t.Fatalf("rows %d, accepted %d, want %d", res.Rows, res.Accepted, s.Rows)
	}
	values := map[dimension.Dimension]map[string]bool{}
	for k := range res.Delta {
		if values[k.Dim] == nil {
			values[k.Dim] = map[string]bool{}
		}
		values[k.Dim][k.Value] = true
	}
	for _, tc := range []struct {
		dim  dimension.Dimension
		want int
	}{{dimension.Segment, 5}, {dimension.Region, 6}, {dimension.Country, 40}, {dimension.Category, 20}, {dimension.Channel, 5}, {dimension.Industry, 0}} {
		if got := len(values[tc.dim]); got != tc.want {
			t.Errorf("%s: %d values, want %d", tc.dim, got, tc.want)
		}
	}
	// A country lies in one region whatever the customer.
	region := map[string]string{}
	err = s.Each(func(r salesgen.Row) error {
		if prev, ok := region[r.Country]; ok && prev != r.Region {
			t.Fatalf("%s in %s and %s", r.Country, prev, r.Region)
		}
		region[r.Country] = r.Region
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestSameSeedSameRows(t *testing.T) {
	var a, b bytes.Buffer
	if err := shape().WriteCSV(&a); err != nil {
		t.Fatal(err)
	}
	if err := shape().WriteCSV(&b); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("two exports of one shape differ")
	}
}

func TestSizedToWritesAboutTheSize(t *testing.T) {
	for _, size := range []int64{200_000, 2_000_000} {
		t.Run(fmt.Sprint(size), func(t *testing.T) {
			s, err := shape().SizedTo(size)
			if err != nil {
				t.Fatal(err)
			}
			var b bytes.Buffer
			if err := s.WriteCSV(&b); err != nil {
				t.Fatal(err)
			}
			if got := int64(b.Len()); got < size*95/100 || got > size*105/100 {
				t.Fatalf("%d rows wrote %d bytes, want about %d", s.Rows, got, size)
			}
		})
	}
}

func TestInvalidShapes(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(*salesgen.Shape)
		n    int
	}{
		{"negative rows", func(s *salesgen.Shape) { s.Rows = -1 }, 1},
		{"rows without customers", func(s *salesgen.Shape) { s.Customers = 0 }, 1},
		{"rows without days", func(s *salesgen.Shape) { s.Days = 0 }, 1},
		{"no files", func(*salesgen.Shape) {}, 0},
		{"more files than days", func(*salesgen.Shape) {}, 41},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := shape()
			tc.edit(&s)
			if _, err := s.Split(tc.n); !errors.Is(err, salesgen.ErrShape) {
				t.Fatalf("got %v, want ErrShape", err)
			}
		})
	}
}
