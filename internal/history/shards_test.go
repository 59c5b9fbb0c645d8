package history

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/salesseg/salesseg/internal/period"
	"github.com/salesseg/salesseg/internal/shard"
)

// TestShardWriterGroupsByShard writes purchases of many customers for 7
// shards and checks that the stream holds every purchase once, each
// shard's lines within its index range and compressed on their own, that
// the whole stream reads too, that it reads again after a seek, and that
// Close leaves no file behind.
func TestShardWriterGroupsByShard(t *testing.T) {
	const n, customers = 7, 500
	dir := t.TempDir()
	w, err := NewShardWriter(dir, n)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for i := range customers {
		for d := range i % 4 {
			p := Purchase{Customer: fmt.Sprintf("C%05d", i), Day: period.Date(700000 + d), Orders: 1, Lines: 1, Revenue: "1.50"}
			if err := w.Write(p); err != nil {
				t.Fatal(err)
			}
			want++
		}
	}
	body, size, x, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	if int64(len(all)) != size || x.Offsets[n] != size {
		t.Fatalf("read %d bytes, size %d, index ends at %d", len(all), size, x.Offsets[n])
	}
	var plain bytes.Buffer
	whole := NewWriter(&plain)
	if err := Read(bytes.NewReader(all), whole.Write); err != nil {
		t.Fatalf("the whole history: %v", err)
	}
	if lines := bytes.Count(plain.Bytes(), []byte("\n")); lines != want {
		t.Fatalf("the whole history read %d purchases, wrote %d", lines, want)
	}
	if size*3 > int64(plain.Len()) {
		t.Errorf("history of %d bytes stored in %d: not compressed", plain.Len(), size)
	}
	got := 0
	for s := range n {
		from, to, ok := x.Range(s)
		if !ok {
			t.Fatalf("shard %d of %d customers is empty", s, customers)
		}
		if !bytes.HasPrefix(all[from:], zstdMagic) {
			t.Fatalf("shard %d does not start a zstd frame", s)
		}
		err := Read(bytes.NewReader(all[from:to]), func(p Purchase) error {
			got++
			if shard.Of(p.Customer, n) != s {
				return fmt.Errorf("customer %s of shard %d in shard %d's range", p.Customer, shard.Of(p.Customer, n), s)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	if got != want {
		t.Errorf("read %d purchases, wrote %d", got, want)
	}
	if _, err := body.Seek(int64(len(all)/2), io.SeekStart); err != nil {
		t.Fatal(err)
	}
	rest, err := io.ReadAll(body)
	if err != nil || !bytes.Equal(rest, all[len(all)/2:]) {
		t.Errorf("after a seek to the middle: %d bytes, err %v", len(rest), err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("%d temporary files left after Close", len(left))
	}
}

// TestShardWriterChunks writes, into 16 shards, lines that fill each
// shard's buffer many times over and lines longer than a buffer, and
// checks that every shard reads back its purchases in the order written
// and that the writer kept only a handful of temporary files, not one or
// two per shard.
func TestShardWriterChunks(t *testing.T) {
	const n = 16
	dir := t.TempDir()
	w, err := NewShardWriter(dir, n)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	want := make([][]Purchase, n)
	for i := range 2000 {
		p := Purchase{Customer: fmt.Sprintf("L%04d", i%300), Day: period.Date(700000 + i), Orders: 1, Lines: 1, Revenue: fmt.Sprintf("%d.25", i)}
		if i%97 == 0 {
			p.Name = strings.Repeat("n", shardBuffer+i) // a line longer than a shard's buffer
		}
		if err := w.Write(p); err != nil {
			t.Fatal(err)
		}
		s := shard.Of(p.Customer, n)
		want[s] = append(want[s], p)
	}
	all, x := finishAll(t, w)
	dec, err := zstd.NewReader(nil)
	if err != nil {
		t.Fatal(err)
	}
	defer dec.Close()
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithWindowSize(1<<20))
	if err != nil {
		t.Fatal(err)
	}
	for s := range n {
		from, to, _ := x.Range(s)
		// A shard spread over many chunks compresses as well as its
		// lines in one piece (a frame header's few bytes aside).
		plain, err := dec.DecodeAll(all[from:to], nil)
		if err != nil {
			t.Fatalf("shard %d: %v", s, err)
		}
		if whole := len(enc.EncodeAll(plain, nil)); int(to-from) > whole+whole/100+32 {
			t.Errorf("shard %d: %d bytes of lines in a frame of %d, %d compressed in one piece", s, len(plain), to-from, whole)
		}
		var got []Purchase
		if err := Read(bytes.NewReader(all[from:to]), func(p Purchase) error {
			got = append(got, p)
			return nil
		}); err != nil {
			t.Fatalf("shard %d: %v", s, err)
		}
		if len(got) != len(want[s]) {
			t.Fatalf("shard %d read %d purchases, wrote %d", s, len(got), len(want[s]))
		}
		for i := range got {
			if got[i].Customer != want[s][i].Customer || got[i].Day != want[s][i].Day || got[i].Revenue != want[s][i].Revenue ||
				got[i].Name != want[s][i].Name {
				t.Fatalf("shard %d purchase %d: %s %s %s (name of %d bytes), wrote %s %s %s (%d)", s, i, got[i].Customer, got[i].Day,
					got[i].Revenue, len(got[i].Name), want[s][i].Customer, want[s][i].Day, want[s][i].Revenue, len(want[s][i].Name))
			}
		}
	}
	files, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	// The spill file, the history and one scratch file per worker.
	if most := 2 + min(runtime.GOMAXPROCS(0), n); len(files) > most {
		t.Errorf("%d temporary files after Finish, want at most %d", len(files), most)
	}
}

// finishAll finishes w and reads its whole stream, which must be as long
// as Finish says.
func finishAll(t *testing.T, w *ShardWriter) ([]byte, Index) {
	t.Helper()
	body, size, x, err := w.Finish()
	if err != nil {
		t.Fatal(err)
	}
	all, err := io.ReadAll(body)
	if err != nil || int64(len(all)) != size {
		t.Fatalf("read %d bytes (%v), size %d", len(all), err, size)
	}
	return all, x
}

func TestReadIndex(t *testing.T) {
	good := Index{Shards: 3, Offsets: []int64{0, 10, 10, 25}}
	data, err := json.Marshal(good)
	if err != nil {
		t.Fatal(err)
	}
	x, err := ReadIndex(bytes.NewReader(data))
	if err != nil || x.Shards != 3 || len(x.Offsets) != 4 {
		t.Fatalf("ReadIndex = %+v, %v", x, err)
	}
	if _, _, ok := x.Range(1); ok {
		t.Error("shard 1 of [10, 10) is not empty")
	}
	for _, c := range []struct{ name, json string }{
		{"not json", `{"shards":`},
		{"no shards", `{"shards":0,"offsets":[0]}`},
		{"too few offsets", `{"shards":3,"offsets":[0,1,2]}`},
		{"not from zero", `{"shards":1,"offsets":[5,9]}`},
		{"decreasing", `{"shards":2,"offsets":[0,9,4]}`},
	} {
		t.Run(c.name, func(t *testing.T) {
			if _, err := ReadIndex(strings.NewReader(c.json)); !errors.Is(err, ErrCorrupt) {
				t.Errorf("ReadIndex(%s) = %v, want ErrCorrupt", c.json, err)
			}
		})
	}
}

// TestShardWriterEmptyShards writes a few customers into many shards, so
// that most shards are empty while the workers of Finish run ahead of the
// shard being written: empty shards get empty ranges, the others a frame
// each, in shard order.
func TestShardWriterEmptyShards(t *testing.T) {
	const n = 64
	w, err := NewShardWriter(t.TempDir(), n)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	shards := map[int]int{} // purchases by shard
	for i := range 5 {
		p := Purchase{Customer: fmt.Sprintf("K%d", i), Day: period.Date(700000), Orders: 1, Lines: 1, Revenue: "2"}
		if err := w.Write(p); err != nil {
			t.Fatal(err)
		}
		shards[shard.Of(p.Customer, n)]++
	}
	all, x := finishAll(t, w)
	for s := range n {
		from, to, ok := x.Range(s)
		if ok != (shards[s] > 0) {
			t.Fatalf("shard %d: range [%d, %d), %d purchases written to it", s, from, to, shards[s])
		}
		got := 0
		if err := Read(bytes.NewReader(all[from:to]), func(p Purchase) error {
			if shard.Of(p.Customer, n) != s {
				t.Errorf("%s read from shard %d", p.Customer, s)
			}
			got++
			return nil
		}); err != nil {
			t.Fatalf("shard %d: %v", s, err)
		}
		if got != shards[s] {
			t.Fatalf("shard %d read %d purchases, wrote %d", s, got, shards[s])
		}
	}
}
