package store

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strconv"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/segment"
)

// This file holds the read paths of the HTTP API beyond Query: several
// period ranges of one dimension under one manifest read, the values of
// dimensions and the lookup of upload ids. Every read is a GetItem or a
// Query on known keys.

// KeyRange is an inclusive range of stored period keys, formatted as the
// grain's periods ("2006-01" for Month, "2006-01-02" for Day).
type KeyRange struct{ From, To string }

// QueryRanges sums the live fragments of a dimension at a grain for each
// key range, as Query does for one range, reading the manifest once: its
// Query plus one paged Query per range. Result i holds range i's rows,
// ordered by period then value. Ranges should not overlap, or their
// fragments are read twice. It reports how many DynamoDB requests it made.
func (s *Store) QueryRanges(ctx context.Context, d segment.Dimension, g aggregate.Grain, ranges []KeyRange) ([][]Row, int, error) {
	live, requests, err := s.LiveFiles(ctx)
	if err != nil {
		return nil, requests, err
	}
	out := make([][]Row, len(ranges))
	for i, r := range ranges {
		rows, n, err := s.queryLive(ctx, live, d, g, r)
		requests += n
		if err != nil {
			return nil, requests, err
		}
		out[i] = rows
	}
	return out, requests, nil
}

// queryLive is Query's paged read of one key range, given the live files.
// It projects only the attributes it decodes.
func (s *Store) queryLive(ctx context.Context, live map[string]bool, d segment.Dimension, g aggregate.Grain, r KeyRange) ([]Row, int, error) {
	pk := aggPK(d, g)
	sums := map[[2]string]*aggregate.Measures{}
	var order [][2]string
	var start map[string]types.AttributeValue
	requests := 0
	for {
		out, err := s.db.Query(ctx, &dynamodb.QueryInput{
			TableName:              aws.String(s.table),
			KeyConditionExpression: aws.String("pk = :pk AND sk BETWEEN :from AND :to"),
			ProjectionExpression:   aws.String("#p, #v, #f, #r, #c, #u, #l, #o, #cl, #w, #lo, #cy, #cd, #wr"),
			ExpressionAttributeNames: map[string]string{"#p": "p", "#v": "v", "#f": "f",
				"#r": "rev", "#c": "cost", "#u": "units", "#l": "lines", "#o": "orders", "#cl": "clines",
				"#w": "won", "#lo": "lost", "#cy": "cyc", "#cd": "cycd", "#wr": "wrev"},
			ExpressionAttributeValues: map[string]types.AttributeValue{
				":pk": str(pk), ":from": str(r.From), ":to": str(r.To + "$")},
			ExclusiveStartKey: start,
		})
		requests++
		if err != nil {
			return nil, requests, fmt.Errorf("query %s %s..%s: %w", pk, r.From, r.To, err)
		}
		for _, item := range out.Items {
			if !live[attrS(item, "f")] {
				continue
			}
			m, err := decodeFragment(item)
			if err != nil {
				return nil, requests, fmt.Errorf("decode %s %s: %w", pk, attrS(item, "p"), err)
			}
			k := [2]string{attrS(item, "p"), attrS(item, "v")}
			cur, ok := sums[k]
			if !ok {
				sums[k] = &m
				order = append(order, k)
				continue
			}
			if err := cur.Add(m); err != nil {
				return nil, requests, err
			}
		}
		if len(out.LastEvaluatedKey) == 0 {
			break
		}
		start = out.LastEvaluatedKey
	}
	rows := make([]Row, 0, len(order))
	for _, k := range order {
		rows = append(rows, Row{Period: k[0], Value: k[1], Measures: *sums[k]})
	}
	return rows, requests, nil
}

