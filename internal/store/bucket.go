package store

import (
	"fmt"
	"hash/fnv"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/govalues/decimal"

	"github.com/salesseg/salesseg/internal/aggregate"
)

// A bucket is the measures of every value of one dimension in one month,
// for one file (a fragment) or for the compacted base. Month buckets hold
// each value's month totals; day buckets each value's totals per day of
// the month. A bucket is stored as one item per page: values are spread
// over pages by a hash of the value, so that no item nears DynamoDB's
// 400 KB limit however many values a dimension has.

// Bucket kinds, the second part of every bucket's key.
const (
	kindMonth = "M"
	kindDay   = "D"
)

// measureCount is how many numbers encode one Measures; see encodeMeasures.
const measureCount = 14

// pageTarget is the estimated size a page is kept under. The estimate
// (a number's decimal length plus one byte) overstates DynamoDB's own
// (about one byte per two digits plus one), so real items stay well below
// 400 KB.
const pageTarget = 200 << 10

// bucketID names one bucket: a dimension, a kind and a month ("2006-01").
type bucketID struct {
	dim   string
	kind  string
	month string
}

// bucket maps values to their measures: for a month bucket under day 0,
// for a day bucket under each day of the month (1–31).
type bucket map[string]map[int]*aggregate.Measures

// add adds m (negated when neg) to value v on day d (0 for a month bucket).
func (b bucket) add(v string, d int, m aggregate.Measures) error {
	days, ok := b[v]
	if !ok {
		days = map[int]*aggregate.Measures{}
		b[v] = days
	}
	cur, ok := days[d]
	if !ok {
		c := m
		days[d] = &c
		return nil
	}
	return cur.Add(m)
}

// merge adds every measure of o into b.
func (b bucket) merge(o bucket) error {
	for v, days := range o {
		for d, m := range days {
			if err := b.add(v, d, *m); err != nil {
				return err
			}
		}
	}
	return nil
}

// prune drops the values and days whose measures are all zero, as they are
// after a file's contribution is subtracted.
func (b bucket) prune() {
	for v, days := range b {
		for d, m := range days {
			if isZero(m) {
				delete(days, d)
			}
		}
		if len(days) == 0 {
			delete(b, v)
		}
	}
}

func isZero(m *aggregate.Measures) bool {
	return m.Revenue.IsZero() && m.Cost.IsZero() && m.Units.IsZero() && m.WonRevenue.IsZero() && m.LostValue.IsZero() &&
		m.Lines == 0 && m.Orders == 0 && m.CostLines == 0 && m.Won == 0 && m.Lost == 0 && m.Cycled == 0 && m.CycleDays == 0 &&
		m.LostCycled == 0 && m.LostCycleDays == 0
}

// deltaBuckets groups a file's delta into buckets: day keys into the day
// bucket of their month, month keys into the month bucket.
func deltaBuckets(d aggregate.Delta) (map[bucketID]bucket, error) {
	out := map[bucketID]bucket{}
	for k, m := range d {
		id := bucketID{dim: string(k.Dim), kind: kindMonth, month: k.Period}
		day := 0
		if k.Grain == aggregate.Day {
			if len(k.Period) != 10 {
				return nil, fmt.Errorf("day key %q: period is not a date", k.Period)
			}
			id.kind, id.month = kindDay, k.Period[:7]
			n, err := strconv.Atoi(k.Period[8:])
			if err != nil {
				return nil, fmt.Errorf("day key %q: %w", k.Period, err)
			}
			day = n
		}
		b, ok := out[id]
		if !ok {
			b = bucket{}
			out[id] = b
		}
		if err := b.add(k.Value, day, *m); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// encodeMeasures writes m's numbers in a fixed order, dropping trailing
// zeros (deal measures are zero outside deal files).
func encodeMeasures(dst []types.AttributeValue, m *aggregate.Measures) []types.AttributeValue {
	nums := [measureCount]string{
		m.Revenue.String(), m.Cost.String(), m.Units.String(),
		strconv.FormatInt(m.Lines, 10), strconv.FormatInt(m.Orders, 10), strconv.FormatInt(m.CostLines, 10),
		strconv.FormatInt(m.Won, 10), strconv.FormatInt(m.Lost, 10), strconv.FormatInt(m.Cycled, 10),
		strconv.FormatInt(m.CycleDays, 10), m.WonRevenue.String(),
		m.LostValue.String(), strconv.FormatInt(m.LostCycled, 10), strconv.FormatInt(m.LostCycleDays, 10),
	}
	n := measureCount
	for n > 0 && isZeroNumber(nums[n-1]) {
		n--
	}
	dst = append(dst, &types.AttributeValueMemberN{Value: strconv.Itoa(n)})
	for _, s := range nums[:n] {
		dst = append(dst, &types.AttributeValueMemberN{Value: s})
	}
	return dst
}

func isZeroNumber(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] != '0' && s[i] != '.' && s[i] != '-' {
			return false
		}
	}
	return true
}

