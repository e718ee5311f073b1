package ecs

import "time"

// STUB: replaced by the real implementation.

// Options configure a Record.
type Options struct {
	// Ingested is the stand-in for event.ingested (the scan's start time,
	// truncated to seconds).
	Ingested time.Time
}

var stubIDs = map[string]int{}

// Lookup resolves an ECS field name, registering it on first use. It never
// fails: a field the view does not produce (source.geo.*, a typo) resolves
// and is simply always absent, as in Elasticsearch. Safe for concurrent use.
func Lookup(name string) Field {
	id, ok := stubIDs[name]
	if !ok {
		id = len(stubIDs) + 1
		stubIDs[name] = id
	}
	return Field{id: id, Name: name}
}

// Known reports whether the view can produce name: a static field (see Names)
// or a path under aws.cloudtrail.flattened.{request_parameters,
// response_elements,additional_eventdata,service_event_details}.
func Known(name string) bool { return false }

// Names returns every static field name the view can produce, sorted.
func Names() []string { return nil }

// Record is the ECS view of one raw CloudTrail record. Not safe for concurrent use;
// a worker reuses one Record for many records through Reset.
type Record struct{}

// NewRecord returns an empty Record.
func NewRecord(opts Options) *Record { return &Record{} }

// Reset parses raw (one JSON object) and clears every cached field.
// raw must stay unchanged until the next Reset.
func (r *Record) Reset(raw []byte) error { return nil }

// Values returns the values of f after cleanup, nil when the field is absent.
// The slice is owned by the Record and valid until the next Reset.
func (r *Record) Values(f Field) []Value { return nil }
