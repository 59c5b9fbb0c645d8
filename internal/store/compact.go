package store

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// ErrBusy means another compaction holds the view's lease; the files it
// leaves pending are folded by the next one.
var ErrBusy = errors.New("another compaction is under way")

// Compaction limits. The lease outlives any compaction of maxFold files;
// Grace outlives any query, so a query that read the view finds every item
// the view named (superseded items are deleted only after it).
const (
	leaseTime = 10 * time.Minute
	// Grace is how long superseded base items and the fragments of files
	// that no longer count are kept before compaction deletes them.
	Grace = 5 * time.Minute
	// maxFold bounds the files one compaction takes on, so that its
	// publishing update stays within DynamoDB's 4 KB expression limit.
	maxFold = 40
)

// Compaction reports what one Compact call did.
type Compaction struct {
	Folded     int // pending files folded into the base
	Subtracted int // replaced or deleted files taken out of the base
	Months     int // months given a new base generation
	Items      int // base items written
	Collected  int // garbage entries whose items were deleted
	// Pending counts the files left pending for a later compaction (over
	// the per-run limit, or whose commit is still under way).
	Pending int
}

// Compact folds the pending files of the view into the base, so that a
// query reads a bounded number of items per dimension and month however
// many files were uploaded:
//
//  1. take the view's lease (ErrBusy if another compaction holds it) and a
//     new generation number;
//  2. delete what became garbage more than Grace ago: fragments of files
//     that no longer count, superseded base generations, the items of a
//     compaction that crashed;
//  3. read the fragments of the pending additions and subtractions whose
//     objects' commits are finished, and the base of the months they touch;
//  4. write those months' new base (the old one plus additions minus
//     subtractions) under the new generation, invisible until published;
//  5. mark each folded file in its manifest entry, so that a later
//     version subtracts it (a file replaced meanwhile is subtracted here);
//  6. publish: one UpdateItem of the view switches the months to the new
//     generation and takes the folded files out of the pending sets.
//
// A crash at any point leaves the view as it was, or published; the next
// compaction (after the lease runs out) cleans up and folds again. Folding
// never changes what a query sees.
func (s *Store) Compact(ctx context.Context) (Compaction, error) {
	var c Compaction
	if err := s.ensureView(ctx); err != nil {
		return c, err
	}
	now := s.now()
	owner, err := leaseOwner()
	if err != nil {
		return c, err
	}
	out, err := s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:        aws.String(s.table),
		Key:              s.viewKey(),
		UpdateExpression: aws.String("SET #l = :until, #o = :me ADD #n :one"),
		// Our own owner id passes too: the SDK retries a call whose answer
		// was lost, and that retry must not find our lease and give up with
		// it held (every compaction then skipped until it ran out).
		ConditionExpression:      aws.String("attribute_not_exists(#l) OR #l < :now OR #o = :me"),
		ExpressionAttributeNames: map[string]string{"#l": "lease", "#o": "owner", "#n": "next"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":until": numInt(now.Add(leaseTime).UnixMilli()),
			":me": str(owner), ":one": numInt(1), ":now": numInt(now.UnixMilli())},
		ReturnValues: types.ReturnValueAllNew,
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return c, ErrBusy
	}
	if err != nil {
		// The lease may have been taken all the same.
		(&compaction{s: s, owner: owner}).release(ctx)
		return c, fmt.Errorf("take compaction lease: %w", err)
	}
	v, err := viewOf(out.Attributes)
	if err != nil {
		return c, err
	}
	cp := &compaction{s: s, v: v, owner: owner, gen: v.next, now: now, edit: newViewEdit()}
	if err := cp.run(ctx, &c); err != nil {
		cp.release(ctx)
		return c, err
	}
	return c, nil
}

func leaseOwner() (string, error) {
	b := make([]byte, 8)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("lease owner id: %w", err)
	}
	return hex.EncodeToString(b), nil
}

// compaction is one Compact call's state.
type compaction struct {
	s     *Store
	v     view
	owner string
	gen   int64
	now   time.Time
	edit  *viewEdit // the publishing update, built up as work is done
}

