package store

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/fnv"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
	"github.com/govalues/decimal"
	"github.com/klauspost/compress/zstd"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/period"
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

// measureCount is how many numbers encode one Measures; see appendMeasures.
const measureCount = 14

// pageTarget is the size a page's binary attribute is kept under: half
// of DynamoDB's 400 KB item limit, so a page grown by a compaction's
// merge stays far from it until the next split.
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

// copyFrom adds every measure of o into b under the value c gives it
// (see aggregate.Copy).
func (b bucket) copyFrom(o bucket, c aggregate.Copy) error {
	for v, days := range o {
		for d, m := range days {
			if err := b.add(c.Value(v), d, *m); err != nil {
				return err
			}
		}
	}
	return nil
}

// complete adds to a file's buckets those of the dimensions and pairs it
// has none of, derived from those it has (see aggregate.Copies).
func complete(bs map[bucketID]bucket) error {
	byDim := map[string][]bucketID{}
	for id := range bs {
		byDim[id.dim] = append(byDim[id.dim], id)
	}
	add := map[bucketID]bucket{}
	for _, c := range aggregate.Copies(func(d dimension.Dimension) bool { return len(byDim[string(d)]) > 0 }) {
		for _, id := range byDim[string(c.From)] {
			if c.MonthOnly && id.kind != kindMonth {
				continue
			}
			to := bucket{}
			if err := to.copyFrom(bs[id], c); err != nil {
				return err
			}
			add[bucketID{dim: string(c.Dim), kind: id.kind, month: id.month}] = to
		}
	}
	maps.Copy(bs, add)
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

// entry is one value's measures on one day of a bucket (day 0 in a
// month bucket), pointing at measures held elsewhere.
type entry struct {
	value string
	day   int
	m     *aggregate.Measures
}

// sortEntries orders entries by value, then day: the order of a page.
func sortEntries(es []entry) {
	slices.SortFunc(es, func(a, b entry) int {
		if c := strings.Compare(a.value, b.value); c != 0 {
			return c
		}
		return cmp.Compare(a.day, b.day)
	})
}

// mergeEntries sorts entries and sums those of one value and day into
// one (never the case for a delta's keys, which are distinct); the
// measures of entries summed are copied, never changed in place.
func mergeEntries(es []entry) ([]entry, error) {
	sortEntries(es)
	out := es[:0]
	for _, e := range es {
		if n := len(out); n > 0 && out[n-1].value == e.value && out[n-1].day == e.day {
			sum := *out[n-1].m
			if err := sum.Add(*e.m); err != nil {
				return nil, err
			}
			out[n-1].m = &sum
			continue
		}
		out = append(out, e)
	}
	return out, nil
}

// deltaEntries groups a file's delta by bucket without copying its
// measures: day keys into the day bucket of their month, month keys into
// the month bucket. Each bucket's entries are unsorted (see
// mergeEntries). The buckets share one array, filled by counting: a
// delta has hundreds of thousands of keys in a few hundred buckets, and
// appending to each bucket's slice in a map cost a fifth of a file's
// encoding in growing slices and rehashing the key's strings.
func deltaEntries(d aggregate.Delta) (map[bucketID][]entry, error) {
	type slot struct {
		id bucketID
		n  int
	}
	var (
		dims  = map[dimension.Dimension]uint64{}
		index = map[uint64]int32{} // dimension, kind and month → slot
		slots []slot
		flat  = make([]entry, 0, len(d))
		of    = make([]int32, 0, len(d))
	)
	for k, m := range d {
		month, day, err := periodOf(k)
		if err != nil {
			return nil, err
		}
		di, ok := dims[k.Dim]
		if !ok {
			di = uint64(len(dims))
			dims[k.Dim] = di
		}
		n := di<<32 | uint64(month)
		if day > 0 {
			n |= 1 << 31
		}
		s, ok := index[n]
		if !ok {
			s = int32(len(slots))
			index[n] = s
			id := bucketID{dim: string(k.Dim), kind: kindMonth, month: k.Period[:monthLen]}
			if day > 0 {
				id.kind = kindDay
			}
			slots = append(slots, slot{id: id})
		}
		slots[s].n++
		flat = append(flat, entry{value: k.Value, day: day, m: m})
		of = append(of, s)
	}
	next := make([]int, len(slots))
	for s := 1; s < len(slots); s++ {
		next[s] = next[s-1] + slots[s-1].n
	}
	grouped := make([]entry, len(flat))
	for i, e := range flat {
		grouped[next[of[i]]] = e
		next[of[i]]++
	}
	out := make(map[bucketID][]entry, len(slots))
	for s, sl := range slots {
		end := next[s] // past the bucket's last entry once filled
		out[sl.id] = grouped[end-sl.n : end : end]
	}
	return out, nil
}

// periodOf returns the month of a delta key's period and, for a day key,
// its day of the month; day is 0 for a month key. A period not of the
// key's grain's form (a date, or a month) is an error.
func periodOf(k aggregate.Key) (period.YearMonth, int, error) {
	if k.Grain == aggregate.Day {
		d, err := period.ParseDate(k.Period)
		if err != nil {
			return 0, 0, fmt.Errorf("%s key %q: %w", k.Dim, k.Value, err)
		}
		y, m, day := d.Date()
		return period.NewYearMonth(y, m), day, nil
	}
	m, err := period.ParseYearMonth(k.Period)
	if err != nil {
		return 0, 0, fmt.Errorf("%s key %q: %w", k.Dim, k.Value, err)
	}
	return m, 0, nil
}

// A page is a run of values, each
//
//	uvarint len(value) · value · uvarint count · count × (uvarint day · measures)
//
// with day 0 the one entry of a month bucket. Measures are a byte n, how
// many of the measureCount numbers follow (trailing zeros are dropped:
// deal measures are zero outside deal files), then the numbers in a fixed
// order: decimals (revenue, cost, units, won and lost value) as
// appendDecimal writes them, counts as zigzag varints. One binary
// attribute instead of a map of Number lists makes items about a third
// of the size, and a DynamoDB server parses one attribute per item
// instead of one per number, which is what made writes slow.

// isDecimal reports whether measure i of the fixed order is a decimal.
func isDecimal(i int) bool { return i <= 2 || i == 10 || i == 11 }

// appendMeasures appends m in the page encoding.
func appendMeasures(dst []byte, m *aggregate.Measures) []byte {
	decs := [measureCount]decimal.Decimal{0: m.Revenue, 1: m.Cost, 2: m.Units, 10: m.WonRevenue, 11: m.LostValue}
	ints := [measureCount]int64{3: m.Lines, 4: m.Orders, 5: m.CostLines, 6: m.Won, 7: m.Lost, 8: m.Cycled, 9: m.CycleDays,
		12: m.LostCycled, 13: m.LostCycleDays}
	n := measureCount
	for n > 0 && (isDecimal(n-1) && decs[n-1].IsZero() || !isDecimal(n-1) && ints[n-1] == 0) {
		n--
	}
	dst = append(dst, byte(n))
	for i := range n {
		if isDecimal(i) {
			dst = appendDecimal(dst, decs[i])
			continue
		}
		dst = binary.AppendVarint(dst, ints[i])
	}
	return dst
}

// A decimal is a head byte, its scale (0–19) in the bits of decScale and
// decNeg set when it is negative, then its coefficient as a uvarint; or,
// for a coefficient above what an int64 holds (19 digits, past 9.2×10¹⁸),
// the head decText then the uvarint length of the decimal's text and the
// text. Exact either way, scale included. On the buckets of the 10 MB
// high-cardinality benchmark file, text for every decimal made the
// measures 39% larger once compressed, and encoding and compressing them
// took nearly twice the time (158 against 85 ms).
const (
	decScale = 0x1f
	decText  = 0x40
	decNeg   = 0x80
)

// appendDecimal appends d in the page encoding.
func appendDecimal(dst []byte, d decimal.Decimal) []byte {
	if d.Coef() > math.MaxInt64 {
		// The text is at most 22 bytes, so its length is one uvarint
		// byte, written once the text is there.
		at := len(dst)
		dst, _ = d.AppendText(append(dst, decText, 0)) // AppendText never fails
		dst[at+1] = byte(len(dst) - at - 2)
		return dst
	}
	head := byte(d.Scale())
	if d.IsNeg() {
		head |= decNeg
	}
	return binary.AppendUvarint(append(dst, head), d.Coef())
}

// pageReader decodes one page; every read checks the bounds, so a
// corrupt item is an error, never a panic.
type pageReader struct {
	b   []byte
	off int
}

func (r *pageReader) uvarint() (uint64, error) {
	v, n := binary.Uvarint(r.b[r.off:])
	if n <= 0 {
		return 0, fmt.Errorf("bad uvarint at byte %d", r.off)
	}
	r.off += n
	return v, nil
}

func (r *pageReader) varint() (int64, error) {
	v, n := binary.Varint(r.b[r.off:])
	if n <= 0 {
		return 0, fmt.Errorf("bad varint at byte %d", r.off)
	}
	r.off += n
	return v, nil
}

func (r *pageReader) bytes() ([]byte, error) {
	n, err := r.uvarint()
	if err != nil {
		return nil, err
	}
	if n > uint64(len(r.b)-r.off) {
		return nil, fmt.Errorf("%d bytes at byte %d run past the page's end", n, r.off)
	}
	s := r.b[r.off : r.off+int(n)]
	r.off += int(n)
	return s, nil
}

// decimal decodes one appendDecimal.
func (r *pageReader) decimal() (decimal.Decimal, error) {
	if r.off >= len(r.b) {
		return decimal.Decimal{}, fmt.Errorf("page ends at byte %d", r.off)
	}
	head, at := r.b[r.off], r.off
	r.off++
	if head == decText {
		s, err := r.bytes()
		if err != nil {
			return decimal.Decimal{}, err
		}
		return decimal.Parse(string(s))
	}
	if head&^(decScale|decNeg) != 0 {
		return decimal.Decimal{}, fmt.Errorf("bad decimal head %#x at byte %d", head, at)
	}
	coef, err := r.uvarint()
	if err != nil {
		return decimal.Decimal{}, err
	}
	if coef > math.MaxInt64 {
		return decimal.Decimal{}, fmt.Errorf("decimal coefficient %d at byte %d past an int64's without text", coef, at)
	}
	d, err := decimal.New(int64(coef), int(head&decScale))
	if err != nil {
		return decimal.Decimal{}, fmt.Errorf("decimal at byte %d: %w", at, err)
	}
	if head&decNeg != 0 {
		d = d.Neg()
	}
	return d, nil
}

// measures decodes one appendMeasures run, negated when neg (to subtract
// a file).
func (r *pageReader) measures(neg bool) (aggregate.Measures, error) {
	var m aggregate.Measures
	if r.off >= len(r.b) {
		return m, fmt.Errorf("page ends at byte %d", r.off)
	}
	n := int(r.b[r.off])
	r.off++
	if n > measureCount {
		return m, fmt.Errorf("measure run of %d numbers at byte %d", n, r.off-1)
	}
	decs := [...]*decimal.Decimal{0: &m.Revenue, 1: &m.Cost, 2: &m.Units, 10: &m.WonRevenue, 11: &m.LostValue}
	ints := [...]*int64{3: &m.Lines, 4: &m.Orders, 5: &m.CostLines, 6: &m.Won, 7: &m.Lost, 8: &m.Cycled, 9: &m.CycleDays,
		12: &m.LostCycled, 13: &m.LostCycleDays}
	zero := false // whether the last number read is zero
	for i := range n {
		if isDecimal(i) {
			d, err := r.decimal()
			if err != nil {
				return m, fmt.Errorf("measure %d: %w", i, err)
			}
			zero = d.IsZero()
			if neg {
				d = d.Neg()
			}
			*decs[i] = d
			continue
		}
		k, err := r.varint()
		if err != nil {
			return m, fmt.Errorf("measure %d: %w", i, err)
		}
		zero = k == 0
		if neg {
			k = -k
		}
		*ints[i] = k
	}
	if zero {
		// appendMeasures drops trailing zeros, so a page that has one
		// was not written by it (and a zero's scale would not survive).
		return m, fmt.Errorf("measure run ending in a zero at byte %d", r.off)
	}
	return m, nil
}

// decodePage adds every value of one page into b, negated when neg. A
// month bucket's entries may only be day 0, a day bucket's days 1–31.
func (b bucket) decodePage(page []byte, kind string, neg bool) error {
	r := pageReader{b: page}
	for r.off < len(page) {
		v, err := r.bytes()
		if err != nil {
			return fmt.Errorf("value: %w", err)
		}
		count, err := r.uvarint()
		if err != nil {
			return fmt.Errorf("value %q: %w", v, err)
		}
		if count == 0 || count > 31 {
			return fmt.Errorf("value %q: %d days", v, count)
		}
		for range count {
			d, err := r.uvarint()
			if err != nil {
				return fmt.Errorf("value %q: %w", v, err)
			}
			if kind == kindMonth && d != 0 || kind == kindDay && (d < 1 || d > 31) {
				return fmt.Errorf("value %q: day %d in a %s bucket", v, d, kind)
			}
			m, err := r.measures(neg)
			if err != nil {
				return fmt.Errorf("value %q day %d: %w", v, d, err)
			}
			if err := b.add(string(v), int(d), m); err != nil {
				return err
			}
		}
	}
	return nil
}

// A page goes into its item as attribute z, the page compressed as one
// zstd frame at the fastest level (github.com/klauspost/compress/zstd:
// 2.2 times smaller on the high-cardinality benchmark's pages, where S2
// made them 1.5 times smaller), or as attribute v, the page itself, when
// compression would not make it smaller. Fewer bytes are what make the
// emulator's writes and reads faster once a file's fragments are a few
// hundred runs; on AWS they are fewer write and read units.

// maxPageBytes bounds a decompressed page, far above any page written
// (DynamoDB items stop at 400 KB), so that a corrupt item cannot make a
// reader allocate without bound.
const maxPageBytes = 4 << 20

// codec compresses pages into items and back; one serves every
// goroutine of a Store.
type codec struct {
	enc *zstd.Encoder
	dec *zstd.Decoder
}

// newCodec returns the store's codec. Its options are fixed, so the
// constructors' errors, which only report invalid options, cannot occur:
// one would be a programming error, and panics.
func newCodec() *codec {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1),
		zstd.WithLowerEncoderMem(true))
	if err != nil {
		panic("store: zstd encoder options: " + err.Error())
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxPageBytes))
	if err != nil {
		panic("store: zstd decoder options: " + err.Error())
	}
	return &codec{enc: enc, dec: dec}
}

