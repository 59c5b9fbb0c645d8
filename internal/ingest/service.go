// Package ingest is the event-driven service that keeps the aggregates in
// step with the bucket: for every S3 event on an upload prefix
// (history.Prefixes: transactions/; the customers/, products/ and teams/
// tables that enrich them; spend/) it reads the object version (package parser does the reading), keeps the
// file's curated outputs and rejects in S3, writes its fragments and
// commits it to the table (package store), then compacts. Duplicated,
// retried, late and out-of-order events leave the table as if each version
// had been handled once, in S3's order; deleting a version follows S3's
// versioning. A file that cannot be read gets a failed status and changes
// nothing; HandleS3 returns an error only for failures worth retrying.
// Events on mapping files (history.MappingOf) get an upload status too,
// and re-read the files already uploaded when the mapping asks for it
// (see reapply.go).
package ingest

import (
	"bytes"
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/url"
	"os"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/aws/aws-lambda-go/events"
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/salesseg/salesseg/internal/aggregate"
	"github.com/salesseg/salesseg/internal/dataset"
	"github.com/salesseg/salesseg/internal/dimension"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/metrics"
	"github.com/salesseg/salesseg/internal/money"
	"github.com/salesseg/salesseg/internal/parser"
	"github.com/salesseg/salesseg/internal/pipeline"
	"github.com/salesseg/salesseg/internal/shard"
	"github.com/salesseg/salesseg/internal/store"
	"github.com/salesseg/salesseg/internal/versions"
)

// Blobs is the subset of the S3 API ingestion uses.
type Blobs interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, opts ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	ListObjectVersions(ctx context.Context, in *s3.ListObjectVersionsInput, opts ...func(*s3.Options)) (*s3.ListObjectVersionsOutput, error)
}

// Datasets opens the table's aggregates of one dataset (package
// dataset); *store.Store implements it.
type Datasets interface {
	Dataset(name string) *store.Store
}

// Aggregates is what ingestion needs from the table, within one dataset.
type Aggregates interface {
	Object(ctx context.Context, objectKey string) (store.Entry, bool, error)
	PutFragments(ctx context.Context, objectKey, file string, d aggregate.Delta) error
	DeleteFragments(ctx context.Context, file string) error
	Commit(ctx context.Context, objectKey, seq, file string) (store.Entry, error)
	MarkChanged(ctx context.Context, t time.Time) error
	LiveObjects(ctx context.Context) (map[string]store.Entry, error)
	PutUpload(ctx context.Context, u store.Upload) error
	GetUpload(ctx context.Context, id string) (store.Upload, error)
	Compact(ctx context.Context) (store.Compaction, error)
}

// Prefixes of the bucket. Sales and deal files go under
// TransactionsPrefix, firmographics (one row per customer) under
// CustomersPrefix, the lookup files of deals under history.ProductsPrefix
// and history.TeamsPrefix, and acquisition spend under SpendPrefix;
// curated/ and rejects/ hold ingestion's own output and must never
// trigger it.
const (
	TransactionsPrefix = history.TransactionsPrefix
	CustomersPrefix    = history.CustomersPrefix
	SpendPrefix        = history.SpendPrefix
	CuratedPrefix      = "curated/"
	RejectsPrefix      = "rejects/"
)

// tablePrefix is the prefix of an attribute table that enriches
// transactions files, with the dimension a lookup is keyed by ("" for
// customers files, keyed by customer id).
type tablePrefix struct {
	prefix string
	key    dimension.Dimension
}

// tablePrefixes returns the prefixes of the attribute tables, customers
// first.
func tablePrefixes() []tablePrefix {
	return []tablePrefix{{CustomersPrefix, ""}, {history.ProductsPrefix, dimension.Product}, {history.TeamsPrefix, dimension.Owner}}
}

// tableOf returns the key of the attribute table under whose prefix key
// is, and whether it is under one.
func tableOf(key string) (dimension.Dimension, bool) {
	for _, t := range tablePrefixes() {
		if strings.HasPrefix(dataset.Rel(key), t.prefix) {
			return t.key, true
		}
	}
	return "", false
}

