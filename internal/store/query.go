package store

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dimension"
)

// Base items hold the compacted buckets: pk B#<dim>#<kind>, sk
// <month>#<generation>#<page>. A month's items of one generation are
// written whole before the view names that generation, and superseded
// generations stay until the grace period has passed, so a query that read
// the view finds every item it names.

func (s *Store) basePK(dim, kind string) string { return s.pk("B#" + dim + "#" + kind) }

func baseSK(month string, gen int64, page int) string {
	return fmt.Sprintf("%s#%010d#%03d", month, gen, page)
}

// parseBaseSK splits a base sort key into its month and generation.
func parseBaseSK(sk string) (month string, gen int64, ok bool) {
	parts := strings.Split(sk, "#")
	if len(parts) != 3 {
		return "", 0, false
	}
	g, err := strconv.ParseInt(parts[1], 10, 64)
	return parts[0], g, err == nil
}

// KeyRange is an inclusive range of stored period keys, formatted as the
// grain's periods ("2006-01" for Month, "2006-01-02" for Day).
type KeyRange struct{ From, To string }

// monthSpan returns the months a key range touches.
func (r KeyRange) monthSpan() (from, to string) { return prefix7(r.From), prefix7(r.To) }

func prefix7(s string) string {
	if len(s) > 7 {
		return s[:7]
	}
	return s
}

// Query sums the live contributions of a dimension at a grain for periods
// from through to (inclusive, formatted as the grain's periods), ordered by
// period then value. It reports how many DynamoDB requests it made.
func (s *Store) Query(ctx context.Context, d dimension.Dimension, g aggregate.Grain, from, to string) ([]Row, int, error) {
	rows, n, err := s.QueryRanges(ctx, d, g, []KeyRange{{From: from, To: to}})
	if err != nil {
		return nil, n, err
	}
	return rows[0], n, nil
}

// QueryRanges sums the live contributions of a dimension at a grain for
// each key range, as Query does for one range, under one read of the view:
// one GetItem, then per range one paged Query of the base items and one
// Query per pending file. Result i holds range i's rows, ordered by period
// then value. It reports how many DynamoDB requests it made.
func (s *Store) QueryRanges(ctx context.Context, d dimension.Dimension, g aggregate.Grain, ranges []KeyRange) ([][]Row, int, error) {
	v, err := s.readView(ctx)
	requests := 1
	if err != nil {
		return nil, requests, err
	}
	kind := kindMonth
	if g == aggregate.Day {
		kind = kindDay
	}
	out := make([][]Row, len(ranges))
	metas := map[string]fileMeta{}
	for i, r := range ranges {
		from, to := r.monthSpan()
		months, n, err := s.readBuckets(ctx, v, metas, string(d), kind, from, to)
		requests += n
		if err != nil {
			return nil, requests, err
		}
		out[i] = rowsOf(months, kind, r)
	}
	return out, requests, nil
}

// readBuckets sums, per month from through to, the bucket of a dimension
// and kind as the view defines it: base items of the month's generation,
// plus pending files, minus files to subtract.
func (s *Store) readBuckets(ctx context.Context, v view, metas map[string]fileMeta, dim, kind, from, to string) (map[string]bucket, int, error) {
	months := map[string]bucket{}
	into := func(month string) bucket {
		b, ok := months[month]
		if !ok {
			b = bucket{}
			months[month] = b
		}
		return b
	}
	requests := 0
	pk := s.basePK(dim, kind)
	err := s.queryPages(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(pk), ":from": str(from + "#"), ":to": str(to + "#~")},
	}, func(item map[string]types.AttributeValue) error {
		month, gen, ok := parseBaseSK(attrS(item, "sk"))
		if !ok {
			return fmt.Errorf("base key %q", attrS(item, "sk"))
		}
		if gen != v.gens[month] {
			return nil // an unpublished or superseded generation
		}
		return s.codec.decodeItem(into(month), item, kind, false)
	}, &requests)
	if err != nil {
		return nil, requests, fmt.Errorf("query %s %s..%s: %w", pk, from, to, err)
	}
	for _, pending := range []struct {
		files map[string]bool
		neg   bool
	}{{v.add, false}, {v.sub, true}} {
		for _, file := range sortedKeys(pending.files) {
			n, err := s.readPending(ctx, metas, file, dim, kind, from, to, pending.neg, into)
			requests += n
			if err != nil {
				return nil, requests, err
			}
		}
	}
	return months, requests, nil
}

