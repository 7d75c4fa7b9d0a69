package importer

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/maphash"
	"io"
	"strings"
	"sync/atomic"

	"github.com/twpayne/go-geom"
	"github.com/twpayne/go-geom/encoding/ewkb"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/geo/geojson"
)

// Row is one accepted feature, ready for the database: its place in the input, its converted
// attributes and its geometry in the storage CRS. Its slices are valid until the next call of
// Reader.Next.
type Row struct {
	Index int32
	ID    string // the feature's id member, "" when absent
	Key   string // its key values, "25216/12/345"; "" without a key
	// Values are the attributes of a layer with a table of its own, one per Schema.Columns, typed
	// for the column (see Schema and convertValue); nil for a missing optional value.
	Values []any
	// Props is the properties object of a generic layer (jsonb text).
	Props []byte
	// LandUseFill: the parcel's single land use takes the official area of its geometry.
	LandUseFill bool
	// Proven: geo proved the geometry valid (geo.ProvablySimple), so the database need not check.
	Proven bool
	// Repairable: if the database finds the geometry invalid, repairing it is cheap enough
	// (geo.Tangled says it meets itself at most MaxRepairCrossings times). Only for an unproven
	// geometry of an import that repairs (not Strict).
	Repairable bool
	// Geometry is EWKB with SRID 4326.
	Geometry []byte
}

// Reader reads features from a GeoJSON stream and turns each into a Row for the Schema, or
// rejects it into the Report. It holds one feature at a time, plus 30 to 60 bytes per distinct
// key for duplicate detection.
//
// Next must be called from one goroutine; Read, Rejected and Bytes may be called from any.
type Reader struct {
	dec *geojson.Decoder
	opt Options
	s   Schema
	rep *Report
	m   *mapper
	c   *converter

	// OnSRID, if set, is called once the SRID of the input is decided: at the first geometry, or
	// when the input ends without one.
	OnSRID func(srid int)

	srid      int
	decided   bool
	resolved  bool // decided from a geometry (not at the end)
	declared  *geo.CRS
	zDropped  bool
	geomTypes map[string]int64
	fields    FieldTypes
	finished  bool

	// The index of the first accepted feature of each key, by two 64-bit hashes of the key (a
	// false match is about as likely as 1 in 10^26 for a million keys): the first feature with a
	// key wins, a later one is a duplicate.
	keys     map[[2]uint64]int32
	keySeeds [2]maphash.Seed

	f        geojson.Feature
	conv     converted
	wkb      bytes.Buffer
	warnings []Entry
	cur      *geojson.Feature

	read, rejected, bytes, unproven atomic.Int64
}

// NewReader returns a Reader of r for s. opt must have been normalised (Options.Normalize), with
// its Key set to the attributes that identify a feature (if any).
func NewReader(r io.Reader, s Schema, opt Options, rep *Report) *Reader {
	m := newMapper(&s, opt.Map)
	rd := &Reader{
		// Values are bounded by MaxValueBytes one by one; the decoder bounds the properties of a
		// feature together.
		dec: geojson.NewDecoder(r, geojson.DecoderOptions{MaxValueBytes: max(MaxValueBytesLimit, 2*opt.MaxValueBytes)}),
		opt: opt, s: s, rep: rep, m: m,
		geomTypes: map[string]int64{},
		keys:      map[[2]uint64]int32{},
		keySeeds:  [2]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed()},
	}
	rd.c = newConverter(m, opt.Key, opt.MaxValueBytes)
	return rd
}

// Read is how many features have been read so far.
func (rd *Reader) Read() int64 { return rd.read.Load() }

// Rejected is how many of them the Reader rejected (the database's checks reject more).
func (rd *Reader) Rejected() int64 { return rd.rejected.Load() }

// Bytes is how many input bytes have been read.
func (rd *Reader) Bytes() int64 { return rd.bytes.Load() }

// Unproven is how many accepted geometries geo could not prove valid (the database checks them).
func (rd *Reader) Unproven() int64 { return rd.unproven.Load() }

// SRID is the SRID the coordinates were read in, once decided (0 before).
func (rd *Reader) SRID() int { return rd.srid }