// ServiceOptions configure a Service.
type ServiceOptions struct {
	// MaxRejectRate, in [0, 1], is the share of rejected rows above which
	// a file is failed as a whole and changes no aggregate.
	MaxRejectRate float64
	// MaxSpoolBytes and TempDir bound the temporary copy an XLSX or
	// Parquet file needs (Lambda's /tmp is 512 MB unless configured);
	// zero and "" mean the parser's defaults.
	MaxSpoolBytes int64
	TempDir       string
	// ProcessingDeadline is how long after an attempt starts its upload
	// may stay processing: the function's timeout times the attempts
	// Lambda makes, plus a margin for the waits between them. Past it the
	// upload reads as failed (store.Upload.At). Zero sets no deadline.
	ProcessingDeadline time.Duration
	// Shards is the number of customer shards purchase histories are
	// grouped by (package shard); 0 means shard.Default. Recompute reads
	// histories of any shard count, fastest when it uses the same.
	Shards int
}

// Service ingests S3 objects into the aggregate table.
type Service struct {
	blobs    Blobs
	datasets Datasets
	// aggs and dataset are the dataset of the object at hand: set by in
	// for each record of an event.
	aggs    Aggregates
	dataset string
	log     *slog.Logger
	metrics *metrics.Emitter
	opts    ServiceOptions
	now     func() time.Time
}

// New returns a Service. It logs one line per file with the file's
// counts, time per phase and DynamoDB items written as metrics (see
// package metrics).
func New(blobs Blobs, datasets Datasets, log *slog.Logger, opts ServiceOptions) *Service {
	s := &Service{blobs: blobs, datasets: datasets, log: log, metrics: metrics.New(log, "ingest"), opts: opts, now: time.Now}
	return s.in(dataset.Default)
}

// in returns the service working on the named dataset.
func (s *Service) in(name string) *Service {
	d := *s
	d.aggs, d.dataset = s.datasets.Dataset(name), name
	return &d
}

// FileID names one version of one object; it is the upload id users see.
func FileID(bucket, key, version string) string { return store.UploadID(bucket, key, version) }

// NormalizeSequencer left-pads an S3 sequencer so that string order is
// numeric order: S3 sequencers are hexadecimal of varying length.
func NormalizeSequencer(seq string) string {
	seq = strings.ToUpper(seq)
	if len(seq) < 32 {
		seq = strings.Repeat("0", 32-len(seq)) + seq
	}
	return seq
}

// HandleS3 processes every record of an S3 event, each in the dataset its
// key belongs to. It returns an error only for failures worth retrying
// (the network, throttling); a file that cannot be parsed gets a failed
// status instead.
func (s *Service) HandleS3(ctx context.Context, ev events.S3Event) error {
	var touched []string
	for _, r := range ev.Records {
		key, err := url2key(r.S3.Object.Key)
		if err != nil {
			return err
		}
		ds, rel, ok := dataset.Of(key)
		if _, mapping := history.MappingOf(rel); ok && mapping {
			if err := s.in(ds).mappingEvent(ctx, r, key); err != nil {
				return fmt.Errorf("%s s3://%s/%s: %w", r.EventName, r.S3.Bucket.Name, key, err)
			}
			if !slices.Contains(touched, ds) {
				touched = append(touched, ds)
			}
			continue
		}
		if !ok || !history.Uploaded(key) {
			s.log.InfoContext(ctx, "ignored object outside "+strings.Join(history.Prefixes(), ", ")+" of a dataset", "key", key)
			continue
		}
		if !slices.Contains(touched, ds) {
			touched = append(touched, ds)
		}
		s := s.in(ds)
		seq := NormalizeSequencer(r.S3.Object.Sequencer)
		bucket := r.S3.Bucket.Name
		switch {
		case strings.HasPrefix(r.EventName, "ObjectCreated"):
			err = s.ingest(ctx, bucket, key, r.S3.Object.VersionID, createdUpload(r, bucket, key, seq), seq, nil)
		case r.EventName == "ObjectRemoved:Delete" && r.S3.Object.VersionID != "":
			err = s.versionDeleted(ctx, bucket, key, r.S3.Object.VersionID, seq)
		case strings.HasPrefix(r.EventName, "ObjectRemoved"):
			// A delete marker (versioned bucket) or a delete in an
			// unversioned bucket: the object is gone.
			err = s.retract(ctx, bucket, key, seq)
		default:
			s.log.InfoContext(ctx, "ignored event", "event", r.EventName, "key", key)
		}
		if tableKey, ok := tableOf(key); err == nil && ok {
			err = s.rederive(ctx, bucket, key, tableKey, seq)
		}
		if err != nil {
			return fmt.Errorf("%s s3://%s/%s: %w", r.EventName, bucket, key, err)
		}
	}
	for _, ds := range touched {
		if err := s.in(ds).compact(ctx); err != nil {
			return err
		}
	}
	return nil
}

