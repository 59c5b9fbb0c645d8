package parser

import (
	"bufio"
	"encoding/csv"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/metrics"
	"strconv"
	"sync"
	"testing"
	"time"
)

// benchMB is the size of the generated benchmark file, from
// SALESSEG_BENCH_MB (default 100).
func benchMB() int {
	if n, err := strconv.Atoi(os.Getenv("SALESSEG_BENCH_MB")); err == nil && n > 0 {
		return n
	}
	return 100
}

// benchShape is one kind of generated benchmark file.
type benchShape struct {
	name   string
	prefix string // of the cached file's name; bump its version when write changes
	write  func(w *bufio.Writer, bytes int)
}

// benchShapes are the generated files BenchmarkParse runs on: a
// Superstore-like export (few customers and dimension values) and a
// high-cardinality one (see writeHighcard).
func benchShapes() []benchShape {
	return []benchShape{
		{name: "superstore", prefix: "salesseg-bench-v1", write: writeSuperstore},
		{name: "highcard", prefix: "salesseg-bench-highcard-v1", write: func(w *bufio.Writer, bytes int) {
			writeHighcard(w, bytes, highcardCustomers)
		}},
	}
}

// benchFile writes (once, cached in the temporary directory) the shape's
// CSV of about mb megabytes.
func benchFile(b *testing.B, shape benchShape, mb int) string {
	b.Helper()
	path := filepath.Join(os.TempDir(), fmt.Sprintf("%s-%dmb.csv", shape.prefix, mb))
	if fi, err := os.Stat(path); err == nil && fi.Size() >= int64(mb)<<20 {
		return path
	}
	tmp := path + ".tmp"
	f, err := os.Create(tmp)
	if err != nil {
		b.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	shape.write(w, mb<<20)
	if err := w.Flush(); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(tmp, path); err != nil {
		b.Fatal(err)
	}
	return path
}

// writeSuperstore writes a Superstore-like CSV of at least size bytes: 21
// columns, orders of 1–4 lines, 800 customers each in one segment and
// region, four years of M/D/YYYY dates, product names quoted on a quarter
// of the lines.
func writeSuperstore(w *bufio.Writer, size int) {
	r := rand.New(rand.NewPCG(1, 2))
	segs := []string{"Consumer", "Corporate", "Home Office"}
	regions := []string{"Central", "East", "South", "West"}
	cats := []string{"Furniture", "Office Supplies", "Technology"}
	subs := []string{"Bookcases", "Chairs", "Paper", "Binders", "Phones", "Machines"}
	ships := []string{"First Class", "Second Class", "Standard Class", "Same Day"}
	w.WriteString("Row ID,Order ID,Order Date,Ship Date,Ship Mode,Customer ID,Customer Name,Segment,Country,City,State," +
		"Postal Code,Region,Product ID,Category,Sub-Category,Product Name,Sales,Quantity,Discount,Profit\n")
	written, row, order := 0, 0, 0
	var line []byte
	for written < size {
		order++
		c := r.IntN(800)
		y, m, d := 2016+r.IntN(4), 1+r.IntN(12), 1+r.IntN(28)
		for range 1 + r.IntN(4) {
			row++
			cat := r.IntN(3)
			name := fmt.Sprintf("Product %d", r.IntN(2000))
			if r.IntN(4) == 0 {
				name = fmt.Sprintf(`"Bush Somerset Collection Bookcase, %d""H"`, r.IntN(90))
			}
			line = fmt.Appendf(line[:0], "%d,CA-%d-%06d,%d/%d/%d,%d/%d/%d,%s,CG-%05d,Customer %d,%s,United States,Henderson,Kentucky,%05d,%s,"+
				"FUR-BO-%08d,%s,%s,%s,%d.%02d,%d,0.%d,%d.%04d\n",
				row, y, order, m, d, y, m, min(d+3, 28), y, ships[r.IntN(4)], c, c, segs[c%3], r.IntN(99999), regions[c%4],
				r.IntN(1e6), cats[cat], subs[cat*2+r.IntN(2)], name, r.IntN(2000), r.IntN(100), 1+r.IntN(9), r.IntN(5),
				r.IntN(500)-100, r.IntN(10000))
			written += len(line)
			w.Write(line)
		}
	}
}

// csvReadTime is the best of three bare encoding/csv reads of the file.
func csvReadTime(b *testing.B, path string) (time.Duration, int64) {
	b.Helper()
	best, rows := time.Duration(1<<62), int64(0)
	for range 3 {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		cr := csv.NewReader(bufio.NewReaderSize(f, 1<<20))
		cr.ReuseRecord = true
		cr.FieldsPerRecord = -1
		rows = 0
		for {
			_, err := cr.Read()
			if err == io.EOF {
				break
			}
			if err != nil {
				b.Fatal(err)
			}
			rows++
		}
		best = min(best, time.Since(start))
		f.Close()
	}
	return best, rows - 1
}

// peakHeap samples the live heap while fn runs and returns its peak.
func peakHeap(fn func()) uint64 {
	runtime.GC()
	sample := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(sample)
			peak = max(peak, sample[0].Value.Uint64())
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	}()
	fn()
	close(done)
	wg.Wait()
	return peak
}

// BenchmarkParse measures the ingest core — read, split, validate, parse
// dates and exact decimals, aggregate every dimension, pair and customer-day
// — on each generated shape (shape=superstore, shape=highcard; see
// benchShapes) of SALESSEG_BENCH_MB megabytes (default 100), with a
// discarding RejectWriter. In the same run it times a bare encoding/csv
// read of the same file and reports the ratio (x-vs-csv: below 1 means
// faster than merely splitting the file with encoding/csv), rows per
// second, and the peak live heap of one parse.
func BenchmarkParse(b *testing.B) {
	for _, shape := range benchShapes() {
		b.Run("shape="+shape.name, func(b *testing.B) { benchParse(b, shape) })
	}
}

func benchParse(b *testing.B, shape benchShape) {
	mb := benchMB()
	path := benchFile(b, shape, mb)
	fi, err := os.Stat(path)
	if err != nil {
		b.Fatal(err)
	}
	ref, rows := csvReadTime(b, path)
	parseOnce := func() *Result {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		res, err := Parse(f, path, discardRejects{})
		if err != nil {
			b.Fatal(err)
		}
		if res.Rows != rows || res.Accepted != rows {
			b.Fatalf("parsed %d rows (%d accepted), encoding/csv read %d", res.Rows, res.Accepted, rows)
		}
		return res
	}
	var keys, purchases int
	heap := peakHeap(func() { res := parseOnce(); keys, purchases = len(res.Delta), res.PurchaseCount() })
	b.SetBytes(fi.Size())
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		parseOnce()
	}
	per := b.Elapsed() / time.Duration(b.N)
	b.ReportMetric(float64(per)/float64(ref), "x-vs-csv")
	b.ReportMetric(float64(rows)/per.Seconds(), "rows/s")
	b.ReportMetric(float64(heap)/(1<<20), "MB-peak-heap")
	b.ReportMetric(float64(keys), "keys")
	b.ReportMetric(float64(purchases), "purchases")
	b.ReportMetric(float64(rows), "rows")
}