// release gives the lease back after a failure, so that a retry need not
// wait for it to run out. It is best effort: the lease expires anyway. It
// outlives ctx, because a cancelled or timed-out caller is the usual
// failure and would otherwise leave the lease held for leaseTime.
func (cp *compaction) release(ctx context.Context) {
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	_, _ = cp.s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(cp.s.table),
		Key:                       cp.s.viewKey(),
		UpdateExpression:          aws.String("REMOVE #l, #o"),
		ConditionExpression:       aws.String("#o = :me"),
		ExpressionAttributeNames:  map[string]string{"#l": "lease", "#o": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":me": str(cp.owner)},
	})
}

func (cp *compaction) run(ctx context.Context, c *Compaction) error {
	if cp.v.fly.gen != 0 {
		// A compaction crashed after writing some items of its generation.
		for _, m := range cp.v.fly.months {
			cp.v.gcb[baseGarbage(m, cp.v.fly.gen)] = cp.now.UnixMilli() - Grace.Milliseconds()
		}
		for _, d := range cp.v.fly.dims {
			cp.v.dims[d] = true
		}
	}
	if err := cp.collect(ctx, c); err != nil {
		return err
	}
	adds, subs, err := cp.eligible(ctx)
	if err != nil {
		return err
	}
	c.Pending = len(cp.v.add) + len(cp.v.sub) - len(adds) - len(subs)
	if len(adds)+len(subs) > 0 {
		if err := cp.fold(ctx, adds, subs, c); err != nil {
			return err
		}
	}
	return cp.publish(ctx)
}

// baseGarbage is the garbage id of one month's items of one generation.
func baseGarbage(month string, gen int64) string { return month + "#" + strconv.FormatInt(gen, 10) }

// collect deletes the garbage that has been garbage longer than Grace:
// fragments of files that no longer count (unless a pending set names them
// again) and base items of superseded or abandoned generations.
func (cp *compaction) collect(ctx context.Context, c *Compaction) error {
	due := cp.now.Add(-Grace).UnixMilli()
	for f, t := range cp.v.gc {
		if t > due {
			continue
		}
		if _, ok := cp.v.add[f]; ok {
			continue
		}
		if _, ok := cp.v.sub[f]; ok {
			continue
		}
		if err := cp.s.DeleteFragments(ctx, f); err != nil {
			return err
		}
		cp.edit.remove("gc", f)
		c.Collected++
	}
	gone := map[string]map[int64]bool{} // month → generations to delete
	var lo, hi string
	for id, t := range cp.v.gcb {
		if t > due {
			continue
		}
		month, g, _ := strings.Cut(id, "#")
		gen, err := strconv.ParseInt(g, 10, 64)
		if err != nil {
			return fmt.Errorf("garbage id %q: %w", id, err)
		}
		if gone[month] == nil {
			gone[month] = map[int64]bool{}
		}
		gone[month][gen] = true
		if lo == "" || month < lo {
			lo = month
		}
		hi = max(hi, month)
		delete(cp.v.gcb, id)
		c.Collected++
	}
	if len(gone) == 0 {
		return nil
	}
	var reqs []types.WriteRequest
	for _, dk := range sortedKeys(cp.v.dims) {
		dim, kind, _ := strings.Cut(dk, "#")
		err := cp.s.queryPages(ctx, &dynamodb.QueryInput{
			TableName:              aws.String(cp.s.table),
			KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :from AND :to"),
			ProjectionExpression:   aws.String("pk, sk"),
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": str(cp.s.basePK(dim, kind)), ":from": str(lo + "#"), ":to": str(hi + "#~")},
		}, func(item map[string]types.AttributeValue) error {
			if month, gen, ok := parseBaseSK(attrS(item, "sk")); ok && gone[month][gen] {
				reqs = append(reqs, types.WriteRequest{DeleteRequest: &types.DeleteRequest{Key: key(attrS(item, "pk"), attrS(item, "sk"))}})
			}
			return nil
		}, nil)
		if err != nil {
			return fmt.Errorf("list superseded base items of %s: %w", dk, err)
		}
	}
	return cp.s.batchWrite(ctx, reqs)
}