// createdUpload returns the upload id of the object version an
// ObjectCreated record (with normalized sequencer seq) reports; in a
// bucket without versions, its ETag and sequencer stand for the version.
func createdUpload(r events.S3EventRecord, bucket, key, seq string) string {
	version := r.S3.Object.VersionID
	if version == "" {
		version = r.S3.Object.ETag + "@" + seq
	}
	return FileID(bucket, key, version)
}

// compact folds what this event committed into the base, so that queries
// stay cheap however many files arrive; when another compaction is under
// way, that one or the next takes the files on.
func (s *Service) compact(ctx context.Context) error {
	c, err := s.aggs.Compact(ctx)
	if errors.Is(err, store.ErrBusy) {
		return nil
	}
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "compacted", "dataset", s.dataset, "folded", c.Folded, "subtracted", c.Subtracted, "months", c.Months,
		"items", c.Items, "collected", c.Collected)
	return nil
}

// derivedSep joins a transactions file's sequencer and the sequencer of
// the change it was re-derived for (a table file or a mapping file); S3
// sequencers are hex.
const derivedSep = "."

// rederive re-ingests every live transactions file that has customer ids
// (or, for a lookup keyed by a dimension, a column of that dimension)
// once the event with sequencer seq has changed the table file tableObj
// (a new version or a delete), so that aggregates follow the live
// firmographics and lookups whatever order the files came in, each file
// under the mapping file versions it was read under (see rederiveFiles).
// An event that changed nothing (a failed or stale table file)
// re-derives nothing.
func (s *Service) rederive(ctx context.Context, bucket, tableObj string, tableKey dimension.Dimension, seq string) error {
	e, ok, err := s.aggs.Object(ctx, tableObj)
	if err != nil {
		return err
	}
	if !ok || e.Sequencer != seq {
		return nil
	}
	done, err := s.rederiveFiles(ctx, bucket, seq, func(_ string, f *fileFormat) (bool, mappingPins) {
		// An upload still processing (a crash after its commit) has no
		// format yet: re-deriving it finishes it.
		if f == nil {
			return true, nil
		}
		if tableKey == "" && !f.HasCustomerIDs() || tableKey != "" && !f.HasDimension(tableKey) {
			return false, nil // nothing the table is keyed by: it cannot change the file
		}
		return true, f.pins()
	})
	if err != nil {
		return err
	}
	s.log.InfoContext(ctx, "re-derived transactions files for a table change", "table", tableObj, "files", len(done))
	return nil
}

// fileFormat is the format a transactions file's upload records: what
// the parser detected and the mapping files it was read under.
type fileFormat struct {
	parser.Format
	MappingFiles []string `json:"mapping_files,omitempty"`
	// MappingVersions is the version read of each of MappingFiles ("" in
	// a bucket without versions); nil in uploads recorded before versions
	// were kept.
	MappingVersions map[string]string `json:"mapping_versions"`
}

// pins returns the mapping file versions to re-read the file under: the
// ones it was read under, or nil (the current ones) when its upload
// predates their record.
func (f *fileFormat) pins() mappingPins {
	if f.MappingVersions == nil {
		return nil
	}
	p := make(mappingPins, len(f.MappingVersions))
	for k, v := range f.MappingVersions {
		p[k] = v
	}
	return p
}

// rederived is a live transactions file that a change re-read, with the
// upload id of the re-read.
type rederived struct {
	Key, Upload string
}