// setPage stores page in item as attribute z or v, whichever is smaller.
// The item keeps no reference to page, which callers reuse.
func (c *codec) setPage(item map[string]types.AttributeValue, page []byte) {
	// Pages compress about 2.2 times; room for half spares the encoder,
	// which is set to save memory, growing its output as it goes.
	if z := c.enc.EncodeAll(page, make([]byte, 0, len(page)/2)); len(z) < len(page) {
		item["z"] = &types.AttributeValueMemberB{Value: z}
		return
	}
	item["v"] = &types.AttributeValueMemberB{Value: bytes.Clone(page)}
}

// page returns the page an item holds (see setPage).
func (c *codec) page(item map[string]types.AttributeValue) ([]byte, error) {
	if z, ok := item["z"].(*types.AttributeValueMemberB); ok {
		page, err := c.dec.DecodeAll(z.Value, nil)
		if errors.Is(err, zstd.ErrDecoderSizeExceeded) || len(page) > maxPageBytes {
			return nil, fmt.Errorf("compressed page above %d bytes", maxPageBytes)
		}
		if err != nil {
			return nil, fmt.Errorf("compressed page: %w", err)
		}
		return page, nil
	}
	if v, ok := item["v"].(*types.AttributeValueMemberB); ok {
		return v.Value, nil
	}
	return nil, fmt.Errorf("bucket item without values")
}

