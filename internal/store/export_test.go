package store

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/salesseg/salesseg/internal/aggregate"
)

// EncodeRuns builds a delta's fragment items as PutFragments does, without
// a table, and returns how many there are: for benchmarks outside the
// package, which cannot import the parser from inside it.
func EncodeRuns(d aggregate.Delta) (int, error) {
	c := newCodec()
	buckets, err := deltaEntries(d)
	if err != nil {
		return 0, err
	}
	n := 0
	err = eachRun(buckets, func(k runKey, run []byte) error {
		item := map[string]types.AttributeValue{}
		c.setPage(item, run)
		n++
		return nil
	})
	return n, err
}
