package store

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// The view is the one item that decides what queries see: the base
// generation of every month, the files committed since their months were
// last compacted (pending additions), and the folded files that have since
// been replaced or deleted (pending subtractions). A query reads it once
// and then only items it names, so it sees every file wholly or not at
// all, whatever commits and compactions do meanwhile.
const (
	viewPK = "CTRL"
	viewSK = "VIEW"
)

// view is the decoded view item.
type view struct {
	gens  map[string]int64 // month → base generation
	add   map[string]bool  // pending files
	sub   map[string]bool  // files to subtract
	gc    map[string]int64 // file that no longer counts → unix ms it stopped
	gcb   map[string]int64 // base garbage (month#generation) → unix ms it was superseded
	dims  map[string]bool  // dimension#kind pairs that have base items
	next  int64            // last generation handed out
	lease int64            // unix ms until which a compaction holds the view
	owner string
	fly   flight
}

// flight is the compaction under way: the generation it writes and the
// months it writes them for, so that a crashed one's items can be found.
type flight struct {
	gen    int64
	months []string
	dims   []string
}

// ensureView creates the empty view the first time the table is used, so
// that every later edit can address paths inside its maps.
func (s *Store) ensureView(ctx context.Context) error {
	if s.viewReady.Load() {
		return nil
	}
	empty := &types.AttributeValueMemberM{Value: map[string]types.AttributeValue{}}
	item := s.viewKey()
	for _, a := range []string{"gens", "add", "sub", "gc", "gcb", "dims"} {
		item[a] = empty
	}
	item["next"] = numInt(0)
	_, err := s.db.PutItem(ctx, &dynamodb.PutItemInput{TableName: aws.String(s.table), Item: item,
		ConditionExpression: aws.String("attribute_not_exists(pk)")})
	var ccf *types.ConditionalCheckFailedException
	if err != nil && !errors.As(err, &ccf) {
		return fmt.Errorf("create view: %w", err)
	}
	s.viewReady.Store(true)
	return nil
}

// readView reads the view with a strongly consistent GetItem. A table
// without one has an empty view.
func (s *Store) readView(ctx context.Context) (view, error) {
	out, err := s.db.GetItem(ctx, &dynamodb.GetItemInput{TableName: aws.String(s.table), Key: s.viewKey(),
		ConsistentRead: aws.Bool(true)})
	if err != nil {
		return view{}, fmt.Errorf("read view: %w", err)
	}
	return viewOf(out.Item)
}

func viewOf(item map[string]types.AttributeValue) (view, error) {
	var v view
	var err error
	if v.gens, err = numMap(item, "gens"); err != nil {
		return v, err
	}
	if v.gc, err = numMap(item, "gc"); err != nil {
		return v, err
	}
	if v.gcb, err = numMap(item, "gcb"); err != nil {
		return v, err
	}
	v.add, v.sub = keySet(item, "add"), keySet(item, "sub")
	v.dims = keySet(item, "dims")
	if v.next, err = attrInt(item, "next"); err != nil {
		return v, err
	}
	if v.lease, err = attrInt(item, "lease"); err != nil {
		return v, err
	}
	v.owner = attrS(item, "owner")
	if f, ok := item["fly"].(*types.AttributeValueMemberM); ok {
		if v.fly.gen, err = attrInt(f.Value, "g"); err != nil {
			return v, err
		}
		v.fly.months, v.fly.dims = attrList(f.Value, "m"), attrList(f.Value, "d")
	}
	return v, nil
}

// keySet reads the keys of a map attribute used as a set (the values are
// placeholders: the view item must stay small).
func keySet(item map[string]types.AttributeValue, name string) map[string]bool {
	out := map[string]bool{}
	if m, ok := item[name].(*types.AttributeValueMemberM); ok {
		for k := range m.Value {
			out[k] = true
		}
	}
	return out
}

func numMap(item map[string]types.AttributeValue, name string) (map[string]int64, error) {
	out := map[string]int64{}
	m, ok := item[name].(*types.AttributeValueMemberM)
	if !ok {
		return out, nil
	}
	for k, v := range m.Value {
		n, ok := v.(*types.AttributeValueMemberN)
		if !ok {
			return nil, fmt.Errorf("view %s.%s is not a number", name, k)
		}
		x, err := strconv.ParseInt(n.Value, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("view %s.%s: %w", name, k, err)
		}
		out[k] = x
	}
	return out, nil
}