// decodeItem adds the values of a bucket item (see setPage) into b.
func (c *codec) decodeItem(b bucket, item map[string]types.AttributeValue, kind string, neg bool) error {
	page, err := c.page(item)
	if err != nil {
		return err
	}
	return b.decodePage(page, kind, neg)
}

// pages encodes a bucket as its pages (see encodePages).
func (b bucket) pages() [][]byte {
	es := make([]entry, 0, len(b))
	for v, days := range b {
		for d, m := range days {
			es = append(es, entry{value: v, day: d, m: m})
		}
	}
	sortEntries(es)
	return encodePages(es)
}

// encodePages encodes a bucket's entries, sorted by value then day and
// with no (value, day) twice, as its pages: one unless the size calls
// for more, each value on page hash(value) mod the page count, doubling
// the count until every page is under the target. A page with no value
// is nil. A page's bytes depend only on its values, so rewriting the same
// bucket rewrites identical items.
func encodePages(es []entry) [][]byte {
	buf, runs := appendValues(make([]byte, 0, 24*len(es)), nil, es)
	return splitPages(buf, runs)
}

// valueRun is where one value's entries lie in a bucket's encoding.
type valueRun struct {
	value    string
	from, to int
}

// appendValues appends the encoding of a bucket's entries, sorted by
// value then day, to buf, value after value, and each value's span to
// runs.
func appendValues(buf []byte, runs []valueRun, es []entry) ([]byte, []valueRun) {
	for i := 0; i < len(es); {
		j := i + 1
		for j < len(es) && es[j].value == es[i].value {
			j++
		}
		v, from := es[i].value, len(buf)
		buf = binary.AppendUvarint(buf, uint64(len(v)))
		buf = append(buf, v...)
		buf = binary.AppendUvarint(buf, uint64(j-i))
		for _, e := range es[i:j] {
			buf = binary.AppendUvarint(buf, uint64(e.day))
			buf = appendMeasures(buf, e.m)
		}
		runs = append(runs, valueRun{v, from, len(buf)})
		i = j
	}
	return buf, runs
}

// splitPages returns a bucket's encoding (see appendValues) as its pages:
// buf itself when it fits one, else new pages, as encodePages says.
func splitPages(buf []byte, runs []valueRun) [][]byte {
	if len(runs) == 0 {
		return [][]byte{nil}
	}
	count := 1
	for count*pageTarget < len(buf) {
		count *= 2
	}
	if count == 1 {
		return [][]byte{buf}
	}
	for {
		out := make([][]byte, count)
		fits := true
		for _, r := range runs {
			p := pageOf(r.value, count)
			if out[p] = append(out[p], buf[r.from:r.to]...); len(out[p]) > pageTarget && count < maxPages {
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
