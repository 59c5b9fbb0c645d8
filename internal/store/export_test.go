package store

import (
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/salesseg/salesseg/internal/aggregate"
)

// FragmentItems builds a delta's fragment items as PutFragments does,
// without a table, and returns how many there are: for benchmarks outside
// the package, which cannot import the parser from inside it.
func (s *Store) FragmentItems(d aggregate.Delta) (int, error) {
	n := 0
	err := s.eachFragment("bench.csv", "bench", d, func(map[string]types.AttributeValue) error {
		n++
		return nil
	})
	return n, err
}
