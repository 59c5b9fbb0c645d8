package store_test

import (
	"bytes"
	"io"
	"testing"
	"time"

	"github.com/salesseg/salesseg/internal/parser"
	"github.com/salesseg/salesseg/internal/salesgen"
	"github.com/salesseg/salesseg/internal/store"
)

// BenchmarkFragmentRuns encodes the delta of a generated high-cardinality
// 10 MB file (salesgen.Wide) into its fragment items as PutFragments does,
// without a table: grouping by bucket, sorting, encoding and compressing
// each run, and the item naming the file's dimensions. Each iteration
// also parses the file (the ingest core) as the reference, and the
// benchmark reports both times and runs/core, the share of an upload's
// CPU the fragments add to the core's on a small file, where they weigh
// most.
func BenchmarkFragmentRuns(b *testing.B) {
	shape, err := salesgen.Wide(10 << 20)
	if err != nil {
		b.Fatal(err)
	}
	var csv bytes.Buffer
	if err := shape.WriteCSV(&csv); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(csv.Len()))
	b.ReportAllocs()
	st := store.New(nil, "bench")
	var parse, encode time.Duration
	var items, keys int
	for b.Loop() {
		t0 := time.Now()
		res, err := parser.Parse(bytes.NewReader(csv.Bytes()), "wide.csv", parser.NewCSVRejects(io.Discard))
		if err != nil {
			b.Fatal(err)
		}
		parse += time.Since(t0)
		t0 = time.Now()
		items, err = st.FragmentItems(res.Delta)
		if err != nil {
			b.Fatal(err)
		}
		encode += time.Since(t0)
		keys = len(res.Delta)
		res.Close()
	}
	b.ReportMetric(float64(keys), "delta-keys")
	b.ReportMetric(float64(items), "items")
	b.ReportMetric(parse.Seconds()/float64(b.N), "core-s")
	b.ReportMetric(encode.Seconds()/float64(b.N), "runs-s")
	b.ReportMetric(float64(encode)/float64(parse), "runs/core")
}
