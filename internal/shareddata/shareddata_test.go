package shareddata_test

import (
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/salesseg/salesseg/internal/devstack"
	"github.com/salesseg/salesseg/internal/shareddata"
)

// fatalRecorder records the message of a Fatalf and stops the goroutine
// as testing does, so that a failure of the helper can be checked.
type fatalRecorder struct {
	testing.TB
	msg string
}

func (r *fatalRecorder) Helper() {}

func (r *fatalRecorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}

// path calls shareddata.Path on a recorder, returning the path or the
// failure message.
func path(t *testing.T, name string) (string, string) {
	r := &fatalRecorder{TB: t}
	var p string
	done := make(chan struct{})
	go func() {
		defer close(done)
		p = shareddata.Path(r, name)
	}()
	<-done
	return p, r.msg
}

func TestPath(t *testing.T) {
	root, err := devstack.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	abs := t.TempDir()
	if err := os.WriteFile(filepath.Join(abs, "sales.csv"), []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, c := range []struct {
		name, env, file string
		want            string // the path returned, or "" for a failure
		failure         string // text the failure message contains
	}{
		{name: "absolute directory", env: abs, file: "sales.csv", want: filepath.Join(abs, "sales.csv")},
		{name: "relative to the repository root", env: "internal/shareddata", file: "shareddata.go",
			want: filepath.Join(root, "internal", "shareddata", "shareddata.go")},
		{name: "missing file", env: abs, file: "absent.csv", failure: "shared data file absent.csv missing"},
		{name: "missing directory", env: filepath.Join(abs, "nowhere"), file: "sales.csv", failure: "set SALESSEG_DATA"},
		{name: "a file, not a directory", env: filepath.Join(abs, "sales.csv"), file: "sales.csv", failure: "not a directory"},
	} {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv(shareddata.Var, c.env)
			got, failure := path(t, c.file)
			if c.want != "" && (got != c.want || failure != "") {
				t.Fatalf("got %q (failure %q), want %q", got, failure, c.want)
			}
			if c.want == "" && !strings.Contains(failure, c.failure) {
				t.Fatalf("failure %q, want one containing %q", failure, c.failure)
			}
		})
	}
}

// TestDefaultIsBesideTheRepository checks the default location, which CI
// provides.
func TestDefaultIsBesideTheRepository(t *testing.T) {
	root, err := devstack.FindRoot()
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv(shareddata.Var, "")
	if got, want := shareddata.Dir(t), filepath.Join(root, "..", "shared", "data"); got != want {
		t.Fatalf("Dir = %s, want %s", got, want)
	}
}

// TestDeals checks the DuckDB deals reference against the CRM pipeline's
// stage counts in the data README: 4,238 won, 2,473 lost, and 1,589
// Engaging and 500 undated Prospecting deals open at its end.
func TestDeals(t *testing.T) {
	ref := shareddata.Deals(t, "total", "--as-of", "2017-12-31")
	all, ok := ref.Groups["all"]
	if !ok || len(ref.Groups) != 1 {
		t.Fatalf("groups %v, want one, all", ref.Groups)
	}
	if all.Won != 4238 || all.Lost != 2473 || all.Open["Engaging"].Count != 1589 || all.Open["Prospecting (undated)"].Count != 500 {
		t.Fatalf("won %d lost %d open %v", all.Won, all.Lost, all.Open)
	}
}