// eligible returns the pending additions and subtractions compaction may
// fold: those whose object's commit has finished (its entry is viewed), at
// most maxFold files.
func (cp *compaction) eligible(ctx context.Context) (adds, subs map[string]string, err error) {
	viewed := map[string]bool{}
	pick := func(set map[string]bool, into map[string]string, budget *int) error {
		for _, f := range sortedKeys(set) {
			if *budget == 0 {
				return nil
			}
			meta, err := cp.s.readFileMeta(ctx, f)
			obj := meta.object
			if err != nil {
				return err
			}
			if obj == "" {
				// Fragments already collected: nothing left to fold.
				into[f] = ""
				*budget--
				continue
			}
			ok, seen := viewed[obj]
			if !seen {
				e, exists, err := cp.s.Object(ctx, obj)
				if err != nil {
					return err
				}
				ok = exists && e.Viewed
				viewed[obj] = ok
			}
			if ok {
				into[f] = obj
				*budget--
			}
		}
		return nil
	}
	adds, subs = map[string]string{}, map[string]string{}
	budget := maxFold
	if err := pick(cp.v.sub, subs, &budget); err != nil {
		return nil, nil, err
	}
	if err := pick(cp.v.add, adds, &budget); err != nil {
		return nil, nil, err
	}
	return adds, subs, nil
}

// fold writes the new base of every month the files touch and decides the
// view edits that publish it.
func (cp *compaction) fold(ctx context.Context, adds, subs map[string]string, c *Compaction) error {
	delta := map[bucketID]bucket{}
	for _, set := range []struct {
		files map[string]string
		neg   bool
	}{{adds, false}, {subs, true}} {
		for _, f := range sortedKeys(set.files) {
			bs, err := cp.s.fileBuckets(ctx, f, set.neg)
			if err != nil {
				return err
			}
			for id, b := range bs {
				cur, ok := delta[id]
				if !ok {
					delta[id] = b
					continue
				}
				if err := cur.merge(b); err != nil {
					return err
				}
			}
		}
	}
	months := map[string]bool{}
	dims := map[string]bool{}
	for id := range delta {
		months[id.month] = true
		dims[id.dim+"#"+id.kind] = true
	}
	for dk := range cp.v.dims {
		dims[dk] = true
	}
	monthList, dimList := sortedKeys(months), sortedKeys(dims)
	if len(monthList) == 0 {
		// Only files without buckets (customers and spend files, which
		// change no aggregate): no base to write, only the view to settle.
		return cp.settle(ctx, adds, subs, c)
	}
	if err := cp.fly(ctx, monthList, dimList); err != nil {
		return err
	}
	for _, dk := range dimList {
		dim, kind, _ := strings.Cut(dk, "#")
		base, err := cp.base(ctx, dim, kind, months, monthList[0], monthList[len(monthList)-1])
		if err != nil {
			return err
		}
		var reqs []types.WriteRequest
		for _, m := range monthList {
			b := base[m]
			if b == nil {
				b = bucket{}
			}
			if d := delta[bucketID{dim: dim, kind: kind, month: m}]; d != nil {
				if err := b.merge(d); err != nil {
					return err
				}
			}
			b.prune()
			for p, page := range b.pages() {
				if page == nil {
					continue
				}
				item := key(cp.s.basePK(dim, kind), baseSK(m, cp.gen, p))
				cp.s.codec.setPage(item, page)
				reqs = append(reqs, types.WriteRequest{PutRequest: &types.PutRequest{Item: item}})
			}
		}
		if err := cp.s.batchWrite(ctx, reqs); err != nil {
			return err
		}
		c.Items += len(reqs)
		cp.v.dims[dk] = true
	}
	for _, m := range monthList {
		if old := cp.v.gens[m]; old != 0 {
			cp.v.gcb[baseGarbage(m, old)] = cp.now.UnixMilli()
		}
		cp.v.gens[m] = cp.gen
	}
	c.Months = len(monthList)
	return cp.settle(ctx, adds, subs, c)
}

// fly records the generation being written and where, before any of its
// items is, so that a crash leaves them findable.
func (cp *compaction) fly(ctx context.Context, months, dims []string) error {
	_, err := cp.s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                aws.String(cp.s.table),
		Key:                      cp.s.viewKey(),
		UpdateExpression:         aws.String("SET #f = :fly"),
		ConditionExpression:      aws.String("#o = :me"),
		ExpressionAttributeNames: map[string]string{"#f": "fly", "#o": "owner"},
		ExpressionAttributeValues: map[string]types.AttributeValue{":me": str(cp.owner), ":fly": &types.AttributeValueMemberM{
			Value: map[string]types.AttributeValue{"g": numInt(cp.gen), "m": strList(months), "d": strList(dims)}}},
	})
	if err != nil {
		return fmt.Errorf("record compaction: %w", err)
	}
	return nil
}

