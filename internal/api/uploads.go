package api

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"regexp"
	"sort"
	"strings"
	"time"
	"unicode"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"golang.org/x/text/unicode/norm"

	"github.com/salesseg/salesseg/internal/dataset"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/store"
)

// TransactionsPrefix is where uploaded sales files go; ingestion watches it.
const TransactionsPrefix = history.TransactionsPrefix

// uploadKind is a kind of file POST /v1/uploads takes: where in a
// dataset it goes.
type uploadKind struct {
	name string
	// prefix is the folder of the kind's files, relative to a dataset's
	// root; key, when set, is the one key an upload of the kind gets (a
	// mapping's prefix holds the per-file mappings, not uploaded through
	// the API).
	prefix, key string
}

// uploadKinds lists the kinds, the default first.
func uploadKinds() []uploadKind {
	return []uploadKind{
		{name: "transactions", prefix: history.TransactionsPrefix},
		{name: "customers", prefix: history.CustomersPrefix},
		{name: "products", prefix: history.ProductsPrefix},
		{name: "teams", prefix: history.TeamsPrefix},
		{name: "spend", prefix: history.SpendPrefix},
		{name: "mapping", key: history.MappingKey, prefix: history.MappingsPrefix},
	}
}

// kindOf returns the kind of an object key and its dataset, and false
// for a key no upload has.
func kindOf(key string) (kind uploadKind, ds string, ok bool) {
	ds, rel, ok := dataset.Of(key)
	if !ok {
		return uploadKind{}, "", false
	}
	for _, k := range uploadKinds() {
		if k.key != "" && rel == k.key || len(rel) > len(k.prefix) && strings.HasPrefix(rel, k.prefix) {
			return k, ds, true
		}
	}
	return uploadKind{}, "", false
}

// uploadExpiry is how long a presigned upload URL works.
const uploadExpiry = 15 * time.Minute

// Upload is an upload's status, as GET /v1/uploads/{id} reports it.
type Upload struct {
	ID  string `json:"id"`
	Key string `json:"key"`
	// Dataset and Kind follow from the key: the dataset the file belongs
	// to and what kind of file it is (transactions, customers, …).
	Dataset    *string `json:"dataset"`
	Kind       *string `json:"kind"`
	Version    *string `json:"version"`
	Status     string  `json:"status"`
	Rows       int64   `json:"rows"`
	Accepted   int64   `json:"accepted"`
	Rejected   int64   `json:"rejected"`
	RejectsKey *string `json:"rejects_key"`
	// RejectsURL is a presigned GET of the rejects file, valid for
	// uploadExpiry, so a browser can download it without AWS credentials.
	RejectsURL *string `json:"rejects_url"`
	// Replaced is the upload whose data this one replaced: the key's live
	// upload when this one was committed.
	Replaced   *string         `json:"replaced"`
	Format     json.RawMessage `json:"format"`
	Error      *string         `json:"error"`
	StartedAt  string          `json:"started_at"`
	FinishedAt *string         `json:"finished_at"`
}

// uploadJSON converts a stored status as it stands now (a processing
// upload past its deadline reads failed, see store.Upload.At), signing a
// download link for its rejects file when there is one and a bucket to
// sign for.
func (s *Service) uploadJSON(ctx context.Context, u store.Upload) (*Upload, error) {
	out := uploadFields(u.At(s.now()))
	if out.RejectsKey != nil && s.presign != nil && s.bucket != "" {
		req, err := s.presign.PresignGetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.bucket), Key: out.RejectsKey},
			func(o *s3.PresignOptions) { o.Expires = uploadExpiry })
		if err != nil {
			return nil, fmt.Errorf("presign rejects %s: %w", *out.RejectsKey, err)
		}
		out.RejectsURL = &req.URL
	}
	return &out, nil
}

// opt is s, or nil (null) when s is empty.
func opt(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func uploadFields(u store.Upload) Upload {
	out := Upload{ID: u.ID, Key: u.Key, Version: opt(u.Version), Status: u.Status, Rows: u.Rows, Accepted: u.Accepted,
		Rejected: u.Rejected, RejectsKey: opt(u.RejectsKey), Format: u.Format, Error: opt(u.Error),
		StartedAt: u.Started, FinishedAt: opt(u.Finished), Replaced: opt(u.Replaced)}
	if k, ds, ok := kindOf(u.Key); ok {
		out.Kind, out.Dataset = &k.name, &ds
	}
	if len(out.Format) == 0 || !json.Valid(out.Format) {
		out.Format = json.RawMessage("null")
	}
	return out
}

var uploadID = regexp.MustCompile(`^[0-9a-f]{24}$`)

// uploadStatus answers GET /v1/uploads/{id}.
func (s *Service) uploadStatus(ctx context.Context, id string) (*Upload, error) {
	if !uploadID.MatchString(id) {
		return nil, &Error{Status: http.StatusNotFound, Detail: "Upload ids are 24 lower-case hexadecimal characters."}
	}
	u, err := s.r.GetUpload(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Status: http.StatusNotFound, Detail: fmt.Sprintf("No upload with id %s.", id)}
	}
	if err != nil {
		return nil, err
	}
	return s.uploadJSON(ctx, u)
}

