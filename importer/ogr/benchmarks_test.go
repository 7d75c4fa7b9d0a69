//go:build unix

package ogr

import (
	"bufio"
	"context"
	"io"
	"os"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkOpen_ShapefileZip converts a zipped Shapefile to the GeoJSON stream and reads it to
// the end, as the pipeline does. OGR_BENCH_ZIP names the zip (scripts/bench-ogr.sh makes one
// of 100,000 synthetic parcels and compares with ogr2ogr alone); without it a zip of 5,000 test
// parcels is made. Besides time it reports the features per second, the peak RSS of the GDAL
// processes, and the peak RSS of this process, which stays flat however large the file: the
// stream is never held in memory.
func BenchmarkOpen_ShapefileZip(b *testing.B) {
	requireGDAL(b)
	path := os.Getenv("OGR_BENCH_ZIP")
	if path == "" {
		ps := make([]parcel, 5000)
		for i := range ps {
			ps[i] = parcel{Name: "p", No: i, Area: 100, Owner: "Nguyễn Văn Ưng"}
		}
		dir := shapefileDir(b, parcelsGeoJSON(b, b.TempDir(), ps), "thua", "-lco", "ENCODING=UTF-8")
		os.Remove(dir + "/thua.cpg")
		path = zipDir(b, dir, b.TempDir()+"/thua.zip", "")
	}
	b.ReportAllocs()
	var features, gdalRSS, bytes, gdalCPU int64
	cpu0 := selfCPU()
	for b.Loop() {
		f, err := os.Open(path)
		if err != nil {
			b.Fatal(err)
		}
		src, err := Open(context.Background(), f, "thua.zip", Options{TempDir: b.TempDir()})
		if err != nil {
			b.Fatal(err)
		}
		n, err := io.Copy(io.Discard, src)
		if err != nil {
			b.Fatal(err)
		}
		features, bytes = src.FeatureCount, n
		gdalRSS = max(gdalRSS, src.stream.r.peakRSS.Load())
		gdalCPU += src.stream.r.cpu.Load()
		src.Close()
		f.Close()
	}
	b.ReportMetric(float64(features)*float64(b.N)/b.Elapsed().Seconds(), "features/s")
	b.ReportMetric(float64(bytes)/(1<<20), "stream-MB")
	b.ReportMetric(float64(gdalRSS)/(1<<20), "gdal-peak-RSS-MB")
	b.ReportMetric(float64(selfPeakRSS())/(1<<20), "go-peak-RSS-MB")
	b.ReportMetric(float64(gdalCPU)/1e9/float64(b.N), "gdal-cpu-s/op")
	b.ReportMetric((selfCPU()-cpu0).Seconds()/float64(b.N), "go-cpu-s/op")
}

// selfCPU is this process's CPU time so far (user + system).
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// selfPeakRSS is this process's peak resident set (VmHWM), 0 where /proc is missing.
func selfPeakRSS() int64 {
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return 0
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb * 1024
		}
	}
	return 0
}
