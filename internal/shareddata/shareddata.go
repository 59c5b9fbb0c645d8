// Package shareddata locates the public data sets that tests check
// salesseg against (Superstore, UCI Online Retail, CDNOW, the CRM
// pipeline). They are kept outside the repository: in the directory named
// by SALESSEG_DATA, or by default in ../shared/data beside the repository
// root, whichever package directory a test runs in.
//
// A test that cannot find them fails with a message saying where it looked
// and how to point it elsewhere: published-value checks must never
// silently disappear, so a missing data set is a broken set-up, not a skip.
package shareddata

import (
	"encoding/csv"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/salesseg/salesseg/internal/devstack"
)

// Var is the environment variable naming the data directory. A relative
// path is taken from the repository root, not from the test's package
// directory, so one value serves every package.
const Var = "SALESSEG_DATA"

// Dir returns the data directory, failing the test if it does not exist.
func Dir(t testing.TB) string {
	t.Helper()
	root, err := devstack.FindRoot()
	if err != nil {
		t.Fatalf("locate the shared data sets: %v", err)
	}
	dir := os.Getenv(Var)
	switch {
	case dir == "":
		dir = filepath.Join(root, "..", "shared", "data")
	case !filepath.IsAbs(dir):
		dir = filepath.Join(root, dir)
	}
	fi, err := os.Stat(dir)
	if err == nil && !fi.IsDir() {
		err = errors.New("not a directory")
	}
	if err != nil {
		t.Fatalf("shared data sets not found (%v): set %s to their directory, "+
			"or place ../shared/data beside the repository as CI does", err, Var)
	}
	return dir
}

// Path returns the path of the named file in the data directory, failing
// the test if it is missing.
func Path(t testing.TB, name string) string {
	t.Helper()
	p := filepath.Join(Dir(t), name)
	if _, err := os.Stat(p); err != nil {
		t.Fatalf("shared data file %s missing (%v): %s names the directory (default ../shared/data beside the repository)", name, err, Var)
	}
	return p
}

// CSV reads the named comma-separated data set whole, header first,
// failing the test if it is missing or malformed: a plain reading that
// shares nothing with salesseg's parser, for reference figures.
func CSV(t testing.TB, name string) [][]string {
	t.Helper()
	f, err := os.Open(Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatalf("read %s: %v", name, err)
	}
	return recs
}
