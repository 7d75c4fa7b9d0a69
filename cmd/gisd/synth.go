package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/synth"
)

func runSynth(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	s := newSettings("synth", "Writes the demo generator's parcels as a GeoJSON FeatureCollection with the field names of\nVietnamese cadastral layers (MaXa, SoHieuToBanDo, SoThuTuThua, ...), for benchmarks and import tests.\nNeeds no database.")
	s.fs.SetOutput(stderr)
	var parcels, seed, srid, decimals, sheetOffset int
	var out string
	s.Int(&parcels, "parcels", "", 1_000_000, "number of parcels")
	s.Int(&seed, "seed", "", 70, "generator seed")
	s.String(&out, "out", "", "-", "output file, - for standard output")
	s.Int(&srid, "srid", "", 4326, "output CRS: 4326 (WGS 84) or a VN-2000 TM-3 zone such as 9212 (written with a legacy crs member)")
	s.Int(&decimals, "decimals", "", 0, "round coordinates to this many decimals (0: exact)")
	s.Int(&sheetOffset, "sheet-offset", "", 1000, "added to every map sheet number, so that the file's cadastral keys never collide with\nthe demo's (sheets 1..N per commune) and it imports into a database holding the demo; 0 for the demo's own keys")
	if err := s.parse(args); err != nil {
		return asUsage(err)
	}
	if parcels < 1 || parcels > 50_000_000 {
		return usagef("--parcels %d: want 1..50000000", parcels)
	}
	if decimals < 0 || decimals > 15 {
		return usagef("--decimals %d: want 0..15", decimals)
	}
	if sheetOffset < 0 || sheetOffset > 1_000_000 {
		return usagef("--sheet-offset %d: want 0..1000000", sheetOffset)
	}
	opt := synth.GeoJSONOptions{Decimals: decimals, SheetOffset: sheetOffset}
	if srid != 4326 {
		crs, ok := geo.LookupCRS(srid)
		if !ok || !crs.Projected {
			return usagef("--srid %d: want 4326 or a projected VN-2000 zone (e.g. 9212)", srid)
		}
		opt.CRS = fmt.Sprintf("urn:ogc:def:crs:EPSG::%d", srid)
		opt.Transform = func(lon, lat float64) (float64, float64) {
			x, y, err := geo.FromWGS84(lon, lat, srid)
			if err != nil {
				// The generator only produces points inside the province, which every zone covers.
				panic(fmt.Sprintf("synth: project (%v, %v) to EPSG:%d: %v", lon, lat, srid, err))
			}
			return x, y
		}
	}
	var w io.Writer = stdout
	var f *os.File
	if out != "-" {
		var err error
		if f, err = os.Create(out); err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	bw := bufio.NewWriterSize(w, 1<<20)
	start := time.Now()
	units := synth.AdminUnits(int64(seed))
	if err := synth.WriteGeoJSONWith(bw, synth.Config{Seed: int64(seed), Parcels: parcels}, units, opt); err != nil {
		return err
	}
	if err := bw.Flush(); err != nil {
		return err
	}
	if f != nil {
		if err := f.Close(); err != nil {
			return err
		}
		fmt.Fprintf(stderr, "wrote %d parcels to %s in %v\n", parcels, out, time.Since(start).Round(time.Millisecond))
	}
	return ctx.Err()
}