// Next reads up to the next accepted feature and converts it into row. It returns io.EOF after
// the last one, once the whole input has been read and found well-formed. Errors about the
// input wrap geojson.ErrInvalid (it is not GeoJSON), geo.ErrCRSMismatch or geo.ErrUnknownCRS
// (its CRS) or ErrInvalid (it breaks an import rule); a *geojson.ReadError is the reader's.
//
// Next stops at ctx's cancellation (checked every 1,024 features, so a long run of rejected
// features does not hide it).
func (rd *Reader) Next(ctx context.Context, row *Row) error {
	if rd.finished {
		return io.EOF
	}
	for {
		if rd.read.Load()%1024 == 1023 && ctx.Err() != nil {
			return ctx.Err()
		}
		err := rd.dec.Next(&rd.f)
		rd.bytes.Store(rd.dec.Offset())
		if err == io.EOF {
			rd.finished = true
			return rd.finish()
		}
		if err != nil {
			return err
		}
		f := &rd.f
		rd.read.Add(1)
		if !rd.resolved && f.Geometry != nil && !f.Geometry.Empty() && len(f.Geometry.FlatCoords()) >= 2 {
			if c, ok := rd.dec.CRS(); ok {
				rd.declared = &c
			}
			fc := f.Geometry.FlatCoords()
			srid, err := geo.ResolveCRS(rd.opt.SRID, rd.declared, fc[0], fc[1], geo.ImportRegion)
			if err != nil {
				return err
			}
			rd.resolved = true
			rd.decide(srid)
		}
		ok := rd.feature(f, row)
		if rd.m.tooManyFields() {
			return invalidf("the features use more than %d distinct field names", maxFieldNames)
		}
		if rd.s.Create && len(rd.m.order) > MaxAttributes {
			return invalidf("the features have more than %d distinct properties, and a layer holds at most %d attributes; "+
				"nothing was written (split the file, or drop the properties it does not need)", MaxAttributes, MaxAttributes)
		}
		if ok {
			return nil
		}
	}
}

// decide records the SRID of the input.
func (rd *Reader) decide(srid int) {
	if rd.decided {
		return
	}
	rd.srid, rd.decided = srid, true
	if rd.OnSRID != nil {
		rd.OnSRID(srid)
	}
}

// finish checks what can only be checked at the end of the input and reports about the whole
// file.
func (rd *Reader) finish() error {
	if c, ok := rd.dec.CRS(); ok && rd.dec.LateCRS() && rd.opt.SRID == 0 && c.SRID != rd.srid && rd.resolved {
		return &geojson.Error{Offset: rd.dec.Offset(), Feature: -1, Msg: fmt.Sprintf(
			"the crs member (%s) comes after the features, which were read as EPSG:%d: move it before \"features\" or give the CRS explicitly", c, rd.srid)}
	}
	if !rd.decided {
		srid := rd.opt.SRID
		if srid == 0 {
			srid = geo.SRIDWGS84
			if c, ok := rd.dec.CRS(); ok {
				rd.declared = &c
				srid = c.SRID
			}
		}
		rd.decide(srid)
	}
	if rd.zDropped {
		rd.rep.Add(Entry{Index: -1, Level: LevelWarning, Code: "z_dropped", Reason: "coordinates had a third value (height); layers are 2D, so it was dropped"})
	}
	for _, r := range rd.m.renamed {
		rd.rep.Add(Entry{Index: -1, Level: LevelWarning, Code: "field_renamed", Field: r.from,
			Reason: fmt.Sprintf("field %s was imported as attribute %s: gisd uses the name %s itself", QuoteName(r.from), r.to, strings.TrimPrefix(r.to, "f_"))})
	}
	for _, name := range rd.m.ignored {
		rd.rep.Add(Entry{Index: -1, Level: LevelWarning, Code: "field_ignored", Field: name,
			Reason: fmt.Sprintf("field %s is not an attribute of layer %s and was not imported (map it to an attribute to import it)", QuoteName(name), rd.s.Layer)})
	}
	return io.EOF
}

// reject reports f as rejected.
func (rd *Reader) reject(f *geojson.Feature, code, field, reason string) bool {
	rd.rejected.Add(1)
	rd.rep.Add(Entry{Index: f.Index, ID: f.ID, Key: rd.c.rawKey(f), Level: LevelRejected, Code: code, Field: field, Reason: reason})
	return false
}

