package tabular

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"
)

// gzipped compresses b in the test, so that the bombs below are built on
// the fly rather than stored.
func gzipped(t testing.TB, b []byte) []byte {
	t.Helper()
	var out bytes.Buffer
	w, err := gzip.NewWriterLevel(&out, gzip.BestCompression)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// readEverything opens data and reads every record, returning how many
// were read, the first error other than io.EOF, and the bytes allocated
// meanwhile (an upper bound of the peak heap the reading added).
func readEverything(t testing.TB, data []byte, opt Options) (records int, err error, allocated uint64) {
	t.Helper()
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var l Layout
	r, err := Open(bytes.NewReader(data), opt, &l)
	if err == nil {
		for {
			if _, err = r.Next(); err != nil {
				break
			}
			records++
		}
		if err == io.EOF {
			err = nil
		}
		r.Close()
	}
	runtime.ReadMemStats(&after)
	return records, err, after.TotalAlloc - before.TotalAlloc
}

// TestWideRowsBoundMemory is issue 14's item 3: a 16 MB line of commas,
// 16 KB gzipped, made the reader split it into 16 million fields (over a
// gigabyte) before the column limit was checked. Every way of writing a
// row too wide must now fail the file naming the line, having allocated
// little more than the line itself.
func TestWideRowsBoundMemory(t *testing.T) {
	commas := strings.Repeat(",", 16_000_000)
	exact := strings.Repeat("x,", MaxColumns-1) + "x"
	cases := []struct {
		name   string
		data   []byte
		budget uint64 // bytes the whole read may allocate
	}{
		{"16 MB line of commas, gzipped", gzipped(t, []byte("a,b\n"+commas+"\n")), 8 << 20},
		{"16 MB line of commas as the header", gzipped(t, []byte(commas+"\n1,2\n")), 8 << 20},
		{"16 MB line of commas after a quote", []byte("a,b\n\"q\"" + commas + "\n"), 48 << 20},
		{"16 MB of quoted empty fields", []byte("a,b\n" + strings.Repeat(`"",`, 5_000_000) + "\n"), 48 << 20},
		{"one field past the limit in the buffer", []byte("a,b\n" + exact + ",x\n"), 8 << 20},
		{"a trailing delimiter past the limit", []byte("a,b\n" + exact + ",\n"), 8 << 20},
		{"quoted field past the limit", []byte("a,b\n" + exact + `,"x"` + "\n"), 8 << 20},
		{"whitespace-separated", []byte("a b\n1 2\n3 4\n" + strings.Repeat("x ", MaxColumns+1) + "\n"), 8 << 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err, alloc := readEverything(t, c.data, Options{})
			if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "has more than 4096 columns") {
				t.Fatalf("after %d records: error %v, want ErrUnreadable naming the column limit", n, err)
			}
			if want := "line 2 "; !strings.Contains(err.Error(), want) && !strings.Contains(c.name, "header") && !strings.Contains(c.name, "whitespace") {
				t.Fatalf("error %q does not name %q", err, want)
			}
			t.Logf("allocated %d KB", alloc>>10)
			if alloc > c.budget {
				t.Fatalf("allocated %d MB, budget %d MB", alloc>>20, c.budget>>20)
			}
		})
	}
	t.Run("exactly the limit is read", func(t *testing.T) {
		for _, row := range []string{exact, strings.Replace(exact, "x", `"x"`, 1), "y" + strings.Repeat(",", MaxColumns-1)} {
			n, err, _ := readEverything(t, []byte("a,b\n"+row+"\n1,2\n"), Options{})
			if err != nil || n != 3 {
				t.Fatalf("%d records, error %v; want 3 records", n, err)
			}
		}
	})
}

// TestLoneCR is issue 14's item 5: a lone CR between rows merged two rows
// into one. A CR not followed by LF now ends a line, as Excel reads it,
// however the reads fall and in either path of the reader.
func TestLoneCR(t *testing.T) {
	cases := []struct {
		name string
		text string
		want []tokRecord
	}{
		{"between LF lines", "a,b\n1,2\r3,4\n", []tokRecord{{1, []string{"a", "b"}, false}, {2, []string{"1", "2"}, false}, {3, []string{"3", "4"}, false}}},
		{"between CRLF lines", "a,b\r\n1,2\r3,4\r\n", []tokRecord{{1, []string{"a", "b"}, false}, {2, []string{"1", "2"}, false}, {3, []string{"3", "4"}, false}}},
		{"at the end", "a,b\n1,2\r", []tokRecord{{1, []string{"a", "b"}, false}, {2, []string{"1", "2"}, false}}},
		{"CR CR LF", "a,b\r\r\n1,2\n", []tokRecord{{1, []string{"a", "b"}, false}, {3, []string{"1", "2"}, false}}},
		{"after a quoted field", "a,\"b\"\r1,2\n", []tokRecord{{1, []string{"a", "b"}, false}, {2, []string{"1", "2"}, false}}},
		{"inside a quoted field", "a,\"b\rc\"\n1,2\n", []tokRecord{{1, []string{"a", "b\nc"}, false}, {3, []string{"1", "2"}, false}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			for _, r := range []io.Reader{strings.NewReader(c.text), iotest.OneByteReader(strings.NewReader(c.text))} {
				tr := newTextReader(r, ',')
				got, err := readAll(tr, tr.next)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != len(c.want) {
					t.Fatalf("got %+v\nwant %+v", got, c.want)
				}
				for i := range got {
					if got[i].Line != c.want[i].Line || strings.Join(got[i].Fields, "|") != strings.Join(c.want[i].Fields, "|") {
						t.Fatalf("got %+v\nwant %+v", got, c.want)
					}
				}
			}
			checkFastPath(t, []byte(c.text), ',')
		})
	}
	t.Run("CR line ends are reported only without LF", func(t *testing.T) {
		for text, want := range map[string]string{
			"a,b\r1,2\r3,4\r": "CR",
			"a,b\n1,2\r3,4\n": "",
			"a,b\r\n1,2\r\n":  "",
		} {
			var l Layout
			r, err := Open(strings.NewReader(text), Options{}, &l)
			if err != nil {
				t.Fatal(err)
			}
			n := 0
			for ; ; n++ {
				if _, err := r.Next(); err != nil {
					break
				}
			}
			if l.LineEnd != want || n != strings.Count(text, ",") {
				t.Fatalf("%q: line end %q and %d records, want %q and %d", text, l.LineEnd, n, want, strings.Count(text, ","))
			}
		}
	})
}