// base reads the current base buckets of one dimension and kind for the
// given months, with one paged Query over their span.
func (cp *compaction) base(ctx context.Context, dim, kind string, months map[string]bool, from, to string) (map[string]bucket, error) {
	out := map[string]bucket{}
	err := cp.s.queryPages(ctx, &dynamodb.QueryInput{
		TableName:              aws.String(cp.s.table),
		KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :from AND :to"),
		ExpressionAttributeValues: map[string]types.AttributeValue{
			":pk": str(cp.s.basePK(dim, kind)), ":from": str(from + "#"), ":to": str(to + "#~")},
	}, func(item map[string]types.AttributeValue) error {
		month, gen, ok := parseBaseSK(attrS(item, "sk"))
		if !ok || !months[month] || gen != cp.v.gens[month] {
			return nil
		}
		b, ok := out[month]
		if !ok {
			b = bucket{}
			out[month] = b
		}
		return cp.s.codec.decodeItem(b, item, kind, false)
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("read base %s#%s: %w", dim, kind, err)
	}
	return out, nil
}

// settle marks the folded files in their manifest entries and decides the
// pending-set edits that go with publishing. After publishing, the base
// holds a file iff it was added and not subtracted here; the view must
// then add it nowhere and subtract it iff it no longer counts.
func (cp *compaction) settle(ctx context.Context, adds, subs map[string]string, c *Compaction) error {
	now := numInt(cp.now.UnixMilli())
	files := map[string]string{}
	for f, o := range adds {
		files[f] = o
	}
	for f, o := range subs {
		files[f] = o
	}
	for _, f := range sortedKeys(files) {
		_, added := adds[f]
		_, subtracted := subs[f]
		if added {
			cp.edit.remove("add", f)
		}
		if subtracted {
			cp.edit.remove("sub", f)
			c.Subtracted++
		}
		if files[f] == "" {
			continue // its fragments are gone: it counts nowhere
		}
		if !added || subtracted {
			cp.edit.set("gc", f, now)
			continue
		}
		c.Folded++
		live, err := cp.mark(ctx, files[f], f)
		if err != nil {
			return err
		}
		if !live {
			cp.edit.set("sub", f, inSet())
		}
	}
	return nil
}

// mark records in an object's manifest entry that its live file is now in
// the base. It reports false when the file is no longer the object's live
// one (a newer version's commit got in first).
func (cp *compaction) mark(ctx context.Context, objectKey, file string) (bool, error) {
	_, err := cp.s.db.UpdateItem(ctx, &dynamodb.UpdateItemInput{
		TableName:                 aws.String(cp.s.table),
		Key:                       key(cp.s.pk(manifestPK), objectSK(objectKey)),
		UpdateExpression:          aws.String("SET fd = :f"),
		ConditionExpression:       aws.String("f = :f AND vu = :t"),
		ExpressionAttributeValues: map[string]types.AttributeValue{":f": str(file), ":t": &types.AttributeValueMemberBOOL{Value: true}},
	})
	var ccf *types.ConditionalCheckFailedException
	if errors.As(err, &ccf) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("mark %s folded: %w", file, err)
	}
	return true, nil
}

// publish applies the collected edits and gives the lease back, in one
// UpdateItem conditioned on still holding the lease.
func (cp *compaction) publish(ctx context.Context) error {
	ed := cp.edit
	// The months' generations, the base garbage and the dimensions are
	// written only under the lease, so they are replaced whole.
	ed.setTop("gens", numMapValue(cp.v.gens))
	ed.setTop("gcb", numMapValue(cp.v.gcb))
	dims := map[string]types.AttributeValue{}
	for d := range cp.v.dims {
		dims[d] = inSet()
	}
	ed.setTop("dims", &types.AttributeValueMemberM{Value: dims})
	ed.removes = append(ed.removes, ed.name("fly"), ed.name("lease"), ed.name("owner"))
	cond := ed.name("owner") + " = " + ed.value(str(cp.owner))
	if _, err := cp.s.db.UpdateItem(ctx, ed.input(cp.s, cond)); err != nil {
		return fmt.Errorf("publish compaction: %w", err)
	}
	return nil
}

func numMapValue(m map[string]int64) types.AttributeValue {
	out := make(map[string]types.AttributeValue, len(m))
	for k, v := range m {
		out[k] = numInt(v)
	}
	return &types.AttributeValueMemberM{Value: out}
}