func attrInt(item map[string]types.AttributeValue, name string) (int64, error) {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		return 0, fmt.Errorf("attribute %s: %w", name, err)
	}
	return n, nil
}

// viewEdit builds one UpdateItem of the view: SET and REMOVE clauses on
// paths inside its maps, with placeholder names and values.
type viewEdit struct {
	sets, removes []string
	names, byName map[string]string
	values        map[string]types.AttributeValue
}

func newViewEdit() *viewEdit {
	return &viewEdit{names: map[string]string{}, byName: map[string]string{}, values: map[string]types.AttributeValue{}}
}

// name returns the placeholder of an attribute name or map key, short so
// that long edits stay within DynamoDB's 4 KB expression limit.
func (e *viewEdit) name(n string) string {
	if p, ok := e.byName[n]; ok {
		return p
	}
	p := "#" + strconv.FormatInt(int64(len(e.names)), 36)
	e.names[p] = n
	e.byName[n] = p
	return p
}

func (e *viewEdit) value(v types.AttributeValue) string {
	p := ":" + strconv.FormatInt(int64(len(e.values)), 36)
	e.values[p] = v
	return p
}

// setTop sets a top-level attribute.
func (e *viewEdit) setTop(a string, v types.AttributeValue) {
	e.sets = append(e.sets, e.name(a)+" = "+e.value(v))
}

// set sets map[entry] = v.
func (e *viewEdit) set(m, entry string, v types.AttributeValue) {
	e.sets = append(e.sets, e.name(m)+"."+e.name(entry)+" = "+e.value(v))
}

// remove removes map[entry].
func (e *viewEdit) remove(m, entry string) {
	e.removes = append(e.removes, e.name(m)+"."+e.name(entry))
}

func (e *viewEdit) empty() bool { return len(e.sets) == 0 && len(e.removes) == 0 }

// input returns the UpdateItem input, with an optional condition whose
// placeholders the caller has added through name and value.
func (e *viewEdit) input(s *Store, condition string) *dynamodb.UpdateItemInput {
	var expr []string
	if len(e.sets) > 0 {
		expr = append(expr, "SET "+strings.Join(e.sets, ", "))
	}
	if len(e.removes) > 0 {
		expr = append(expr, "REMOVE "+strings.Join(e.removes, ", "))
	}
	in := &dynamodb.UpdateItemInput{TableName: aws.String(s.table), Key: s.viewKey(),
		UpdateExpression: aws.String(strings.Join(expr, " ")), ExpressionAttributeNames: e.names}
	if len(e.values) > 0 {
		in.ExpressionAttributeValues = e.values
	}
	if condition != "" {
		in.ConditionExpression = aws.String(condition)
	}
	return in
}

// inSet is the placeholder value of a map attribute used as a set.
func inSet() types.AttributeValue { return &types.AttributeValueMemberN{Value: "1"} }

// applyCommit applies the view edits a manifest entry owes, in one
// UpdateItem: its file becomes a pending addition, replaced files leave
// the pending additions (and become garbage) or become subtractions.
func (s *Store) applyCommit(ctx context.Context, objectKey string, e Entry) error {
	if err := s.ensureView(ctx); err != nil {
		return err
	}
	ed := newViewEdit()
	now := numInt(s.now().UnixMilli())
	if e.File != Tombstone && e.File != "" {
		ed.set("add", e.File, inSet())
	}
	for _, f := range e.Unadd {
		if f == e.File {
			continue
		}
		ed.remove("add", f)
		ed.set("gc", f, now)
	}
	for _, f := range e.Subtract {
		ed.set("sub", f, inSet())
	}
	if ed.empty() {
		return nil
	}
	if _, err := s.db.UpdateItem(ctx, ed.input(s, "")); err != nil {
		return fmt.Errorf("update view for %s: %w", objectKey, err)
	}
	return nil
}
