package store

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb"
	"github.com/aws/aws-sdk-go-v2/service/dynamodb/types"
)

// UploadsIndex is the global secondary index that lists the upload
// history: partition key UploadsIndexPK, always "UPLOADS", and sort key
// UploadsIndexSK, "<started_at>#<upload id>". Every upload status item
// carries both, written by the same PutItem that writes the status (and
// so under the same condition), so the index holds each upload exactly
// once, where its latest attempt started. template.yaml and the local
// emulators create the index with every attribute projected.
const (
	UploadsIndex   = "uploads"
	UploadsIndexPK = "upk"
	UploadsIndexSK = "usk"
	uploadsPK      = "UPLOADS"
)

// uploadItem is the status item of u with its encoding body: keys, the
// status and deadline that conditional writes test, and the history
// index's keys.
func uploadItem(u Upload, body []byte) map[string]types.AttributeValue {
	item := map[string]types.AttributeValue{
		"pk": str("UPLOAD#" + u.ID), "sk": str("STATUS"), "status": str(u.Status), "body": str(string(body)),
		UploadsIndexPK: str(uploadsPK), UploadsIndexSK: str(u.Started + "#" + u.ID),
	}
	if u.Deadline != "" {
		item["deadline"] = str(u.Deadline)
	}
	return item
}

// UploadQuery selects one page of the upload history.
type UploadQuery struct {
	// After is the Next of the previous page; "" starts at the newest
	// upload.
	After string
	// Statuses keeps only uploads stored with one of these statuses; none
	// keeps every upload. A stored processing upload may read failed (see
	// Upload.At): callers filtering on the status as it reads ask for
	// both and check each upload.
	Statuses []string
	// Limit is the most uploads a page holds, at least 1.
	Limit int
}

// UploadPage is one page of the upload history.
type UploadPage struct {
	// Uploads are newest first: by start time, then by id, descending.
	Uploads []Upload
	// Next is where the following page starts, to pass as
	// UploadQuery.After; "" when no upload follows.
	Next string
}

// maxUploadPages bounds the Query pages one ListUploads call reads, so a
// status that few uploads have never makes one call read the whole
// history: the page is then short (even empty) and Next says where to
// go on.
const maxUploadPages = 8

// ListUploads returns a page of the upload history, newest first, with
// one Query of UploadsIndex per page of items read (see maxUploadPages),
// never a Scan. The int counts DynamoDB requests. Index reads are
// eventually consistent: a status written a moment ago may read as it
// was. Errors are DynamoDB's, wrapped, or a corrupt status item.
func (s *Store) ListUploads(ctx context.Context, q UploadQuery) (UploadPage, int, error) {
	if q.Limit < 1 {
		return UploadPage{}, 0, fmt.Errorf("list uploads: limit %d, want at least 1", q.Limit)
	}
	in := &dynamodb.QueryInput{
		TableName:                 aws.String(s.table),
		IndexName:                 aws.String(UploadsIndex),
		KeyConditionExpression:    aws.String("#pk = :pk"),
		ExpressionAttributeNames:  map[string]string{"#pk": UploadsIndexPK},
		ExpressionAttributeValues: map[string]types.AttributeValue{":pk": str(uploadsPK)},
		ScanIndexForward:          aws.Bool(false),
	}
	if q.After != "" {
		in.KeyConditionExpression = aws.String("#pk = :pk AND #sk < :after")
		in.ExpressionAttributeNames["#sk"] = UploadsIndexSK
		in.ExpressionAttributeValues[":after"] = str(q.After)
	}
	if len(q.Statuses) > 0 {
		names := make([]string, len(q.Statuses))
		for i, st := range q.Statuses {
			names[i] = fmt.Sprintf(":s%d", i)
			in.ExpressionAttributeValues[names[i]] = str(st)
		}
		in.FilterExpression = aws.String("#status IN (" + strings.Join(names, ", ") + ")")
		in.ExpressionAttributeNames["#status"] = "status"
	}
	var page UploadPage
	var sks []string
	for requests := 1; ; requests++ {
		// One more than needed tells whether another page follows.
		in.Limit = aws.Int32(int32(q.Limit + 1 - len(page.Uploads)))
		out, err := s.db.Query(ctx, in)
		if err != nil {
			return UploadPage{}, requests, fmt.Errorf("list uploads: %w", err)
		}
		for _, item := range out.Items {
			var u Upload
			if err := json.Unmarshal([]byte(attrS(item, "body")), &u); err != nil {
				return UploadPage{}, requests, fmt.Errorf("decode upload %s: %w", attrS(item, "pk"), err)
			}
			page.Uploads = append(page.Uploads, u)
			sks = append(sks, attrS(item, UploadsIndexSK))
		}
		switch {
		case len(page.Uploads) > q.Limit:
			page.Uploads = page.Uploads[:q.Limit]
			page.Next = sks[q.Limit-1]
			return page, requests, nil
		case len(out.LastEvaluatedKey) == 0:
			return page, requests, nil
		case requests == maxUploadPages:
			page.Next = attrS(out.LastEvaluatedKey, UploadsIndexSK)
			return page, requests, nil
		}
		in.ExclusiveStartKey = out.LastEvaluatedKey
	}
}
