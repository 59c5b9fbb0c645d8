// Package dataset names the separate data sets one deployment keeps.
//
// Files from unrelated sources must not meet: customer ids of one export
// mean nothing in another, and a sample loaded to try the product must
// not mix into a team's own figures. So every object key belongs to one
// dataset. Keys at the top of the bucket (transactions/…, customers/…,
// config/…) belong to Default; keys under datasets/<name>/ belong to
// <name> and follow the same layout below it
// (datasets/sample/transactions/superstore.csv). Each dataset has its own
// manifest, aggregates, snapshot and mapping files; upload ids, which name
// a file version, stay unique across datasets.
package dataset

import (
	"errors"
	"fmt"
	"strings"
)

// Default is the dataset of the keys at the top of the bucket, and the one
// a query reads when it names none.
const Default = "default"

// Prefix is the prefix of every key outside the Default dataset.
const Prefix = "datasets/"

// maxName is the longest dataset name: long enough for a source's name,
// short enough to keep item keys and S3 paths readable.
const maxName = 40

// ErrInvalid means a dataset name breaks the naming rule (see Check).
var ErrInvalid = errors.New("invalid dataset name")

// Check returns nil if name is a valid dataset name: 1 to 40 characters,
// lower-case letters, digits and hyphens, starting with a letter or digit.
// Otherwise it returns an error wrapping ErrInvalid that says why.
func Check(name string) error {
	if name == "" || len(name) > maxName {
		return fmt.Errorf("%w %q: it must have 1 to %d characters", ErrInvalid, name, maxName)
	}
	for i, r := range name {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
		case r == '-' && i > 0:
		default:
			return fmt.Errorf("%w %q: use lower-case letters, digits and hyphens, starting with a letter or digit", ErrInvalid, name)
		}
	}
	return nil
}

// Of splits an object key into its dataset and the key relative to the
// dataset's root: "datasets/sample/transactions/a.csv" gives "sample" and
// "transactions/a.csv"; a key at the top of the bucket gives Default and
// the key itself. A key under Prefix whose name is not valid, or which has
// nothing below the name, returns ok false: it belongs to no dataset.
func Of(key string) (name, rel string, ok bool) {
	rest, under := strings.CutPrefix(key, Prefix)
	if !under {
		return Default, key, true
	}
	name, rel, found := strings.Cut(rest, "/")
	if !found || rel == "" || name == Default || Check(name) != nil {
		return "", "", false
	}
	return name, rel, true
}

// Rel returns key relative to its dataset's root, which tells the kind of
// file it is (transactions/…, customers/…); a key that belongs to no
// dataset is returned as it is.
func Rel(key string) string {
	if _, rel, ok := Of(key); ok {
		return rel
	}
	return key
}

// Key returns the object key of rel, a key relative to a dataset's root,
// in dataset name: rel itself in Default.
func Key(name, rel string) string {
	if name == Default {
		return rel
	}
	return Prefix + name + "/" + rel
}