// decodeFragment decodes a fragment's measures without per-item
// allocations (the API's hot path decodes thousands).
func decodeFragment(item map[string]types.AttributeValue) (aggregate.Measures, error) {
	var m aggregate.Measures
	var err error
	if m.Revenue, err = attrDec(item, "rev"); err != nil {
		return m, err
	}
	if m.Cost, err = attrDec(item, "cost"); err != nil {
		return m, err
	}
	if m.Units, err = attrDec(item, "units"); err != nil {
		return m, err
	}
	if m.Lines, err = attrInt(item, "lines"); err != nil {
		return m, err
	}
	if m.Orders, err = attrInt(item, "orders"); err != nil {
		return m, err
	}
	if m.CostLines, err = attrInt(item, "clines"); err != nil {
		return m, err
	}
	if m.Won, err = attrInt(item, "won"); err != nil {
		return m, err
	}
	if m.Lost, err = attrInt(item, "lost"); err != nil {
		return m, err
	}
	if m.Cycled, err = attrInt(item, "cyc"); err != nil {
		return m, err
	}
	if m.CycleDays, err = attrInt(item, "cycd"); err != nil {
		return m, err
	}
	if m.WonRevenue, err = attrDec(item, "wrev"); err != nil {
		return m, err
	}
	return m, nil
}

// attrInt reads a whole-number attribute; 0 when absent.
func attrInt(item map[string]types.AttributeValue, name string) (int64, error) {
	v, ok := item[name].(*types.AttributeValueMemberN)
	if !ok {
		return 0, nil
	}
	n, err := strconv.ParseInt(v.Value, 10, 64)
	if err != nil {
		d, derr := attrDec(item, name) // "5.0" is a whole number too
		if derr != nil {
			return 0, derr
		}
		var ok bool
		if n, _, ok = d.Int64(0); !ok {
			return 0, fmt.Errorf("attribute %s: %s is not an integer", name, v.Value)
		}
	}
	return n, nil
}

// ValueSpan is one value of a dimension with live month data: the first
// and last month ("2006-01") it has data in.
type ValueSpan struct {
	Value       string
	First, Last string
}

// Values lists, per dimension, the values that have live month data, sorted
// by value, from one read of the manifest and one paged Query per dimension
// over all months that reads only keys and file ids. Dimensions without
// data map to an empty slice. It reports how many DynamoDB requests it
// made.
func (s *Store) Values(ctx context.Context, dims ...segment.Dimension) (map[segment.Dimension][]ValueSpan, int, error) {
	live, requests, err := s.LiveFiles(ctx)
	if err != nil {
		return nil, requests, err
	}
	out := make(map[segment.Dimension][]ValueSpan, len(dims))
	for _, d := range dims {
		pk := aggPK(d, aggregate.Month)
		spans := map[string]*ValueSpan{}
		var start map[string]types.AttributeValue
		for {
			res, err := s.db.Query(ctx, &dynamodb.QueryInput{
				TableName:                 aws.String(s.table),
				KeyConditionExpression:    aws.String("pk = :pk"),
				ProjectionExpression:      aws.String("#p, #v, #f"),
				ExpressionAttributeNames:  map[string]string{"#p": "p", "#v": "v", "#f": "f"},
				ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(pk)},
				ExclusiveStartKey:         start,
			})
			requests++
			if err != nil {
				return nil, requests, fmt.Errorf("list values of %s: %w", pk, err)
			}
			for _, item := range res.Items {
				if !live[attrS(item, "f")] {
					continue
				}
				v, p := attrS(item, "v"), attrS(item, "p")
				sp, ok := spans[v]
				if !ok {
					spans[v] = &ValueSpan{Value: v, First: p, Last: p}
					continue
				}
				sp.First, sp.Last = min(sp.First, p), max(sp.Last, p)
			}
			if len(res.LastEvaluatedKey) == 0 {
				break
			}
			start = res.LastEvaluatedKey
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

// UploadID returns the id of the upload of one object version: the file id
// ingestion derives from the bucket, key and S3 version id, and so the id
// GET /v1/uploads/{id} takes. It must stay equal to ingest.FileID for a
// versioned bucket (a test in internal/api checks this).
func UploadID(bucket, key, version string) string {
	h := sha256.Sum256([]byte(bucket + "\x00" + key + "\x00" + version))
	return hex.EncodeToString(h[:12])
}