// rederiveFiles re-ingests the live transactions files that the change
// with sequencer seq can affect: affects gets each file's key and
// recorded format (nil while its upload is still processing) and says
// whether to re-read it and under which mapping file versions. Each file
// gets a derived version: its sequencer with seq appended, which is newer
// than the file itself and older than any later version of it, and an
// upload id made from that. So a retried or duplicated event finds the
// work done or finishes it, a real new version of the file wins, and so
// does a later change. It returns the files re-read, in key order.
func (s *Service) rederiveFiles(ctx context.Context, bucket, seq string,
	affects func(key string, f *fileFormat) (bool, mappingPins)) ([]rederived, error) {
	live, err := s.aggs.LiveObjects(ctx)
	if err != nil {
		return nil, err
	}
	var done []rederived
	for _, k := range transactionsKeys(live) {
		cur := live[k]
		base, _, _ := strings.Cut(cur.Sequencer, derivedSep)
		derived := base + derivedSep + seq
		if cur.Sequencer > derived {
			continue // re-derived for a later change already
		}
		up, f, err := s.fileUpload(ctx, cur.File)
		if err != nil {
			return nil, fmt.Errorf("upload of %s: %w", k, err)
		}
		ok, pins := affects(k, f)
		if !ok {
			continue
		}
		file := FileID(bucket, k, "derived"+derivedSep+derived)
		if err := s.ingest(ctx, bucket, k, up.Version, file, derived, pins); err != nil {
			return nil, fmt.Errorf("re-derive %s: %w", k, err)
		}
		done = append(done, rederived{Key: k, Upload: file})
	}
	return done, nil
}

