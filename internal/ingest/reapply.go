package ingest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"path"
	"strings"

	"github.com/aws/aws-lambda-go/events"

	"github.com/salesseg/salesseg/internal/dataset"
	"github.com/salesseg/salesseg/internal/history"
	"github.com/salesseg/salesseg/internal/metrics"
	"github.com/salesseg/salesseg/internal/parser"
	"github.com/salesseg/salesseg/internal/store"
)

// A new version of a mapping file gets an upload status like any file
// (id FileID of its bucket, key and version): failed with the reason when
// it does not decode or its settings are invalid, and otherwise a report
// of its effect as the upload's format (mappingReport). It always applies
// to new uploads. It re-reads the transactions files already uploaded
// only when it says "apply_to_uploaded": true: each live file it applies
// to and was not read under it is re-derived under it (rederiveFiles),
// keeping the version of the other mapping file that applies to it, so the
// re-read's own upload records the new mapping. Without the setting the
// report lists the files that keep another mapping. A version that is no
// longer the current one when its event is handled re-reads nothing
// (superseded). Deleting a mapping file never re-reads anything: uploaded
// files keep the version they were read under, new uploads go without it.

// mappingReport is the format of a mapping file version's upload.
type mappingReport struct {
	// FileName is the file name a per-file mapping applies to; nil for
	// config/mapping.json, which applies to every file.
	FileName *string `json:"file_name"`
	// ApplyToUploaded is the version's apply_to_uploaded setting.
	ApplyToUploaded bool `json:"apply_to_uploaded"`
	// Files are the live transactions files the mapping applies to, by
	// key.
	Files []mappedFile `json:"files"`
	// Note says in a sentence what the version changed.
	Note string `json:"note"`
}

// The states of a file in a mappingReport.
const (
	// mappedReapplied: re-read under this version, and the re-read counts.
	mappedReapplied = "reapplied"
	// mappedReapplyFailed: the re-read failed (its upload says why); the
	// file counts as it did.
	mappedReapplyFailed = "reapply_failed"
	// mappedUpToDate: read under this version already.
	mappedUpToDate = "up_to_date"
	// mappedNotReapplied: read under another version of the mapping file,
	// or without it, and left so.
	mappedNotReapplied = "not_reapplied"
)

// mappedFile is one live transactions file in a mappingReport.
type mappedFile struct {
	Key string `json:"key"`
	// Upload is the file's live upload.
	Upload string `json:"upload"`
	// MappingVersion is the version of the mapping file the live upload
	// was read under; nil when it was read without it, or recorded before
	// versions were kept.
	MappingVersion *string `json:"mapping_version"`
	// State is one of the mapped… constants.
	State string `json:"state"`
	// Reread is the upload id of the re-read this version made; nil
	// without one.
	Reread *string `json:"reread"`
}

// mappingEvent handles an S3 event on a mapping file (history.MappingOf).
func (s *Service) mappingEvent(ctx context.Context, r events.S3EventRecord, key string) error {
	bucket, seq := r.S3.Bucket.Name, NormalizeSequencer(r.S3.Object.Sequencer)
	if !strings.HasPrefix(r.EventName, "ObjectCreated") {
		s.log.InfoContext(ctx, "mapping file deleted: uploaded files keep the mapping they were read under",
			"key", key, "event", r.EventName)
		return nil
	}
	return s.applyMapping(ctx, bucket, key, r.S3.Object.VersionID, createdUpload(r, bucket, key, seq), seq)
}

// applyMapping checks a new version of the mapping file key, re-reads the
// uploaded files it applies to when it asks for it, and records its
// upload with the report. A duplicated event finds the upload final and
// does nothing; a retried one finishes the re-reads (see rederiveFiles).
func (s *Service) applyMapping(ctx context.Context, bucket, key, version, id, seq string) error {
	ctx, _ = metrics.Start(ctx)
	u, err := s.aggs.GetUpload(ctx, id)
	if err != nil && !errors.Is(err, store.ErrNotFound) {
		return err
	}
	if err == nil && final(u.Status) {
		s.log.InfoContext(ctx, "duplicate event: mapping file handled already", "key", key, "upload", id)
		return nil
	}
	up, err := s.startUpload(ctx, bucket, key, version, id)
	if err != nil {
		return err
	}
	m, _, found, err := s.readMapping(ctx, bucket, key, version)
	if err == nil {
		if cerr := m.Check(); cerr != nil {
			err = fmt.Errorf("%w: %s: %w", parser.ErrBadMappingFile, key, cerr)
		}
	}
	if err != nil {
		if !errors.Is(err, parser.ErrBadMappingFile) {
			return err
		}
		up.Status, up.Error = store.StatusFailed, err.Error()
		return s.finish(ctx, up)
	}
	current, err := s.currentVersion(ctx, bucket, key)
	if err != nil {
		return err
	}
	stale := !found || version != "" && current != version
	name, _ := history.MappingOf(dataset.Rel(key))
	var reread []rederived
	if m.ApplyToUploaded && !stale {
		reread, err = s.rederiveFiles(ctx, bucket, seq, func(k string, f *fileFormat) (bool, mappingPins) {
			if !appliesTo(name, k) || readUnder(f, key, version) {
				return false, nil
			}
			return true, reapplyPins(k, f, key, version)
		})
		if err != nil {
			return err
		}
	}
	report, err := s.mappingReport(ctx, key, name, version, seq, m.ApplyToUploaded, stale, reread)
	if err != nil {
		return err
	}
	up.Format, err = json.Marshal(report)
	if err != nil {
		return fmt.Errorf("encode the report of %s: %w", key, err)
	}
	up.Status = store.StatusSucceeded
	if stale {
		up.Status = store.StatusSuperseded
	}
	s.log.InfoContext(ctx, "mapping file applied", "key", key, "version", version, "reread", len(reread), "note", report.Note)
	return s.finish(ctx, up)
}

