package store

import (
	"context"
	"encoding/binary"
	"fmt"
	"io"
	"strings"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/dongnai-gis/gisd/importer"
)

// Staged rows travel to COPY already in PostgreSQL's binary COPY format. The decoding goroutine
// encodes each row as it converts it, so the import's connection, the busiest part of an
// import, only streams bytes: encoding in pgx's CopyFrom took about 2 s per million parcels of
// that connection's time, while the decoder had CPU to spare.

// copyHeader opens a binary COPY stream: signature, flags, header extension length.
var copyHeader = []byte("PGCOPY\n\xff\r\n\x00\x00\x00\x00\x00\x00\x00\x00\x00")

// copyTrailer ends a binary COPY stream.
var copyTrailer = []byte{0xff, 0xff}

// stagedBatch is a batch of staged rows, encoded; ends[i] is where row i ends in buf.
type stagedBatch struct {
	buf  []byte
	ends []int
}

func (b *stagedBatch) rows() int { return len(b.ends) }

// start is where row i begins.
func (b *stagedBatch) start(i int) int {
	if i == 0 {
		return 0
	}
	return b.ends[i-1]
}

// rowEncoder encodes staging rows, one column type per value. It belongs to one goroutine (a
// pgtype.Map is not safe for concurrent use).
type rowEncoder struct {
	m    *pgtype.Map
	oids []uint32 // per staging column; 0: the value is already its binary form ([]byte)
	vals []any    // scratch: the row's values in staging order
}

// newRowEncoder encodes rows for the staging columns of run (stageColumns, in that order).
func newRowEncoder(run *importRun) *rowEncoder {
	oids := []uint32{oidInt4, oidText, oidText}
	if run.t.Generic {
		oids = append(oids, oidJSONB)
	} else {
		oids = append(oids, run.t.oids...)
	}
	// lu_fill, proven, repairable, and the geometry as EWKB, which is what PostGIS's binary
	// input reads.
	oids = append(oids, oidBool, oidBool, oidBool, 0)
	return &rowEncoder{m: pgtype.NewMap(), oids: oids}
}

// encode appends one row to b.
func (e *rowEncoder) encode(b *stagedBatch, row *importer.Row) error {
	e.vals = append(e.vals[:0], row.Index, nilIfBlank(row.ID), nilIfBlank(row.Key))
	if row.Props != nil {
		e.vals = append(e.vals, row.Props)
	} else {
		e.vals = append(e.vals, row.Values...)
	}
	e.vals = append(e.vals, row.LandUseFill, row.Proven, row.Repairable, row.Geometry)
	vals := e.vals
	if len(vals) != len(e.oids) {
		return fmt.Errorf("store: a staging row of %d values for %d columns", len(vals), len(e.oids))
	}
	buf := binary.BigEndian.AppendUint16(b.buf, uint16(len(vals)))
	for i, v := range vals {
		at := len(buf)
		buf = binary.BigEndian.AppendUint32(buf, 0xffffffff) // NULL unless a value follows
		if v == nil {
			continue
		}
		if e.oids[i] == 0 {
			raw, ok := v.([]byte)
			if !ok {
				return fmt.Errorf("store: staging column %d: want bytes, have %T", i, v)
			}
			buf = append(buf, raw...)
		} else {
			out, err := e.m.Encode(e.oids[i], pgtype.BinaryFormatCode, v, buf)
			if err != nil {
				return fmt.Errorf("store: staging column %d: %w", i, err)
			}
			if out == nil {
				continue
			}
			buf = out
		}
		binary.BigEndian.PutUint32(buf[at:], uint32(len(buf)-at-4))
	}
	b.buf = buf
	b.ends = append(b.ends, len(buf))
	return nil
}

func nilIfBlank(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// copyChunk is the body of one COPY into the staging table: the rows of the producer's batches,
// at most limit of them; the rest wait for the next chunk. done: the producer closed the channel.
// A cancelled context ends the COPY with an error, so the server discards what it received,
// even while the producer waits for input.
type copyChunk struct {
	ctx      context.Context
	ch       <-chan *stagedBatch
	cur      *stagedBatch
	row      int // the next row of cur to send
	n, limit int
	done     bool

	pending        []byte // bytes not yet handed to Read's caller
	opened, closed bool
}

// reset starts the next chunk of at most limit rows.
func (c *copyChunk) reset(limit int) {
	c.n, c.limit, c.opened, c.closed, c.pending = 0, limit, false, false, nil
}

func (c *copyChunk) Read(p []byte) (int, error) {
	for len(c.pending) == 0 {
		switch {
		case !c.opened:
			c.pending, c.opened = copyHeader, true
		case c.closed:
			return 0, io.EOF
		case c.n >= c.limit || c.done:
			c.pending, c.closed = copyTrailer, true
		case c.cur == nil || c.row >= c.cur.rows():
			select {
			case b, ok := <-c.ch:
				if !ok {
					c.done = true
					continue
				}
				c.cur, c.row = b, 0
			case <-c.ctx.Done():
				return 0, c.ctx.Err()
			}
		default:
			k := min(c.cur.rows()-c.row, c.limit-c.n)
			c.pending = c.cur.buf[c.cur.start(c.row):c.cur.ends[c.row+k-1]]
			c.row += k
			c.n += k
		}
	}
	n := copy(p, c.pending)
	c.pending = c.pending[n:]
	return n, nil
}

// copyStatement is the COPY that reads copyChunk's stream into the staging table.
func (run *importRun) copyStatement() string {
	cols := run.stageColumns()
	for i, c := range cols {
		cols[i] = ident(c)
	}
	return `COPY imp_stage (` + strings.Join(cols, ", ") + `) FROM STDIN (FORMAT binary)`
}