type uploadLookup struct{ key, version string }

var versionID = regexp.MustCompile(`^[A-Za-z0-9._+/=-]{1,200}$`)

func decodeUploadLookup(q query) (uploadLookup, error) {
	in := uploadLookup{key: q["key"], version: q["version"]}
	for _, p := range []string{"limit", "cursor", "status"} {
		if _, ok := q[p]; ok {
			return in, badRequest("Parameter %s pages the upload history, which key leaves: ask without key.", p)
		}
	}
	if in.key == "" {
		return in, badRequest("Parameter key is required: the object key POST /v1/uploads returned, e.g. key=%ssales.csv.", TransactionsPrefix)
	}
	if _, _, ok := kindOf(in.key); !ok || len(in.key) > maxKeyBytes {
		return in, badRequest("Parameter key must name an object under %s (or customers/, products/, teams/, spend/, config/, in a dataset's folder), got %s.", TransactionsPrefix, quote(in.key))
	}
	if _, ok := q["version"]; ok && !versionID.MatchString(in.version) {
		return in, badRequest("Parameter version must be an S3 version id (the x-amz-version-id header of the upload response).")
	}
	return in, nil
}

// latestUpload answers GET /v1/uploads?key=...[&version=...]. With version
// it finds that version's status (the id is derived from bucket, key and
// version, as ingestion derives it); without, the status of the key's live
// version from the manifest.
func (s *Service) latestUpload(ctx context.Context, in uploadLookup) (*Upload, error) {
	if s.bucket == "" {
		return nil, &Error{Status: http.StatusServiceUnavailable, Detail: "Uploads are not configured on this deployment (no bucket)."}
	}
	id := ""
	if in.version == "" {
		// The current version is the one the uploader just put: its
		// status is there while it is processing and after it failed,
		// which the manifest (ingested uploads only) cannot show.
		v, err := s.currentVersion(ctx, in.key)
		if err != nil {
			return nil, err
		}
		in.version = v
	}
	if in.version != "" {
		id = store.UploadID(s.bucket, in.key, in.version)
	} else {
		_, ds, _ := kindOf(in.key)
		e, ok, err := s.readerOf(ds).Object(ctx, in.key)
		if err != nil {
			return nil, err
		}
		switch {
		case !ok:
			return nil, &Error{Status: http.StatusNotFound, Detail: fmt.Sprintf("No upload of %s has been ingested successfully yet; with version (the x-amz-version-id of your upload) you also see uploads in progress or failed.", quote(in.key))}
		case e.File == store.Tombstone:
			return nil, &Error{Status: http.StatusNotFound, Detail: fmt.Sprintf("%s was deleted; its data no longer counts.", quote(in.key))}
		}
		id = e.File
	}
	u, err := s.r.GetUpload(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return nil, &Error{Status: http.StatusNotFound, Detail: fmt.Sprintf("No status yet for this version of %s: ingestion starts within seconds of the upload; ask again shortly.", quote(in.key))}
	}
	if err != nil {
		return nil, err
	}
	return s.uploadJSON(ctx, u)
}

// readerOf returns the reader of the named dataset, for routes that take
// the dataset from an object key rather than a parameter.
func (s *Service) readerOf(ds string) Reader {
	if ds == dataset.Default || s.datasets == nil {
		return s.r
	}
	r, _ := s.datasets.Open(ds)
	return r
}

// currentVersion returns the version id of key's current object, or ""
// when there is none (no such key, a delete marker on top) or no version
// lister was configured.
func (s *Service) currentVersion(ctx context.Context, key string) (string, error) {
	if s.versions == nil {
		return "", nil
	}
	out, err := s.versions.ListObjectVersions(ctx, &s3.ListObjectVersionsInput{Bucket: aws.String(s.bucket), Prefix: aws.String(key), MaxKeys: aws.Int32(maxVersionsRead)})
	if err != nil {
		return "", fmt.Errorf("list versions of %s: %w", key, err)
	}
	for _, v := range out.Versions {
		if aws.ToString(v.Key) == key && aws.ToBool(v.IsLatest) {
			return aws.ToString(v.VersionId), nil
		}
	}
	return "", nil
}

