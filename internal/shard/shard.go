// Package shard splits customers into a fixed number of shards by a stable
// hash of their id, so that every purchase of a customer, from any file,
// lands in the same shard. Recompute then computes customer analytics one
// shard at a time (or many in parallel), holding only that shard's
// customers, and merges the per-shard results into answers equal to a
// computation over the whole base.
//
// The hash is 64-bit FNV-1a of the id's bytes, reduced modulo the shard
// count: stable across processes, machines and Go versions (unlike
// hash/maphash), cheap, and even enough on real customer ids (numeric,
// alphanumeric or e-mail like) for shards to differ in size by a few
// percent.
package shard

import (
	"errors"
	"fmt"
	"hash/fnv"
)

// Default is the shard count when none is configured: enough for a
// Distributed Map to spread 10 million customers over a few hundred
// workers of 40,000 customers each, few enough that a small base is not
// split into thousands of empty objects.
const Default = 256

// Max bounds the shard count: each shard is an S3 object per file and an
// item of a map run, so more shards cost requests without making a shard
// meaningfully smaller at the scales this serves.
const Max = 4096

// ErrCount means a shard count is not between 1 and Max.
var ErrCount = errors.New("shard count out of range")

// Check returns an error wrapping ErrCount unless 1 ≤ n ≤ Max.
func Check(n int) error {
	if n < 1 || n > Max {
		return fmt.Errorf("%w: %d, want 1 to %d", ErrCount, n, Max)
	}
	return nil
}

// Of returns the shard, in [0, n), of a customer id. n must pass Check;
// Of panics on n < 1 as integer division does.
func Of(id string, n int) int {
	h := fnv.New64a()
	h.Write([]byte(id)) // never fails
	return int(h.Sum64() % uint64(n))
}
