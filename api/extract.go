package api

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/dongnai-gis/gisd/extract"
	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/store"
	"github.com/dongnai-gis/gisd/vntime"
)

// parcelExtract answers GET /api/v1/parcels/{commune}/{sheet}/{parcel}/extract.pdf[?date=]: the
// parcel extract (trích lục thửa đất) as an A4 PDF, of the parcel as recorded at the end of
// date (default today, Vietnam time). The owner is printed only for a key with the personal
// scope, and that read is audited like every other personal read before the document leaves.
func (s *Server) parcelExtract(c *gin.Context) {
	q, ok := onlyParams(c, oneOf("date"))
	if !ok {
		return
	}
	date, perr := queryDate(q)
	if perr == nil && date.After(today()) {
		perr = &ParamError{"date", "an extract shows recorded data: want a day no later than today, got " + quoteForMessage(q.Get("date"))}
	}
	var commune string
	var sheet, number int
	if perr == nil {
		commune, sheet, number, perr = parcelKeyParams(c)
	}
	if perr != nil {
		badParam(c, perr.Name, perr.Reason)
		return
	}
	opt := s.parcelOptions(c, q, date)
	zone, _ := geo.LookupCRS(geo.ProvinceZone)
	data, err := s.store.ParcelExtract(c.Request.Context(), store.ExtractRequest{
		Commune: commune, Sheet: sheet, Parcel: number, Date: date, Options: opt, SRID: zone.SRID,
	})
	if errors.Is(err, store.ErrNotFound) {
		detail := fmt.Sprintf("no parcel %d on sheet %d of commune %s", number, sheet, commune)
		if q.Has("date") {
			detail += " on " + date.Format(time.DateOnly)
		}
		fail(c, notFound("%s", detail))
		return
	}
	if err != nil {
		fail(c, err)
		return
	}
	x, err := extractOf(data, zone, date, time.Now().Truncate(time.Second))
	if err != nil {
		fail(c, err)
		return
	}
	var buf bytes.Buffer
	if err := extract.Render(&buf, x); err != nil {
		fail(c, err)
		return
	}
	if opt.Personal && !s.auditPersonal(c, "parcels", []int64{data.Parcel.ID}, "parcel extract") {
		return
	}
	name := fmt.Sprintf("trich-luc-%s-%d-%d", commune, sheet, number)
	if q.Has("date") {
		name += "-" + date.Format(time.DateOnly)
	}
	c.Header("Content-Disposition", `inline; filename="`+name+`.pdf"`)
	// Cache-Control: no-store, set by the route (keyDependent): the extract shows the owner to a
	// key with the personal scope, and a copy kept without one would be shown to it, or back.
	c.Data(http.StatusOK, "application/pdf", buf.Bytes())
}

// today is the current calendar day in Vietnam, as queryDate represents days.
func today() time.Time {
	y, m, d := time.Now().In(vntime.Zone).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
}

// parcelKeyParams reads the cadastral key from the path: a 5-digit commune code, a sheet and a
// parcel number.
func parcelKeyParams(c *gin.Context) (commune string, sheet, number int, perr *ParamError) {
	commune = c.Param("commune")
	if !communeCode.MatchString(commune) {
		return "", 0, 0, &ParamError{"commune", "want a 5-digit commune code, got " + quoteForMessage(commune)}
	}
	if sheet, perr = positiveInt("sheet", c.Param("sheet")); perr != nil {
		return "", 0, 0, perr
	}
	if number, perr = positiveInt("parcel", c.Param("parcel")); perr != nil {
		return "", 0, 0, perr
	}
	return commune, sheet, number, nil
}

// extractOf turns what the store loaded into the document's input.
func extractOf(d store.ParcelExtract, zone geo.CRS, date, now time.Time) (extract.Extract, error) {
	p := d.Parcel
	uses, err := p.LandUses()
	if err != nil {
		return extract.Extract{}, fmt.Errorf("api: extract of parcel %d: %w", p.ID, err)
	}
	x := extract.Extract{
		Parcel: extract.Parcel{
			Commune:        extract.Unit{Code: p.CommuneCode, Level: "commune"},
			Sheet:          p.SheetNo,
			Number:         p.ParcelNo,
			OfficialAreaM2: p.OfficialAreaM2,
			Address:        p.Address,
			Geometry:       d.Geometry,
		},
		Zone:     extract.Zone{SRID: zone.SRID, Name: zone.Name, CentralMeridian: zone.CentralMeridian},
		Date:     date,
		Version:  extract.Version{Feature: p.Version, ChangedAt: p.UpdatedAt},
		DrawnAt:  now,
		Location: vntime.Zone,
	}
	if d.Commune != nil {
		x.Parcel.Commune.Name = d.Commune.Name
	}
	for _, u := range d.Units {
		x.Parcel.Units = append(x.Parcel.Units, extract.Unit{Code: u.Code, Name: u.Name, Level: u.Level})
	}
	if p.OldSheetNo != nil {
		x.Parcel.OldSheet = *p.OldSheetNo
	}
	if p.OldParcelNo != nil {
		x.Parcel.OldNumber = *p.OldParcelNo
	}
	if p.LegalAreaM2 != nil {
		x.Parcel.LegalAreaM2 = *p.LegalAreaM2
	}
	for _, u := range uses {
		x.Parcel.Uses = append(x.Parcel.Uses, extract.LandUse{Code: u.Code, Name: d.LandUseNames[u.Code], AreaM2: u.AreaM2})
	}
	if o := p.Owner; o != nil {
		x.Parcel.Owner = &extract.Owner{Name: deref(o.Name), IDNumber: deref(o.IDNumber), CertificateNo: deref(o.CertificateNo)}
	}
	for _, n := range d.Neighbours {
		x.Neighbours = append(x.Neighbours, extract.Neighbour{CommuneCode: n.CommuneCode, Sheet: n.SheetNo, Number: n.ParcelNo, Geometry: n.Geometry})
	}
	return x, nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}