// appliesTo says whether a mapping file for file name name ("" for every
// file) applies to the object key.
func appliesTo(name, key string) bool { return name == "" || path.Base(key) == name }

// readUnder says whether a file whose upload recorded f was read under
// version of mappingKey; never in a bucket without versions.
func readUnder(f *fileFormat, mappingKey, version string) bool {
	if f == nil || version == "" {
		return false
	}
	v, ok := f.MappingVersions[mappingKey]
	return ok && v == version
}

// reapplyPins returns the mapping file versions to re-read the file key
// under when version of mappingKey is re-applied to it: that version, and
// for the other mapping file the version the file was read under (the
// current one when its upload predates that record).
func reapplyPins(key string, f *fileFormat, mappingKey, version string) mappingPins {
	var p mappingPins
	if f != nil {
		p = f.pins()
	}
	if p == nil {
		p = mappingPins{}
		for _, k := range mappingKeys(key) {
			p[k] = ""
		}
	}
	p[mappingKey] = version
	return p
}

// mappingReport describes the live transactions files that a version of
// mappingKey applies to as they stand after its event (sequencer seq),
// given the re-reads it made: a file whose live version was derived for
// seq was re-applied, by this delivery or an earlier one.
func (s *Service) mappingReport(ctx context.Context, mappingKey, name, version, seq string, apply, stale bool, reread []rederived) (mappingReport, error) {
	r := mappingReport{ApplyToUploaded: apply, Files: []mappedFile{}}
	if name != "" {
		r.FileName = &name
	}
	byKey := make(map[string]string, len(reread))
	for _, d := range reread {
		byKey[d.Key] = d.Upload
	}
	live, err := s.aggs.LiveObjects(ctx)
	if err != nil {
		return r, err
	}
	count := map[string]int{}
	for _, k := range transactionsKeys(live) {
		if !appliesTo(name, k) {
			continue
		}
		_, f, err := s.fileUpload(ctx, live[k].File)
		if err != nil {
			return r, fmt.Errorf("upload of %s: %w", k, err)
		}
		mf := mappedFile{Key: k, Upload: live[k].File, State: mappedNotReapplied}
		if f != nil {
			if v, ok := f.MappingVersions[mappingKey]; ok {
				mf.MappingVersion = &v
			}
		}
		if id, ok := byKey[k]; strings.HasSuffix(live[k].Sequencer, derivedSep+seq) {
			cur := live[k].File
			mf.Reread, mf.State = &cur, mappedReapplied
		} else if ok {
			mf.Reread, mf.State = &id, mappedReapplyFailed
		} else if readUnder(f, mappingKey, version) {
			mf.State = mappedUpToDate
		}
		count[mf.State]++
		r.Files = append(r.Files, mf)
	}
	r.Note = reportNote(apply, stale, len(r.Files), count)
	return r, nil
}

// reportNote says in a sentence what a mapping file version changed,
// from the count of its files in each state.
func reportNote(apply, stale bool, files int, count map[string]int) string {
	switch {
	case stale:
		return "A newer version of this mapping file, or its deletion, came before this version was handled: it re-read no uploaded file."
	case apply:
		note := fmt.Sprintf("Re-read %d of the %d uploaded transactions files it applies to under this version", count[mappedReapplied], files)
		if n := count[mappedReapplyFailed]; n > 0 {
			note += fmt.Sprintf("; %d failed to re-read and count as before (see the reread upload of each)", n)
		}
		if n := count[mappedNotReapplied]; n > 0 {
			note += fmt.Sprintf("; %d were re-read for a later change instead", n)
		}
		return note + ". New uploads use it too."
	default:
		return fmt.Sprintf("Applies to new uploads only: %d uploaded transactions files it applies to were read under another version of it or without it and keep that (state not_reapplied); "+
			`upload the mapping file again with "apply_to_uploaded": true to re-read them.`, count[mappedNotReapplied])
	}
}