// transactionsKeys returns the keys of the live transactions files, sorted.
func transactionsKeys(live map[string]store.Entry) []string {
	keys := make([]string, 0, len(live))
	for k := range live {
		if strings.HasPrefix(dataset.Rel(k), TransactionsPrefix) {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	return keys
}

// fileUpload returns a transactions file's upload and its recorded
// format, nil while the upload is processing.
func (s *Service) fileUpload(ctx context.Context, id string) (store.Upload, *fileFormat, error) {
	up, err := s.aggs.GetUpload(ctx, id)
	if err != nil || len(up.Format) == 0 {
		return up, nil, err
	}
	var f fileFormat
	if err := json.Unmarshal(up.Format, &f); err != nil {
		return up, nil, fmt.Errorf("format of upload %s: %w", id, err)
	}
	return up, &f, nil
}

// url2key decodes an event's object key, which S3 URL-encodes with "+"
// for spaces.
func url2key(k string) (string, error) {
	dec, err := url.QueryUnescape(k)
	if err != nil {
		return "", fmt.Errorf("object key %q: %w", k, err)
	}
	return dec, nil
}

// ingest applies one object version. Every step is idempotent so the
// whole method can be retried after a failure at any point.
//
// pins names the mapping file versions to read the file under (nil: the
// current ones).
func (s *Service) ingest(ctx context.Context, bucket, key, version, file, seq string, pins mappingPins) error {
	ctx, work := metrics.Start(ctx)
	cur, exists, err := s.aggs.Object(ctx, key)
	if err != nil {
		return err
	}
	if exists && cur.Sequencer > seq {
		return s.superseded(ctx, bucket, key, version, file)
	}
	if exists && cur.Sequencer == seq && cur.File == file {
		// A committed upload that reads failed was given up on past its
		// deadline after the commit: finishing it again corrects that.
		if u, err := s.aggs.GetUpload(ctx, file); err == nil && final(u.Status) && u.Status != store.StatusFailed {
			s.log.InfoContext(ctx, "duplicate event: already applied", "key", key, "file", file)
			return nil
		}
	}
	up, err := s.startUpload(ctx, bucket, key, version, file)
	if err != nil {
		return err
	}
	stop := work.Phase("Aggregate")
	res, rejectsKey, err := s.parseObject(ctx, bucket, key, version, file, pins)
	stop()
	if err != nil {
		if !isFileError(err) {
			return err
		}
		up.Status, up.Error = store.StatusFailed, err.Error()
		return s.finish(ctx, up)
	}
	defer res.release()
	up.Rows, up.Accepted, up.Rejected, up.RejectsKey = res.rows, res.accepted, res.rejected, rejectsKey
	up.Format, _ = json.Marshal(res.format)
	if rate := float64(res.rejected) / float64(res.rows); rate > s.opts.MaxRejectRate {
		up.Status = store.StatusFailed
		up.Error = fmt.Sprintf("%d of %d rows rejected (%.1f%%), above the %.1f%% threshold: no row was counted; see %s",
			res.rejected, res.rows, 100*rate, 100*s.opts.MaxRejectRate, rejectsKey)
		return s.finish(ctx, up)
	}
	stop = work.Phase("Write")
	if err := s.writeOutputs(ctx, key, file, res); err != nil {
		return err
	}
	res.release() // the history is written: its spill files can go
	prev, err := s.aggs.Commit(ctx, key, seq, file)
	if errors.Is(err, store.ErrStale) {
		// A newer version won while we worked: ours never counted.
		if err := s.aggs.DeleteFragments(ctx, file); err != nil {
			return err
		}
		up.Status = store.StatusSuperseded
		return s.finish(ctx, up)
	}
	if err != nil {
		return err
	}
	if err := s.aggs.MarkChanged(ctx, s.now()); err != nil {
		return err
	}
	stop()
	if prev.File != store.Tombstone {
		up.Replaced = prev.File
	}
	up.Status = store.StatusSucceeded
	if res.rejected > 0 {
		up.Status = store.StatusPartiallySucceeded
	}
	return s.finish(ctx, up)
}

// writeOutputs keeps the file's curated outputs in S3 and writes its
// fragments to the table, both at once: neither counts before Commit,
// which runs only once both are done, and each can be repeated by a
// retry. The first failure stops the other and is returned.
func (s *Service) writeOutputs(ctx context.Context, key, file string, res *parsed) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	written := make(chan error, 1)
	go func() {
		err := res.write(ctx)
		if err != nil {
			cancel()
		}
		written <- err
	}()
	ferr := s.aggs.PutFragments(ctx, key, file, res.delta)
	if ferr != nil {
		cancel()
	}
	werr := <-written
	fcanceled, wcanceled := errors.Is(ferr, context.Canceled), errors.Is(werr, context.Canceled)
	switch {
	case ferr == nil:
		return werr
	case werr == nil:
		return ferr
	case fcanceled && !wcanceled:
		return werr // the outputs' failure stopped the fragments
	case wcanceled && !fcanceled:
		return ferr
	}
	return errors.Join(ferr, werr)
}

// startUpload records that an object version is being processed, with
// the deadline past which it reads failed.
func (s *Service) startUpload(ctx context.Context, bucket, key, version, file string) (store.Upload, error) {
	started := s.now().UTC()
	up := store.Upload{ID: file, Bucket: bucket, Key: key, Version: version, Status: store.StatusProcessing,
		Started: started.Format(time.RFC3339)}
	if s.opts.ProcessingDeadline > 0 {
		up.Deadline = started.Add(s.opts.ProcessingDeadline).Format(store.DeadlineFormat)
	}
	return up, s.aggs.PutUpload(ctx, up)
}

// superseded records that an object version arrived after a newer one was
// already live: it never counts, and its upload, if it had none yet or was
// interrupted, says so instead of staying unknown or processing.
func (s *Service) superseded(ctx context.Context, bucket, key, version, file string) error {
	s.log.InfoContext(ctx, "stale event ignored", "key", key, "file", file)
	u, err := s.aggs.GetUpload(ctx, file)
	switch {
	case errors.Is(err, store.ErrNotFound):
		now := s.now().UTC().Format(time.RFC3339)
		u = store.Upload{ID: file, Bucket: bucket, Key: key, Version: version, Started: now}
	case err != nil:
		return err
	case u.Status != store.StatusProcessing:
		return nil
	}
	u.Status = store.StatusSuperseded
	return s.finish(ctx, u)
}

func final(status string) bool {
	return status == store.StatusSucceeded || status == store.StatusPartiallySucceeded ||
		status == store.StatusFailed || status == store.StatusSuperseded
}

func (s *Service) finish(ctx context.Context, up store.Upload) error {
	up.Finished = s.now().UTC().Format(time.RFC3339)
	if err := s.aggs.PutUpload(ctx, up); err != nil {
		return err
	}
	work := metrics.WorkFrom(ctx)
	s.metrics.Emit(ctx, "ingested", nil, append(work.Metrics(), metrics.Seconds("IngestSeconds", work.Elapsed()),
		metrics.Count("Rows", up.Rows), metrics.Count("Accepted", up.Accepted), metrics.Count("Rejected", up.Rejected)),
		slog.String("key", up.Key), slog.String("upload", up.ID), slog.String("status", up.Status), slog.String("error", up.Error))
	return nil
}

// isFileError reports whether err is about the file's content, as opposed
// to a transient failure worth retrying.
func isFileError(err error) bool {
	var he *parser.HeaderError
	return errors.Is(err, parser.ErrUnreadable) || errors.As(err, &he) || errors.Is(err, money.ErrOverflow) ||
		errors.Is(err, parser.ErrBadOptions) || errors.Is(err, parser.ErrBadMappingFile)
}

// parsed is what one file version contributes, whatever its kind.
type parsed struct {
	rows, accepted, rejected int64
	format                   any
	// delta is the file's aggregate delta; empty for customers files,
	// which only enrich, and spend files, which only recompute reads.
	delta aggregate.Delta
	// write keeps the file's curated outputs in S3 (purchase history and
	// deals, accounts, or spend) before anything can make the file live.
	// It may run while the file's fragments are written.
	write func(ctx context.Context) error
	// close, when not nil, releases what the parse holds outside memory
	// (the purchase history's spill files); see release.
	close func() error
}

// release closes what the parse holds outside memory, once write is done
// or the file will not be written; it may be called more than once.
func (p *parsed) release() {
	if p.close != nil {
		p.close() // only closes already unlinked files: nothing to report
	}
}

// parseObject streams the object version through the parser of its kind,
// writing rejects to a temporary file that is uploaded when non-empty; a
// transactions file is read under the mapping file versions pins names.
func (s *Service) parseObject(ctx context.Context, bucket, key, version, file string, pins mappingPins) (*parsed, string, error) {
	in := &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(key)}
	if version != "" {
		in.VersionId = aws.String(version)
	}
	obj, err := s.blobs.GetObject(ctx, in)
	if err != nil {
		return nil, "", fmt.Errorf("get object: %w", err)
	}
	defer obj.Body.Close()
	tmp, err := os.CreateTemp("", "rejects-*.csv")
	if err != nil {
		return nil, "", fmt.Errorf("rejects temp file: %w", err)
	}
	defer os.Remove(tmp.Name())
	defer tmp.Close()
	rw := parser.NewCSVRejects(tmp)
	body := metrics.WorkFrom(ctx).Reader(obj.Body)
	var res *parsed
	switch tableKey, isTable := tableOf(key); {
	case isTable:
		res, err = s.parseTable(ctx, body, bucket, key, file, tableKey, rw)
	case strings.HasPrefix(dataset.Rel(key), SpendPrefix):
		res, err = s.parseSpend(ctx, body, bucket, key, file, rw)
	default:
		res, err = s.parseTransactions(ctx, body, bucket, key, file, rw, pins)
	}
	if err != nil {
		return nil, "", err
	}
	ok := false
	defer func() {
		if !ok {
			res.release()
		}
	}()
	if err := rw.Flush(); err != nil {
		return nil, "", fmt.Errorf("write rejects: %w", err)
	}
	if res.rejected == 0 {
		ok = true
		return res, "", nil
	}
	if _, err := tmp.Seek(0, io.SeekStart); err != nil {
		return nil, "", err
	}
	rejectsKey := RejectsPrefix + file + ".csv"
	if _, err := s.blobs.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(rejectsKey),
		Body: tmp, ContentType: aws.String("text/csv")}); err != nil {
		return nil, "", fmt.Errorf("put %s: %w", rejectsKey, err)
	}
	ok = true
	return res, rejectsKey, nil
}