// readPending adds a pending file's buckets of a dimension and kind
// from through to into the month buckets into gives, negated when neg: with
// one Query of its fragments, after one GetItem of its META item the
// first time metas (a cache for one read of the view) meets the file. A
// dimension the file has no buckets of is derived from the one it copies
// (see PutFragments). It reports how many requests it made.
func (s *Store) readPending(ctx context.Context, metas map[string]fileMeta, file, dim, kind, from, to string, neg bool, into func(month string) bucket) (int, error) {
	requests := 0
	meta, ok := metas[file]
	if !ok {
		var err error
		if meta, err = s.readFileMeta(ctx, file); err != nil {
			return 1, err
		}
		metas[file], requests = meta, 1
	}
	src, derived := meta.copyOf(dim)
	read := dim
	if derived {
		if src.MonthOnly && kind != kindMonth {
			return requests, nil
		}
		read = string(src.From)
	}
	// Runs in sort-key order have rising first months (see Fragments):
	// past to, nothing further is in the range.
	past := errors.New("past the range")
	err := s.queryPages(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(s.table),
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk":   str(fragmentPK(file)),
			":from": str(read + "#" + kind + "#" + from + "#"), ":to": str(read + "#" + kind + "#~")},
	}, func(item map[string]types.AttributeValue) error {
		k, ok := parseRunKey(attrS(item, "sk"))
		if !ok {
			return fmt.Errorf("fragment key %q", attrS(item, "sk"))
		}
		if k.first > to {
			return past
		}
		if !derived {
			return s.codec.decodeRun(item, kind, from, to, neg, into)
		}
		// Decoded apart, then relabelled into the derived dimension.
		months := map[string]bucket{}
		err := s.codec.decodeRun(item, kind, from, to, neg, func(month string) bucket {
			months[month] = bucket{}
			return months[month]
		})
		if err != nil {
			return err
		}
		for month, b := range months {
			if err := into(month).copyFrom(b, src); err != nil {
				return err
			}
		}
		return nil
	}, &requests)
	if errors.Is(err, past) {
		err = nil
	}
	if err != nil {
		return requests, fmt.Errorf("query fragments of %s: %w", file, err)
	}
	return requests, nil
}

// rowsOf turns month buckets into rows within r, ordered by period then
// value, leaving out values whose measures sum to zero.
func rowsOf(months map[string]bucket, kind string, r KeyRange) []Row {
	var rows []Row
	for month, b := range months {
		b.prune()
		for value, days := range b {
			for day, m := range days {
				period := month
				if kind == kindDay {
					period = month + "-" + fmt.Sprintf("%02d", day)
					if period < r.From || period > r.To {
						continue
					}
				}
				rows = append(rows, Row{Period: period, Value: value, Measures: *m})
			}
		}
	}
	sort.Slice(rows, func(i, j int) bool {
		if rows[i].Period != rows[j].Period {
			return rows[i].Period < rows[j].Period
		}
		return rows[i].Value < rows[j].Value
	})
	return rows
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// ValueSpan is one dimension value with the first and last months it has
// live data in.
type ValueSpan struct {
	Value       string
	First, Last string
}

// Values lists, per dimension, the values that have live month data, sorted
// by value, from one read of the view and, per dimension, the month
// buckets of every month (the base's paged Query and one Query per
// pending file). Dimensions without data map to an empty slice. It reports
// how many DynamoDB requests it made.
func (s *Store) Values(ctx context.Context, dims ...dimension.Dimension) (map[dimension.Dimension][]ValueSpan, int, error) {
	v, err := s.readView(ctx)
	requests := 1
	if err != nil {
		return nil, requests, err
	}
	out := make(map[dimension.Dimension][]ValueSpan, len(dims))
	metas := map[string]fileMeta{}
	for _, d := range dims {
		months, n, err := s.readBuckets(ctx, v, metas, string(d), kindMonth, "0000-00", "9999-12")
		requests += n
		if err != nil {
			return nil, requests, err
		}
		spans := map[string]*ValueSpan{}
		for month, b := range months {
			b.prune()
			for value := range b {
				sp, ok := spans[value]
				if !ok {
					spans[value] = &ValueSpan{Value: value, First: month, Last: month}
					continue
				}
				sp.First, sp.Last = min(sp.First, month), max(sp.Last, month)
			}
		}
		list := make([]ValueSpan, 0, len(spans))
		for _, sp := range spans {
			list = append(list, *sp)
		}
		sort.Slice(list, func(i, j int) bool { return list[i].Value < list[j].Value })
		out[d] = list
	}
	return out, requests, nil
}