// maxVersionsRead bounds the versions one status lookup reads: keys are
// unique per upload unless replaced, so the current one is among the
// first few (S3 lists a key's versions newest first).
const maxVersionsRead = 50

// uploadRequest is the body of POST /v1/uploads.
type uploadRequest struct {
	FileName    string `json:"file_name"`
	ContentType string `json:"content_type"`
	// Size in bytes, required: the URL is signed for exactly this
	// Content-Length, so S3 refuses a body of any other size.
	Size *int64 `json:"size"`
	// Replace names the upload the file replaces, by upload id or object
	// key; without it the file gets a key of its own.
	Replace string `json:"replace"`
	// Kind is what the file holds (see uploadKinds), transactions when
	// empty; Dataset the dataset it goes to, the default when empty.
	Kind    string `json:"kind"`
	Dataset string `json:"dataset"`
}

// maxPutBytes is S3's limit for one PUT (5 GiB).
const maxPutBytes = 5 << 30

const maxUploadBody = 4096

func decodeUploadRequest(req events.APIGatewayV2HTTPRequest) (uploadRequest, error) {
	var in uploadRequest
	if ct := req.Headers["content-type"]; ct != "" {
		mt, _, err := mime.ParseMediaType(ct)
		if err != nil || mt != "application/json" {
			return in, &Error{Status: http.StatusUnsupportedMediaType, Detail: "Send the request body as application/json."}
		}
	}
	body := []byte(req.Body)
	if req.IsBase64Encoded {
		var err error
		if body, err = base64.StdEncoding.DecodeString(req.Body); err != nil {
			return in, badRequest("The request body is not valid base64.")
		}
	}
	if len(body) > maxUploadBody {
		return in, &Error{Status: http.StatusRequestEntityTooLarge, Detail: fmt.Sprintf("The request body is larger than %d bytes.", maxUploadBody)}
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return in, badRequest("The request body must be a JSON object such as {\"file_name\": \"sales-2024.csv\", \"content_type\": \"text/csv\"}: %s.", jsonProblem(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return in, badRequest("The request body must hold one JSON object and nothing after it.")
	}
	return in, nil
}

// jsonProblem describes a decoding error without internal detail.
func jsonProblem(err error) string {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		return fmt.Sprintf("invalid JSON at byte %d", se.Offset)
	case errors.As(err, &te):
		return fmt.Sprintf("field %s must be a %s", te.Field, te.Type)
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + truncate(strings.TrimPrefix(err.Error(), "json: unknown field "))
	case errors.Is(err, io.EOF):
		return "the body is empty"
	}
	return "invalid JSON"
}

// fileType is an accepted upload extension and, first the default, the
// content types browsers send for it.
type fileType struct {
	ext   string
	types []string
}

// fileTypes lists the accepted uploads, longest extension first (Windows
// browsers report CSV as application/vnd.ms-excel; browsers that do not
// know a type send application/octet-stream).
func fileTypes() []fileType {
	gz := []string{"application/gzip", "application/x-gzip", "application/octet-stream"}
	return []fileType{
		{".csv.gz", gz},
		{".tsv.gz", gz},
		{".txt.gz", gz},
		{".csv", []string{"text/csv", "application/vnd.ms-excel", "text/plain", "application/csv", "application/octet-stream"}},
		// Excel's "Unicode Text" export is UTF-16 tab-separated .txt;
		// ingest decides the encoding and delimiter from the content.
		{".tsv", []string{"text/tab-separated-values", "text/plain", "application/octet-stream"}},
		{".txt", []string{"text/plain", "application/octet-stream"}},
		{".xlsx", []string{"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "application/octet-stream"}},
		{".parquet", []string{"application/vnd.apache.parquet", "application/octet-stream"}},
	}
}

// mappingType is the one file type of a mapping upload.
func mappingType() fileType {
	return fileType{".json", []string{"application/json", "text/plain", "application/octet-stream"}}
}

const maxFileName = 200

// safeName validates a file name and content type and returns the name
// to use in the object key, its extension and the content type to sign.
// The name keeps ASCII letters, digits, dots, hyphens and underscores;
// every other run of characters becomes one hyphen.
func safeName(name, contentType string, accepted []fileType) (safe, ext, ct string, err error) {
	name = strings.TrimSpace(name)
	switch {
	case name == "":
		return "", "", "", badRequest("Field file_name is required, e.g. \"sales-2024.csv\".")
	case len(name) > maxFileName:
		return "", "", "", badRequest("Field file_name is longer than %d bytes.", maxFileName)
	case strings.ContainsAny(name, `/\`):
		return "", "", "", badRequest("Field file_name must be a file name without folders.")
	}
	if err := cleanText(name); err != nil {
		return "", "", "", badRequest("Field file_name %v.", err)
	}
	lower := strings.ToLower(name)
	var types []string
	for _, ft := range accepted {
		if strings.HasSuffix(lower, ft.ext) {
			ext, types = ft.ext, ft.types
			break
		}
	}
	if ext == "" {
		var exts []string
		for _, ft := range accepted {
			exts = append(exts, ft.ext)
		}
		return "", "", "", badRequest("Field file_name must end in %s, got %s.", strings.Join(exts, ", "), quote(name))
	}
	ct = strings.ToLower(strings.TrimSpace(contentType))
	if ct == "" {
		ct = types[0]
	}
	if !contains(types, ct) {
		return "", "", "", badRequest("Field content_type %s does not fit a %s file; use %s.", quote(contentType), ext, strings.Join(types, " or "))
	}
	var b strings.Builder
	dash := false
	// Decomposing first keeps the base letters of accented ones: é → e.
	for _, r := range norm.NFD.String(name[:len(name)-len(ext)]) {
		if unicode.Is(unicode.Mn, r) {
			continue
		}
		if r < 128 && (r == '.' || r == '_' || r == '-' || r >= '0' && r <= '9' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') {
			b.WriteRune(r)
			dash = false
		} else if !dash {
			b.WriteByte('-')
			dash = true
		}
	}
	stem := strings.Trim(b.String(), "-.")
	if stem == "" {
		stem = "upload"
	}
	return stem + ext, ext, ct, nil
}

// newKey returns a key no other upload has, in the kind's folder of the
// dataset: the day's folder, then a random id, then the file's safe name,
// so that two people uploading export.csv never replace each other's
// data. A kind with one fixed key (the mapping) gets that key.
func (s *Service) newKey(kind uploadKind, ds, name string) (string, error) {
	if kind.key != "" {
		return dataset.Key(ds, kind.key), nil
	}
	var id [8]byte
	if _, err := rand.Read(id[:]); err != nil {
		return "", fmt.Errorf("upload key id: %w", err)
	}
	return dataset.Key(ds, kind.prefix+s.now().UTC().Format(time.DateOnly)+"/"+hex.EncodeToString(id[:])+"-"+name), nil
}

// decodeKind returns the kind and dataset a request names, with their
// defaults, and the file types the kind takes.
func decodeKind(in uploadRequest) (uploadKind, string, []fileType, error) {
	ds := in.Dataset
	if ds == "" {
		ds = dataset.Default
	} else if ds != dataset.Default && dataset.Check(ds) != nil {
		return uploadKind{}, "", nil, badRequest("Field dataset %s is not a dataset name: use 1 to 40 lower-case letters, digits and hyphens.", quote(in.Dataset))
	}
	name := in.Kind
	if name == "" {
		name = "transactions"
	}
	var names []string
	for _, k := range uploadKinds() {
		if k.name != name {
			names = append(names, k.name)
			continue
		}
		if k.key != "" {
			return k, ds, []fileType{mappingType()}, nil
		}
		return k, ds, fileTypes(), nil
	}
	return uploadKind{}, "", nil, badRequest("Field kind must be one of transactions, %s, got %s.", strings.Join(names[1:], ", "), quote(in.Kind))
}

// replacedKey returns the key of the upload ref names, an upload id or an
// object key, so that a file put there replaces that upload's data. The
// upload must exist, be of the kind and dataset the request names and
// have extension ext; a key must have a live upload (uploads are found
// through the dataset's manifest, read by r).
func (s *Service) replacedKey(ctx context.Context, r Reader, ref string, kind uploadKind, ds, ext string) (string, error) {
	var key string
	switch {
	case uploadID.MatchString(ref):
		u, err := s.r.GetUpload(ctx, ref)
		if errors.Is(err, store.ErrNotFound) {
			return "", &Error{Status: http.StatusNotFound, Detail: fmt.Sprintf("Field replace: no upload with id %s.", ref)}
		}
		if err != nil {
			return "", err
		}
		key = u.Key
	case len(ref) <= maxKeyBytes:
		if _, _, ok := kindOf(ref); !ok {
			break
		}
		if err := sameKind(ref, kind, ds); err != nil {
			return "", err
		}
		e, ok, err := r.Object(ctx, ref)
		if err != nil {
			return "", err
		}
		if !ok || e.File == store.Tombstone {
			return "", &Error{Status: http.StatusNotFound, Detail: fmt.Sprintf("Field replace: %s has no live upload to replace; leave replace out to upload a new file.", quote(ref))}
		}
		key = ref
	}
	if key == "" {
		return "", badRequest("Field replace must be an upload id (24 lower-case hexadecimal characters) or the object key of an upload, got %s.", quote(ref))
	}
	if err := sameKind(key, kind, ds); err != nil {
		return "", err
	}
	if !strings.HasSuffix(strings.ToLower(key), ext) {
		return "", badRequest("Field replace: %s is not a %s file; a replacement must be of the same type.", quote(key), ext)
	}
	return key, nil
}

// sameKind returns a 400 unless the upload of key is of the kind and
// dataset a replacement names.
func sameKind(key string, kind uploadKind, ds string) error {
	k, d, _ := kindOf(key)
	if k.name == kind.name && d == ds {
		return nil
	}
	if k.name == "" {
		k.name = "unknown"
	}
	return badRequest("Field replace: %s is not a %s file of dataset %s but a %s file of dataset %s; ask with the kind and dataset of the upload it replaces.",
		quote(key), kind.name, ds, k.name, d)
}

// maxKeyBytes is S3's limit on an object key.
const maxKeyBytes = 1024

// UploadTicket is the body of POST /v1/uploads: how to PUT the file
// straight to S3. The upload id is only known once S3 has assigned the
// object a version: find the status at StatusURL, adding
// &version=<x-amz-version-id of the PUT response> to see that exact upload.
type UploadTicket struct {
	Key       string            `json:"key"`
	URL       string            `json:"url"`
	Method    string            `json:"method"`
	Headers   map[string]string `json:"headers"`
	ExpiresAt string            `json:"expires_at"`
	StatusURL string            `json:"status_url"`
}

// createUpload answers POST /v1/uploads with a presigned PUT URL for a
// new key, or for the key of the upload in.Replace names. The URL signs
// the content type and the size, so S3 refuses any other.
func (s *Service) createUpload(ctx context.Context, in uploadRequest) (*UploadTicket, error) {
	kind, ds, accepted, err := decodeKind(in)
	if err != nil {
		return nil, err
	}
	name, ext, ct, err := safeName(in.FileName, in.ContentType, accepted)
	if err != nil {
		return nil, err
	}
	switch {
	case in.Size == nil:
		return nil, badRequest("Field size is required: the file's size in bytes, which the upload URL is signed for.")
	case *in.Size < 1 || *in.Size > maxPutBytes:
		return nil, badRequest("Field size must be 1 to %d bytes (S3's limit for one PUT), got %d.", int64(maxPutBytes), *in.Size)
	}
	if s.presign == nil || s.bucket == "" {
		return nil, &Error{Status: http.StatusServiceUnavailable, Detail: "Uploads are not configured on this deployment."}
	}
	var key string
	switch {
	case in.Replace != "" && kind.key != "":
		return nil, badRequest("Field replace does not apply to a %s: a dataset has one, and each upload replaces it.", kind.name)
	case in.Replace != "":
		key, err = s.replacedKey(ctx, s.readerOf(ds), in.Replace, kind, ds, ext)
	default:
		key, err = s.newKey(kind, ds, name)
	}
	if err != nil {
		return nil, err
	}
	expires := s.now().Add(uploadExpiry).UTC()
	req, err := s.presign.PresignPutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(s.bucket), Key: aws.String(key),
		ContentType: aws.String(ct), ContentLength: in.Size}, s3.WithPresignExpires(uploadExpiry))
	if err != nil {
		return nil, fmt.Errorf("presign %s: %w", key, err)
	}
	headers := map[string]string{"Content-Type": ct}
	names := make([]string, 0, len(req.SignedHeader))
	for k := range req.SignedHeader {
		names = append(names, k)
	}
	sort.Strings(names)
	for _, k := range names {
		if !strings.EqualFold(k, "host") && !strings.EqualFold(k, "content-type") {
			headers[http.CanonicalHeaderKey(k)] = strings.Join(req.SignedHeader[k], ",")
		}
	}
	return &UploadTicket{Key: key, URL: req.URL, Method: req.Method, Headers: headers,
		ExpiresAt: expires.Format(time.RFC3339), StatusURL: "/v1/uploads?key=" + url.QueryEscape(key)}, nil
}