// parseTransactions parses a sales or deal file, filling in the customer
// attributes it lacks from the live customers files and the product and
// sales-agent attributes from the live products and teams files, under
// the mapping file versions pins names.
func (s *Service) parseTransactions(ctx context.Context, body io.Reader, bucket, key, file string, rw parser.RejectWriter, pins mappingPins) (*parsed, error) {
	opt, mappings, err := s.options(ctx, bucket, key, pins)
	if err != nil {
		return nil, err
	}
	live, err := s.aggs.LiveObjects(ctx)
	if err != nil {
		return nil, err
	}
	for _, t := range tablePrefixes() {
		tab, err := s.table(ctx, bucket, live, t.prefix, t.key)
		if err != nil || tab == nil {
			if err != nil {
				return nil, err
			}
			continue
		}
		if t.key == "" {
			opt.Customers = tab.Attrs
			continue
		}
		if opt.Lookups == nil {
			opt.Lookups = map[dimension.Dimension]*parser.Table{}
		}
		opt.Lookups[t.key] = tab
	}
	res, err := parser.ParseWith(body, key, rw, opt)
	if err != nil {
		return nil, err
	}
	format := fileFormat{Format: res.Format, MappingVersions: mappings}
	for _, k := range mappingKeys(key) {
		if _, ok := mappings[k]; ok {
			format.MappingFiles = append(format.MappingFiles, k)
		}
	}
	return &parsed{rows: res.Rows, accepted: res.Accepted, rejected: res.Rejected, format: format, delta: res.Delta,
		close: res.Close,
		write: func(ctx context.Context) error {
			if err := s.putDeals(ctx, bucket, file, res); err != nil {
				return err
			}
			return s.putHistory(ctx, bucket, file, res)
		}}, nil
}

