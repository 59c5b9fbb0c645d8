package ndjson

import (
	"bufio"
	"errors"
	"io"
	"slices"
	"strings"
	"testing"
)

type rec struct {
	N int               `json:"n"`
	M map[string]string `json:"m,omitempty"`
}

var errCorrupt = errors.New("corrupt records")

// failingReader returns its text, then err.
type failingReader struct {
	r   io.Reader
	err error
}

func (f *failingReader) Read(p []byte) (int, error) {
	n, err := f.r.Read(p)
	if err == io.EOF {
		return n, f.err
	}
	return n, err
}

func TestRead(t *testing.T) {
	errStop := errors.New("stop")
	errDisk := errors.New("disk gone")
	for _, c := range []struct {
		name    string
		in      io.Reader
		stopAt  int     // the line fn fails on; 0 never
		lines   []int   // the line numbers fn saw
		values  []int   // the values fn saw
		wantErr error   // nil for success
		msg     string  // text the error contains
		notErr  []error // sentinels the error must not wrap
	}{
		{name: "empty stream", in: strings.NewReader("")},
		{name: "two records, no final newline", in: strings.NewReader(`{"n":1}` + "\n" + `{"n":2}`), lines: []int{1, 2}, values: []int{1, 2}},
		{name: "a bad second line", in: strings.NewReader(`{"n":1}` + "\n" + `{"n":"x"}` + "\n" + `{"n":3}`),
			lines: []int{1}, values: []int{1}, wantErr: errCorrupt, msg: "corrupt records: records line 2: "},
		{name: "an empty line", in: strings.NewReader(`{"n":1}` + "\n\n"), lines: []int{1}, values: []int{1}, wantErr: errCorrupt, msg: "records line 2"},
		{name: "fn's error is returned as is", in: strings.NewReader(`{"n":1}` + "\n" + `{"n":2}` + "\n" + `{"n":3}`), stopAt: 2,
			lines: []int{1, 2}, values: []int{1, 2}, wantErr: errStop, msg: "stop", notErr: []error{errCorrupt}},
		{name: "a line over MaxLine", in: strings.NewReader(`{"n":1}` + "\n" + `{"m":{"k":"` + strings.Repeat("x", MaxLine) + `"}}`),
			lines: []int{1}, values: []int{1}, wantErr: bufio.ErrTooLong, msg: "read records after line 1: ", notErr: []error{errCorrupt}},
		{name: "the reader fails", in: &failingReader{r: strings.NewReader(`{"n":1}` + "\n"), err: errDisk},
			lines: []int{1}, values: []int{1}, wantErr: errDisk, msg: "read records after line 1: disk gone", notErr: []error{errCorrupt}},
	} {
		t.Run(c.name, func(t *testing.T) {
			var lines, values []int
			err := Read(c.in, "records", errCorrupt, func(line int, v rec) error {
				lines, values = append(lines, line), append(values, v.N)
				if line == c.stopAt {
					return errStop
				}
				return nil
			})
			if c.wantErr == nil && err != nil || c.wantErr != nil && !errors.Is(err, c.wantErr) {
				t.Fatalf("Read = %v, want %v", err, c.wantErr)
			}
			if err != nil && !strings.Contains(err.Error(), c.msg) {
				t.Fatalf("Read = %q, want it to contain %q", err, c.msg)
			}
			for _, e := range c.notErr {
				if errors.Is(err, e) {
					t.Fatalf("Read = %v wraps %v", err, e)
				}
			}
			if !slices.Equal(lines, c.lines) || !slices.Equal(values, c.values) {
				t.Fatalf("fn saw lines %v values %v, want %v %v", lines, values, c.lines, c.values)
			}
		})
	}
}

// TestReadDecodesEachLineAfresh guards against decoding into a reused
// value, which would carry one record's map entries into the next.
func TestReadDecodesEachLineAfresh(t *testing.T) {
	in := `{"n":1,"m":{"a":"1"}}` + "\n" + `{"n":2,"m":{"b":"2"}}` + "\n"
	var got []map[string]string
	if err := Read(strings.NewReader(in), "records", errCorrupt, func(_ int, v rec) error { got = append(got, v.M); return nil }); err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || len(got[1]) != 1 || got[1]["b"] != "2" || got[0]["a"] != "1" {
		t.Fatalf("maps %v, want [map[a:1] map[b:2]]", got)
	}
}