// feature checks and converts one feature into row, or rejects it.
func (rd *Reader) feature(f *geojson.Feature, row *Row) bool {
	if f.Type != "" && f.Type != "Feature" {
		return rd.reject(f, "not_a_feature", "", fmt.Sprintf("a %s, not a Feature", f.Type))
	}
	if f.GeometryProblem != "" {
		return rd.reject(f, "bad_geometry", "", f.GeometryProblem)
	}
	g, prob := geo.CheckGeometry(f.Geometry, rd.s.GeometryType)
	if prob != "" {
		code := "invalid_geometry"
		switch {
		case prob == "no geometry":
			code = "no_geometry"
		case prob == "empty geometry":
			code = "empty_geometry"
		case strings.Contains(prob, "where the layer holds"):
			code = "geometry_type"
		case strings.Contains(prob, "is not closed"):
			code = "open_ring"
		}
		return rd.reject(f, code, "", prob)
	}
	if f.HasZ {
		rd.zDropped = true
	}
	rd.warnings, rd.cur = rd.warnings[:0], f
	if p := rd.c.convert(f, &rd.conv, rd.warn); p != nil {
		return rd.reject(f, p.code, p.field, p.reason)
	}
	key := KeyText(rd.conv.keyVals)
	var keyHash [2]uint64
	if key != "" {
		keyHash = [2]uint64{maphash.String(rd.keySeeds[0], key), maphash.String(rd.keySeeds[1], key)}
		if first, ok := rd.keys[keyHash]; ok {
			return rd.reject(f, "duplicate_key", "", fmt.Sprintf("duplicate key %s: feature %d has the same key", key, first))
		}
	}
	// Staged in the storage CRS: converted here, beside the database (geo agrees with PROJ to
	// 0.1 mm).
	if rd.srid != geo.SRIDWGS84 {
		if err := geo.UnprojectFlat(g.FlatCoords(), g.Stride(), rd.srid); err != nil {
			return rd.reject(f, "bad_geometry", "", fmt.Sprintf("the coordinates cannot be converted from EPSG:%d: %s", rd.srid, strings.TrimPrefix(err.Error(), "geo: ")))
		}
	}
	// EWKB carries the SRID, so PostGIS knows the CRS of each value without a parameter.
	rd.wkb.Reset()
	if err := encodeEWKB(&rd.wkb, g); err != nil {
		return rd.reject(f, "bad_geometry", "", "the geometry cannot be encoded: "+err.Error())
	}
	for _, w := range rd.warnings {
		w.Key = key
		rd.rep.Add(w)
	}
	if rd.s.Create {
		rd.geomTypes[geo.TypeName(g)]++
		for i := range f.Properties {
			p := f.Properties[i]
			if s := rd.m.source(p.Key); s.col != nil {
				p.Key = []byte(s.col.Name)
				rd.fields.Add(&p)
			}
		}
	}
	if key != "" {
		rd.keys[keyHash] = int32(f.Index)
	}
	*row = Row{Index: int32(f.Index), ID: f.ID, Key: key, LandUseFill: rd.conv.luFill, Proven: geo.ProvablySimple(g), Geometry: rd.wkb.Bytes()}
	if !row.Proven {
		rd.unproven.Add(1)
		row.Repairable = !rd.opt.Strict && !geo.Tangled(g, MaxRepairCrossings)
	}
	if rd.s.Generic {
		row.Props = rd.conv.props
	} else {
		row.Values = rd.conv.vals
	}
	return true
}

// encodeEWKB writes g as little-endian EWKB with SRID 4326.
func encodeEWKB(w *bytes.Buffer, g geom.T) error {
	g, err := geom.SetSRID(g, geo.SRIDWGS84)
	if err != nil {
		return err
	}
	return ewkb.Write(w, binary.LittleEndian, g)
}

// warn notes a warning about the feature being converted; it is reported, with the feature's
// key, once the feature is accepted (a rejection says enough).
func (rd *Reader) warn(code, field, reason string) {
	rd.warnings = append(rd.warnings, Entry{Index: rd.cur.Index, ID: rd.cur.ID, Level: LevelWarning, Code: code, Field: field, Reason: reason})
}

// Attribute is an attribute of a layer created from the input.
type Attribute struct {
	Name  string // normalised
	Type  string // inferred: string, integer, number, boolean, date, json
	Title string // the field name it came from
}

// NewLayer describes the layer the input makes, for an import that creates one: its geometry
// type and attributes, after the whole input has been read. It fails (ErrInvalid) when the
// features mix kinds of geometry or the import's key names no field of the input.
func (rd *Reader) NewLayer() (geometryType string, attrs []Attribute, err error) {
	if !rd.s.Create {
		return "", nil, errors.New("importer: NewLayer: the import creates no layer")
	}
	geometryType, err = CommonType(rd.geomTypes)
	if err != nil {
		return "", nil, err
	}
	for _, k := range rd.opt.Key {
		if rd.m.sourceOf(k) == "" {
			return "", nil, invalidf("key %s is not a field of the file (fields become attributes with normalized names)", k)
		}
	}
	for _, f := range rd.fields.Fields() {
		attrs = append(attrs, Attribute{Name: f.Name, Type: f.Type, Title: rd.m.sourceOf(f.Name)})
	}
	return geometryType, attrs, nil
}