// parseTable parses a firmographics file (tableKey "") into accounts, or
// a lookup file keyed by dimension tableKey.
func (s *Service) parseTable(ctx context.Context, body io.Reader, bucket, key, file string, tableKey dimension.Dimension, rw parser.RejectWriter) (*parsed, error) {
	opt, _, err := s.options(ctx, bucket, key, nil)
	if err != nil {
		return nil, err
	}
	var res *parser.Table
	if tableKey == "" {
		res, err = parser.ParseCustomers(body, key, rw, opt)
	} else {
		res, err = parser.ParseLookup(body, key, tableKey, rw, opt)
	}
	if err != nil {
		return nil, err
	}
	return &parsed{rows: res.Rows, accepted: res.Accepted, rejected: res.Rejected, format: res.Format,
		write: func(ctx context.Context) error {
			return s.putCurated(ctx, bucket, history.AccountsKey(file), func(w io.Writer) error {
				return history.WriteAccounts(w, res.Attrs, res.Prices, res.Names)
			})
		}}, nil
}

// parseSpend parses an acquisition spend file; like a customers file it
// changes no aggregate, and recompute reads its curated spend.
func (s *Service) parseSpend(ctx context.Context, body io.Reader, bucket, key, file string, rw parser.RejectWriter) (*parsed, error) {
	opt, _, err := s.options(ctx, bucket, key, nil)
	if err != nil {
		return nil, err
	}
	res, err := parser.ParseSpend(body, key, rw, opt)
	if err != nil {
		return nil, err
	}
	return &parsed{rows: res.Rows, accepted: res.Accepted, rejected: res.Rejected, format: res.Format,
		write: func(ctx context.Context) error {
			return s.putCurated(ctx, bucket, history.SpendKey(file), func(w io.Writer) error { return history.WriteSpend(w, res.Records) })
		}}, nil
}

// putCurated keeps a small curated output (accounts, spend, deals) under
// key, as encode writes it.
func (s *Service) putCurated(ctx context.Context, bucket, key string, encode func(io.Writer) error) error {
	var buf bytes.Buffer
	if err := encode(&buf); err != nil {
		return err
	}
	if _, err := s.blobs.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: bytes.NewReader(buf.Bytes()), ContentType: aws.String("application/x-ndjson")}); err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	return nil
}

// table merges the rows of every live table file under prefix, keyed by
// customer id (key "") or by dimension key: for a key in several files,
// the file whose object key sorts last wins. It returns nil when no such
// file is live.
func (s *Service) table(ctx context.Context, bucket string, live map[string]store.Entry, prefix string, key dimension.Dimension) (*parser.Table, error) {
	keys := make([]string, 0, len(live))
	for k := range live {
		if strings.HasPrefix(dataset.Rel(k), prefix) {
			keys = append(keys, k)
		}
	}
	if len(keys) == 0 {
		return nil, nil
	}
	sort.Strings(keys)
	out := &parser.Table{Key: key, Attrs: map[string]map[dimension.Dimension]string{}}
	if key != "" {
		out.Prices = map[string]string{}
	}
	for _, k := range keys {
		obj, err := s.blobs.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(bucket), Key: aws.String(history.AccountsKey(live[k].File))})
		if err != nil {
			return nil, fmt.Errorf("get rows of %s: %w", k, err)
		}
		err = history.ReadAccounts(obj.Body, func(a history.Account) error {
			out.Attrs[a.ID] = a.Attrs
			if a.Price != "" && out.Prices != nil {
				out.Prices[a.ID] = a.Price
			} else {
				delete(out.Prices, a.ID)
			}
			return nil
		})
		obj.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("rows of %s: %w", k, err)
		}
	}
	return out, nil
}

