package tabular

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"runtime"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/xuri/excelize/v2"
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
// were read, the bytes allocated meanwhile (an upper bound of the peak
// heap the reading added) and the first error other than io.EOF.
func readEverything(t testing.TB, data []byte, opt Options) (records int, allocated uint64, err error) {
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
	return records, after.TotalAlloc - before.TotalAlloc, err
}

// TestWideRowsBoundMemory is issue 14's item 3: a 16 MB line of commas,
// 16 KB gzipped, made the reader split it into 16 million fields (3 GB
// allocated) before the column limit was checked. Every way of writing a
// row too wide must now fail the file naming the line, having allocated
// little more than the line itself. A line of nothing but delimiters is
// blank, however long, and skipped without being kept.
func TestWideRowsBoundMemory(t *testing.T) {
	commas := strings.Repeat(",", 16_000_000)
	exact := strings.Repeat("x,", MaxColumns-1) + "x"
	cases := []struct {
		name   string
		data   []byte
		budget uint64 // bytes the whole read may allocate
	}{
		{"16 MB line of commas, gzipped", gzipped(t, []byte("a,b\nx"+commas+"\n")), 8 << 20},
		{"16 MB line of commas as the header", gzipped(t, []byte("x"+commas+"\n1,2\n")), 8 << 20},
		{"16 MB line of commas, then text", gzipped(t, []byte("a,b\n"+commas+"x\n")), 8 << 20},
		{"16 MB line of commas after a quote", []byte("a,b\n\"q\"" + commas + "\n"), 48 << 20},
		{"16 MB of quoted empty fields", []byte("a,b\n" + strings.Repeat(`"",`, 5_000_000) + "\n"), 48 << 20},
		{"one field past the limit in the buffer", []byte("a,b\n" + exact + ",x\n"), 8 << 20},
		{"a trailing delimiter past the limit", []byte("a,b\n" + exact + ",\n"), 8 << 20},
		{"quoted field past the limit", []byte("a,b\n" + exact + `,"x"` + "\n"), 8 << 20},
		{"whitespace-separated", []byte("a b\n1 2\n3 4\n" + strings.Repeat("x ", MaxColumns+1) + "\n"), 8 << 20},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, alloc, err := readEverything(t, c.data, Options{})
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
	t.Run("blank lines of any width are skipped", func(t *testing.T) {
		for _, text := range []string{"a,b\n" + commas + "\n1,2\n", "a,b\n" + commas + " \r\n1,2", "a,b\n" + strings.Repeat(", ", MaxColumns) + "\n1,2\n"} {
			n, alloc, err := readEverything(t, gzipped(t, []byte(text)), Options{})
			if err != nil || n != 2 || alloc > 8<<20 {
				t.Fatalf("%d records, error %v, %d MB allocated; want 2 records", n, err, alloc>>20)
			}
		}
	})
	t.Run("exactly the limit is read", func(t *testing.T) {
		for _, row := range []string{exact, strings.Replace(exact, "x", `"x"`, 1), "y" + strings.Repeat(",", MaxColumns-1)} {
			n, _, err := readEverything(t, []byte("a,b\n"+row+"\n1,2\n"), Options{})
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

// workbook returns an XLSX file made by excelize (a header and one row)
// with some parts replaced or added: parts maps a part's name to what
// writes its content, so that huge parts are never held by the test.
// claims gives parts a declared size other than their real one (a part
// not in parts is then empty): checkWorkbook trusts declared sizes, since
// archive/zip fails a part that expands past its own, which spares the
// test from compressing hundreds of megabytes.
func workbook(t testing.TB, parts map[string]func(io.Writer), claims map[string]uint64) []byte {
	t.Helper()
	f := excelize.NewFile()
	if err := f.SetSheetRow("Sheet1", "A1", &[]any{"date", "amount"}); err != nil {
		t.Fatal(err)
	}
	if err := f.SetSheetRow("Sheet1", "A2", &[]any{"2024-01-01", 1}); err != nil {
		t.Fatal(err)
	}
	var base bytes.Buffer
	if err := f.Write(&base); err != nil {
		t.Fatal(err)
	}
	zr, err := zip.NewReader(bytes.NewReader(base.Bytes()), int64(base.Len()))
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	zw := zip.NewWriter(&out)
	write := func(name string, gen func(io.Writer)) {
		size, claimed := claims[name]
		if !claimed {
			w, err := zw.Create(name)
			if err != nil {
				t.Fatal(err)
			}
			gen(w)
			return
		}
		var packed bytes.Buffer
		method := zip.Store // an empty part
		if gen != nil {
			fw, err := flate.NewWriter(&packed, flate.BestSpeed)
			if err != nil {
				t.Fatal(err)
			}
			gen(fw)
			if err := fw.Close(); err != nil {
				t.Fatal(err)
			}
			method = zip.Deflate
		}
		w, err := zw.CreateRaw(&zip.FileHeader{Name: name, Method: method,
			CompressedSize64: uint64(packed.Len()), UncompressedSize64: size})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write(packed.Bytes()); err != nil {
			t.Fatal(err)
		}
	}
	for _, zf := range zr.File {
		if gen, ok := parts[zf.Name]; ok {
			write(zf.Name, gen)
			continue
		}
		write(zf.Name, func(w io.Writer) {
			rc, err := zf.Open()
			if err != nil {
				t.Fatal(err)
			}
			defer rc.Close()
			if _, err := io.Copy(w, rc); err != nil {
				t.Fatal(err)
			}
		})
	}
	for name, gen := range parts {
		if _, err := zr.Open(name); err != nil {
			write(name, gen)
		}
	}
	for name := range claims {
		if _, inBase := zr.Open(name); inBase != nil && parts[name] == nil {
			write(name, nil)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// xmlPart writes head, n times item, then tail.
func xmlPart(head, item string, n int, tail string) func(io.Writer) {
	return func(w io.Writer) {
		io.WriteString(w, `<?xml version="1.0" encoding="UTF-8"?>`+head)
		for range n {
			io.WriteString(w, item)
		}
		io.WriteString(w, tail)
	}
}

// sheetXML is a worksheet whose second row is n times cell.
func sheetXML(cell string, n int) func(io.Writer) {
	return xmlPart(`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>`+
		`<row r="1"><c r="A1" t="inlineStr"><is><t>date</t></is></c><c r="B1" t="inlineStr"><is><t>amount</t></is></c></row><row r="2">`,
		cell, n, `</row></sheetData></worksheet>`)
}

// TestWorkbookLimits is issue 14's item 3 for workbooks: a few kilobytes
// of zip expand into gigabytes in excelize (a row of ten million empty
// cells took 6 GB, 200 MB of styles 1.1 GB, a shared string table of a
// million one-letter strings 800 MB). Each is now refused before excelize
// opens the file, having allocated next to nothing.
func TestWorkbookLimits(t *testing.T) {
	sst := `<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><si><t>date</t></si><si><t>amount</t></si><si><t>2024-01-01</t></si>`
	manyParts := map[string]uint64{}
	for i := range maxXLSXParts {
		manyParts[fmt.Sprintf("xl/media/image%d.png", i)] = 0
	}
	type parts = map[string]func(io.Writer)
	cases := []struct {
		name   string
		parts  parts
		claims map[string]uint64
		opt    Options
		want   string
	}{
		{"row of a million empty cells", parts{"xl/worksheets/sheet1.xml": sheetXML("<c/>", 1_000_000)}, nil,
			Options{}, "sheet1.xml: row 2 has more than 4096 cells"},
		{"row of 5000 numbers", parts{"xl/worksheets/sheet1.xml": sheetXML("<c><v>1</v></c>", 5000)}, nil,
			Options{}, "row 2 has more than 4096 cells"},
		{"prefixed cells count too", parts{"xl/worksheets/sheet1.xml": xmlPart(
			`<x:worksheet xmlns:x="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><x:sheetData><x:row r="1">`,
			`<x:c><x:v>1</x:v></x:c>`, 5000, `</x:row></x:sheetData></x:worksheet>`)}, nil,
			Options{}, "row 1 has more than 4096 cells"},
		{"row over 16 MiB", parts{"xl/worksheets/sheet1.xml": sheetXML(
			`<c t="inlineStr"><is><t>`+strings.Repeat("x", 5000)+`</t></is></c>`, 4000)}, nil,
			Options{}, "row 2 is larger than 16 MiB"},
		{"cell of 300,000 rich-text runs", parts{"xl/worksheets/sheet1.xml": xmlPart(
			`<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c t="inlineStr"><is>`,
			`<r><t>a</t></r>`, 300_000, `</is></c></row></sheetData></worksheet>`)}, nil,
			Options{}, "a cell of row 1 is larger than 4 MiB"},
		{"text of 5 MiB", parts{"xl/worksheets/sheet1.xml": sheetXML(
			`<c t="inlineStr"><is><t>`+strings.Repeat("x", 5<<20)+`</t></is></c>`, 1)}, nil,
			Options{}, "longer than 4 MiB"},
		{"2.2 million empty shared strings", parts{"xl/sharedStrings.xml": xmlPart(sst, "<si/>", 2_200_000, "</sst>")}, nil,
			Options{}, "sharedStrings.xml: more than 2097152 shared strings"},
		{"shared string of 300,000 runs", parts{"xl/sharedStrings.xml": xmlPart(sst+"<si>", "<r><t>a</t></r>", 300_000, "</si></sst>")}, nil,
			Options{}, "shared string 4 is larger than 4 MiB"},
		{"styles of 600,000 tags", parts{"xl/styles.xml": xmlPart(
			`<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><cellXfs>`, "<xf/>", 600_000, "</cellXfs></styleSheet>")}, nil,
			Options{}, "more than 524288 XML tags"},
		{"200 MB of styles", nil, map[string]uint64{"xl/styles.xml": 200 << 20}, Options{}, "styles.xml expands more than 200:1"},
		{"150 MB of images", nil, map[string]uint64{"xl/media/image1.png": 50 << 20, "xl/media/image2.png": 50 << 20, "xl/media/image3.png": 50 << 20},
			Options{}, "take more than 128 MiB"},
		{"a part larger than it declares", parts{"xl/worksheets/sheet1.xml": sheetXML("<c><v>1</v></c>", 100)},
			map[string]uint64{"xl/worksheets/sheet1.xml": 100}, Options{}, "sheet1.xml: zip: not a valid zip file"},
		{"too many parts", nil, manyParts, Options{}, "parts, more than 10000"},
		{"over the decompression limit", nil, map[string]uint64{"xl/media/image1.png": 1 << 20},
			Options{MaxDecompressedBytes: 1 << 20}, "decompression limit"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			data := workbook(t, c.parts, c.claims)
			_, alloc, err := readEverything(t, data, c.opt)
			if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("error %v, want ErrUnreadable with %q", err, c.want)
			}
			if alloc > 16<<20 {
				t.Fatalf("allocated %d MB refusing a %d KB file", alloc>>20, len(data)>>10)
			}
		})
	}
	t.Run("an ordinary workbook reads", func(t *testing.T) {
		data := workbook(t, map[string]func(io.Writer){"xl/worksheets/sheet1.xml": sheetXML(`<c><v>1</v></c>`, MaxColumns-1)}, nil)
		n, _, err := readEverything(t, data, Options{})
		if err != nil || n != 2 {
			t.Fatalf("%d records, error %v", n, err)
		}
	})
}

// FuzzLineEnds checks lineEnds against a direct rewrite of every CR not
// followed by LF, however the reads underneath fall.
func FuzzLineEnds(f *testing.F) {
	for _, s := range []string{"a\rb\r\nc\n\r", "\r\r\n\r", "x\r"} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, text []byte) {
		want := bytes.Clone(text)
		for i, c := range want {
			if c == '\r' && (i+1 == len(want) || want[i+1] != '\n') {
				want[i] = '\n'
			}
		}
		for _, r := range []io.Reader{bytes.NewReader(text), iotest.OneByteReader(bytes.NewReader(text)), iotest.HalfReader(bytes.NewReader(text))} {
			got, err := io.ReadAll(newLineBuffer(r))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("%q: got %q, %v; want %q", text, got, err, want)
			}
		}
	})
}
