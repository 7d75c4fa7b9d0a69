package importer

import (
	"maps"
	"slices"
	"sort"
	"strings"
	"sync"
)

// Import states, as the imports table records them.
const (
	StateRunning   = "running"
	StateCommitted = "committed"
	StateValidated = "validated" // a dry run that would have committed
	StateFailed    = "failed"
	StateCancelled = "cancelled"
	StateReverted  = "reverted"
)

// Report entry levels.
const (
	LevelRejected = "rejected"
	LevelRepaired = "repaired"
	LevelWarning  = "warning"
)

// Counts are an import's numbers.
type Counts struct {
	Read      int64 `json:"read"`
	Accepted  int64 `json:"accepted"`
	Rejected  int64 `json:"rejected"`
	Repaired  int64 `json:"repaired"`
	Warnings  int64 `json:"warnings"`
	Inserted  int64 `json:"inserted"`
	Updated   int64 `json:"updated"`
	Unchanged int64 `json:"unchanged"`
	Deleted   int64 `json:"deleted"`
	// Bytes of input read (after decompression).
	Bytes int64 `json:"bytes"`
	// Unproven counts the geometries geo could not prove valid, which PostGIS checked instead.
	Unproven int64 `json:"unproven"`
	// ByCode counts report entries by code, complete even when the report is truncated.
	ByCode map[string]int64 `json:"by_code,omitempty"`
	// Truncated: the report holds only its first MaxReportEntries entries.
	Truncated bool  `json:"report_truncated,omitempty"`
	SRID      int   `json:"srid,omitempty"`
	Millis    int64 `json:"ms"`
	// LayerCreated: the import created its layer (revert removes it again).
	LayerCreated bool `json:"layer_created,omitempty"`
	// Timings of the database connection's steps in milliseconds, summed over the chunks (setup;
	// read: COPY, including any wait for the decoder; analyze, validity, checks, constraints,
	// keys, findings; write), to see where the time of a large import goes.
	Timings map[string]int64 `json:"timings_ms,omitempty"`
}

// Entry is one finding about one feature (Index -1: about the whole file).
type Entry struct {
	Index  int    `json:"index"`
	ID     string `json:"id,omitempty"`  // the feature's id member
	Key    string `json:"key,omitempty"` // its key values, "25216/12/345"
	Level  string `json:"level"`
	Code   string `json:"code"` // stable: no_geometry, geometry_type, invalid_geometry, outside, ...
	Field  string `json:"field,omitempty"`
	Reason string `json:"reason"`
}

// MaxReportEntries caps a stored report; counts stay complete.
const MaxReportEntries = 10000

// Result is what an import did.
type Result struct {
	ID     int64   `json:"id"`
	State  string  `json:"state"`
	Counts Counts  `json:"counts"`
	Report []Entry `json:"report"`
}

// Progress is a running import's progress.
type Progress struct {
	Phase    string `json:"phase"` // queued, reading, validating, writing, done
	Bytes    int64  `json:"bytes"`
	Read     int64  `json:"read"`
	Accepted int64  `json:"accepted"`
	Rejected int64  `json:"rejected"`
	// FeaturesPerSecond over the reading phase.
	FeaturesPerSecond float64 `json:"features_per_second"`
}

// Report collects findings from the Reader (in its goroutine) and from the database's checks:
// the first MaxReportEntries entries in full, every count exactly. It is safe for concurrent use.
type Report struct {
	mu        sync.Mutex
	entries   []Entry
	byCode    map[string]int64
	levels    map[string]int64
	truncated bool
}

// NewReport returns an empty report.
func NewReport() *Report {
	return &Report{byCode: map[string]int64{}, levels: map[string]int64{}}
}

// Add counts e and keeps it while there is room.
func (r *Report) Add(e Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byCode[e.Code]++
	r.levels[e.Level]++
	if len(r.entries) < MaxReportEntries {
		r.entries = append(r.entries, e)
	} else {
		r.truncated = true
	}
}

// Count adds n findings of one level and code without keeping them (Keep may add some of them
// afterwards).
func (r *Report) Count(level, code string, n int64) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.byCode[code] += n
	r.levels[level] += n
}

// Room is how many more entries the report keeps.
func (r *Report) Room() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return MaxReportEntries - len(r.entries)
}

// Keep keeps entries already counted with Count, while there is room.
func (r *Report) Keep(entries []Entry) {
	r.mu.Lock()
	defer r.mu.Unlock()
	room := MaxReportEntries - len(r.entries)
	if len(entries) > room {
		entries, r.truncated = entries[:room], true
	}
	r.entries = append(r.entries, entries...)
}

// Fill sets the report's numbers in c: ByCode, Warnings, Repaired, Truncated.
func (r *Report) Fill(c *Counts) {
	r.mu.Lock()
	defer r.mu.Unlock()
	c.ByCode = maps.Clone(r.byCode)
	c.Warnings, c.Repaired = r.levels[LevelWarning], r.levels[LevelRepaired]
	c.Truncated = c.Truncated || r.truncated
}

// Entries returns the kept entries by feature index (file-level ones first), stable within one.
func (r *Report) Entries() []Entry {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := slices.Clone(r.entries)
	sort.SliceStable(out, func(i, j int) bool { return out[i].Index < out[j].Index })
	return out
}

// KeyText formats key values for a report: "25216/12/345"; "" when all are empty.
func KeyText(vals []string) string {
	for _, v := range vals {
		if v != "" {
			return strings.Join(vals, "/")
		}
	}
	return ""
}