// putDeals keeps the deals of a transactions file, before the file can
// become live, so that the pipeline figures read the deals of live files
// only. A file without deals gets an empty object: an earlier attempt at
// the same version, read under another mapping, may have left deals
// under its key, which must not count.
func (s *Service) putDeals(ctx context.Context, bucket, file string, res *parser.Result) error {
	return s.putCurated(ctx, bucket, pipeline.Key(file), func(w io.Writer) error {
		if err := res.Deals(pipeline.NewWriter(w).Write); err != nil {
			return fmt.Errorf("write deals: %w", err)
		}
		return nil
	})
}

// putHistory keeps the file's per-customer purchase history for
// recompute, before the file can become live: grouped by customer shard,
// then the index of the shards (history.Index), which names the history
// object's version so that it never describes another attempt's.
func (s *Service) putHistory(ctx context.Context, bucket, file string, res *parser.Result) error {
	w, err := history.NewShardWriter(s.opts.TempDir, cmp.Or(s.opts.Shards, shard.Default))
	if err != nil {
		return err
	}
	defer w.Close()
	if err := res.Purchases(w.Write); err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	body, size, x, err := w.Finish()
	if err != nil {
		return fmt.Errorf("write history: %w", err)
	}
	key := history.Key(file)
	out, err := s.blobs.PutObject(ctx, &s3.PutObjectInput{Bucket: aws.String(bucket), Key: aws.String(key),
		Body: body, ContentLength: aws.Int64(size), ContentType: aws.String("application/zstd")})
	if err != nil {
		return fmt.Errorf("put %s: %w", key, err)
	}
	x.Version = aws.ToString(out.VersionId)
	return s.putCurated(ctx, bucket, history.IndexKey(file), func(w io.Writer) error { return json.NewEncoder(w).Encode(x) })
}

// versionDeleted follows S3 when one version of an object, or a delete
// marker, is deleted for good: only the object's current version counts.
// Deleting a non-current version changes nothing; deleting the current one
// makes the version now current count instead, under an upload id of its
// own (its first upload may have been replaced and collected); an object
// left with no version, or with a delete marker on top, is retracted.
// S3's own state decides, read when the event is handled; an event older
// than what is live already is ignored.
func (s *Service) versionDeleted(ctx context.Context, bucket, key, deleted, seq string) error {
	current, err := s.currentVersion(ctx, bucket, key)
	if err != nil {
		return err
	}
	if current == "" {
		return s.retract(ctx, bucket, key, seq)
	}
	cur, exists, err := s.aggs.Object(ctx, key)
	if err != nil {
		return err
	}
	if exists && cur.Sequencer >= seq {
		s.log.InfoContext(ctx, "stale version delete ignored", "key", key, "version", deleted)
		return nil
	}
	if exists && cur.File != store.Tombstone {
		up, err := s.aggs.GetUpload(ctx, cur.File)
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
		if err == nil && up.Version == current {
			s.log.InfoContext(ctx, "non-current version deleted: nothing changes", "key", key, "version", deleted)
			return nil
		}
	}
	s.log.InfoContext(ctx, "current version deleted: the previous one counts again", "key", key, "deleted", deleted, "current", current)
	return s.ingest(ctx, bucket, key, current, FileID(bucket, key, "restored"+derivedSep+current+derivedSep+seq), seq, nil)
}

// currentVersion returns the version id of an object's current version,
// "" when it has none or a delete marker is on top.
func (s *Service) currentVersion(ctx context.Context, bucket, key string) (string, error) {
	live, err := versions.Live(ctx, s.blobs, bucket, key)
	if err != nil {
		return "", err
	}
	return live[key], nil
}

// retract makes a deleted object's contribution disappear.
func (s *Service) retract(ctx context.Context, bucket, key, seq string) error {
	prev, err := s.aggs.Commit(ctx, key, seq, store.Tombstone)
	if errors.Is(err, store.ErrStale) {
		s.log.InfoContext(ctx, "stale delete ignored", "key", key)
		return nil
	}
	if err != nil {
		return err
	}
	if err := s.aggs.MarkChanged(ctx, s.now()); err != nil {
		return err
	}
	s.log.InfoContext(ctx, "retracted", "key", key, "upload", prev.File)
	return nil
}