// decodeMeasures reads one encodeMeasures run at list[i:] and returns the
// index after it. neg negates every measure, to subtract a file.
func decodeMeasures(list []types.AttributeValue, i int, neg bool) (aggregate.Measures, int, error) {
	var m aggregate.Measures
	n, err := listInt(list, i)
	if err != nil {
		return m, 0, err
	}
	if n < 0 || n > measureCount || i+1+n > len(list) {
		return m, 0, fmt.Errorf("measure run of %d numbers at %d", n, i)
	}
	decs := [...]*decimal.Decimal{0: &m.Revenue, 1: &m.Cost, 2: &m.Units, 10: &m.WonRevenue, 11: &m.LostValue}
	ints := [...]*int64{3: &m.Lines, 4: &m.Orders, 5: &m.CostLines, 6: &m.Won, 7: &m.Lost, 8: &m.Cycled, 9: &m.CycleDays,
		12: &m.LostCycled, 13: &m.LostCycleDays}
	for j := range n {
		v, ok := list[i+1+j].(*types.AttributeValueMemberN)
		if !ok {
			return m, 0, fmt.Errorf("measure %d is not a number", j)
		}
		if j < len(decs) && decs[j] != nil {
			d, err := decimal.Parse(v.Value)
			if err != nil {
				return m, 0, fmt.Errorf("measure %d: %w", j, err)
			}
			if neg {
				d = d.Neg()
			}
			*decs[j] = d
			continue
		}
		k, err := strconv.ParseInt(v.Value, 10, 64)
		if err != nil {
			return m, 0, fmt.Errorf("measure %d: %w", j, err)
		}
		if neg {
			k = -k
		}
		*ints[j] = k
	}
	return m, i + 1 + n, nil
}

func listInt(list []types.AttributeValue, i int) (int, error) {
	if i >= len(list) {
		return 0, fmt.Errorf("list ends at %d", i)
	}
	v, ok := list[i].(*types.AttributeValueMemberN)
	if !ok {
		return 0, fmt.Errorf("element %d is not a number", i)
	}
	return strconv.Atoi(v.Value)
}

// encodeValue is one value's list: for a month bucket its measures; for a
// day bucket, per day in order, the day then its measures.
func encodeValue(days map[int]*aggregate.Measures, kind string) *types.AttributeValueMemberL {
	if kind == kindMonth {
		return &types.AttributeValueMemberL{Value: encodeMeasures(nil, days[0])}
	}
	order := make([]int, 0, len(days))
	for d := range days {
		order = append(order, d)
	}
	sort.Ints(order)
	var list []types.AttributeValue
	for _, d := range order {
		list = append(list, &types.AttributeValueMemberN{Value: strconv.Itoa(d)})
		list = encodeMeasures(list, days[d])
	}
	return &types.AttributeValueMemberL{Value: list}
}

// decodeValue adds one value's list into b, negated when neg.
func (b bucket) decodeValue(v string, kind string, list []types.AttributeValue, neg bool) error {
	if kind == kindMonth {
		m, _, err := decodeMeasures(list, 0, neg)
		if err != nil {
			return err
		}
		return b.add(v, 0, m)
	}
	for i := 0; i < len(list); {
		d, err := listInt(list, i)
		if err != nil {
			return err
		}
		m, next, err := decodeMeasures(list, i+1, neg)
		if err != nil {
			return err
		}
		if err := b.add(v, d, m); err != nil {
			return err
		}
		i = next
	}
	return nil
}

// decodeItem adds the values of a bucket item (attribute v) into b.
func (b bucket) decodeItem(item map[string]types.AttributeValue, kind string, neg bool) error {
	vals, ok := item["v"].(*types.AttributeValueMemberM)
	if !ok {
		return fmt.Errorf("bucket item without values")
	}
	for v, av := range vals.Value {
		list, ok := av.(*types.AttributeValueMemberL)
		if !ok {
			return fmt.Errorf("value %q is not a list", v)
		}
		if err := b.decodeValue(v, kind, list.Value, neg); err != nil {
			return fmt.Errorf("value %q: %w", v, err)
		}
	}
	return nil
}

// pages encodes a bucket as the value maps of its pages: one page unless
// the estimated size calls for more, each value on page hash(value) mod
// the page count, doubling the count until every page is under the
// target.
func (b bucket) pages(kind string) []map[string]types.AttributeValue {
	encoded := make(map[string]*types.AttributeValueMemberL, len(b))
	sizes := make(map[string]int, len(b))
	total := 0
	for v, days := range b {
		l := encodeValue(days, kind)
		encoded[v] = l
		n := len(v) + 4
		for _, x := range l.Value {
			n += len(x.(*types.AttributeValueMemberN).Value) + 1
		}
		sizes[v] = n
		total += n
	}
	count := 1
	for count*pageTarget < total {
		count *= 2
	}
	for {
		out := make([]map[string]types.AttributeValue, count)
		size := make([]int, count)
		fits := true
		for v, l := range encoded {
			p := pageOf(v, count)
			if out[p] == nil {
				out[p] = map[string]types.AttributeValue{}
			}
			out[p][v] = l
			if size[p] += sizes[v]; size[p] > pageTarget && count < maxPages {
				fits = false
			}
		}
		if fits {
			return out
		}
		count *= 2
	}
}

// maxPages bounds the pages of one bucket; a page key has three digits.
const maxPages = 512

func pageOf(v string, count int) int {
	if count == 1 {
		return 0
	}
	h := fnv.New32a()
	h.Write([]byte(v))
	return int(h.Sum32() % uint32(count))
}
