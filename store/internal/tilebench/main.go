// Command tilebench is the helper of scripts/bench-tiles.sh (make bench-tiles). It is a tool for
// measuring, not part of gisd:
//
//	tilebench list     -bbox W,S,E,N [-n 3000] [-zmin 10] [-zmax 18] [-seed 1] [-layers a,b,c]
//	    prints a fixed pseudo-random list of tile paths over bbox, one per line
//	tilebench sizes    -base http://127.0.0.1:8080 -list FILE [-gzip=true]
//	    fetches every tile once and prints the status counts and the mean tile size
//	tilebench baseline -database-url URL -addr 127.0.0.1:8081 [-db-max-conns 16]
//	    serves /tiles/{layers}/{z}/{x}/{y}.mvt the plain way: one ST_AsMVT statement per tile,
//	    no generalization, no cache, no singleflight, no compression, net/http instead of Gin.
//	    It is the yardstick gisd's cold (cache disabled) throughput is compared with.
//
// The baseline is written the way pg_tileserv serves tiles, with its own plain SQL on its own
// pool, and reads the layer catalog itself: it shares nothing with gisd's tile path, so that it
// measures the plain way and not gisd's code under another name. It lives under store because it
// talks to PostgreSQL, and store's tree is the only place that imports pgx.
package main

import (
	"bufio"
	"compress/gzip"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/paulmach/orb"
	"github.com/paulmach/orb/maptile"

	"github.com/dongnai-gis/gisd/geo"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: tilebench list|sizes|baseline [flags]")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var err error
	switch os.Args[1] {
	case "list":
		err = list(os.Args[2:])
	case "sizes":
		err = sizes(os.Args[2:])
	case "baseline":
		err = baseline(ctx, os.Args[2:])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "tilebench:", err)
		os.Exit(1)
	}
}

func list(args []string) error {
	fs := flag.NewFlagSet("list", flag.ContinueOnError)
	bbox := fs.String("bbox", "", "W,S,E,N in degrees")
	n := fs.Int("n", 3000, "number of tiles")
	zmin := fs.Int("zmin", 10, "lowest zoom")
	zmax := fs.Int("zmax", 18, "highest zoom")
	seed := fs.Uint64("seed", 1, "random seed: same seed, same list")
	layers := fs.String("layers", "admin_units,parcels,constructions", "layer list in the paths")
	if err := fs.Parse(args); err != nil {
		return err
	}
	b, err := geo.ParseBBox(*bbox)
	if err != nil {
		return err
	}
	r := rand.New(rand.NewPCG(*seed, 0x7a11e5))
	w := bufio.NewWriter(os.Stdout)
	for range *n {
		z := maptile.Zoom(*zmin + r.IntN(*zmax-*zmin+1))
		p := orb.Point{b.Min[0] + r.Float64()*(b.Max[0]-b.Min[0]), b.Min[1] + r.Float64()*(b.Max[1]-b.Min[1])}
		t := maptile.At(p, z)
		fmt.Fprintf(w, "/tiles/%s/%d/%d/%d.mvt\n", *layers, t.Z, t.X, t.Y)
	}
	return w.Flush()
}

func sizes(args []string) error {
	fs := flag.NewFlagSet("sizes", flag.ContinueOnError)
	base := fs.String("base", "http://127.0.0.1:8080", "server base URL")
	file := fs.String("list", "", "file of tile paths")
	if err := fs.Parse(args); err != nil {
		return err
	}
	f, err := os.Open(*file)
	if err != nil {
		return err
	}
	defer f.Close()
	client := &http.Client{Timeout: time.Minute, Transport: &http.Transport{DisableCompression: true}}
	var n, ok, empty, other int
	var raw, gz int64
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		req, _ := http.NewRequest("GET", *base+sc.Text(), nil)
		req.Header.Set("Accept-Encoding", "gzip")
		res, err := client.Do(req)
		if err != nil {
			return err
		}
		body, err := io.ReadAll(res.Body)
		res.Body.Close()
		if err != nil {
			return err
		}
		n++
		switch res.StatusCode {
		case http.StatusOK:
			ok++
			size := int64(len(body))
			if res.Header.Get("Content-Encoding") == "gzip" {
				gz += size
				zr, err := gzip.NewReader(strings.NewReader(string(body)))
				if err != nil {
					return err
				}
				m, err := io.Copy(io.Discard, zr)
				if err != nil {
					return err
				}
				raw += m
			} else {
				raw += size
			}
		case http.StatusNoContent:
			empty++
		default:
			other++
		}
	}
	if err := sc.Err(); err != nil {
		return err
	}
	meanRaw, meanGz := 0.0, 0.0
	if ok > 0 {
		meanRaw, meanGz = float64(raw)/float64(ok), float64(gz)/float64(ok)
	}
	fmt.Printf("tiles=%d ok=%d empty=%d errors=%d mean_raw_bytes=%.0f mean_gzip_bytes=%.0f\n", n, ok, empty, other, meanRaw, meanGz)
	if other > 0 {
		return fmt.Errorf("%d tiles failed", other)
	}
	return nil
}

// baseline serves tiles the plain way, for comparison.
func baseline(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("baseline", flag.ContinueOnError)
	url := fs.String("database-url", os.Getenv("DATABASE_URL"), "database")
	addr := fs.String("addr", "127.0.0.1:8081", "listen address")
	conns := fs.Int("db-max-conns", 16, "pool size (use gisd's)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	cfg, err := pgxpool.ParseConfig(*url)
	if err != nil {
		return errors.New("-database-url is not a valid PostgreSQL connection string")
	}
	cfg.MaxConns = int32(*conns)
	cfg.ConnConfig.RuntimeParams["application_name"] = "tilebench-baseline"
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return err
	}
	defer pool.Close()
	layers, err := readLayers(ctx, pool)
	if err != nil {
		return err
	}
	srv := &http.Server{Addr: *addr, Handler: &plain{pool: pool, layers: layers}, ReadHeaderTimeout: 10 * time.Second}
	go func() {
		<-ctx.Done()
		_ = srv.Shutdown(context.Background())
	}()
	if err := srv.ListenAndServe(); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// layer is what the baseline needs of a catalog entry: table layers only (imported layers share
// one table, which the plain way does not know about).
type layer struct {
	id, table        string
	minZoom, maxZoom int
	public           []attribute
	start, end       string // valid-time columns; empty when the layer has none
}

type attribute struct {
	Name, Type, Visibility string
}

func readLayers(ctx context.Context, pool *pgxpool.Pool) (map[string]layer, error) {
	rows, err := pool.Query(ctx, `SELECT id, table_name, min_zoom, max_zoom, attributes,
		coalesce(temporal ->> 'start', ''), coalesce(temporal ->> 'end', '')
		FROM layers WHERE storage = 'table'`)
	if err != nil {
		return nil, fmt.Errorf("read the catalog: %w", err)
	}
	defer rows.Close()
	out := map[string]layer{}
	for rows.Next() {
		var l layer
		var attrs []attribute
		var minZ, maxZ int16
		if err := rows.Scan(&l.id, &l.table, &minZ, &maxZ, &attrs, &l.start, &l.end); err != nil {
			return nil, fmt.Errorf("read the catalog: %w", err)
		}
		l.minZoom, l.maxZoom = int(minZ), int(maxZ)
		for _, a := range attrs {
			if a.Visibility == "public" {
				l.public = append(l.public, a)
			}
		}
		out[l.id] = l
	}
	return out, rows.Err()
}

type plain struct {
	pool   *pgxpool.Pool
	layers map[string]layer
}

func quote(name string) string { return pgx.Identifier{name}.Sanitize() }

func (p *plain) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(strings.TrimPrefix(r.URL.Path, "/tiles/"), "/")
	if len(parts) != 4 || !strings.HasSuffix(parts[3], ".mvt") {
		http.NotFound(w, r)
		return
	}
	t, err := geo.ParseTile(parts[1], parts[2], strings.TrimSuffix(parts[3], ".mvt"))
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	var sql strings.Builder
	args := []any{int32(t.Z), int32(t.X), int32(t.Y)}
	n := 0
	for _, id := range strings.Split(parts[0], ",") {
		l, ok := p.layers[id]
		if !ok {
			http.NotFound(w, r)
			return
		}
		if int(t.Z) < l.minZoom || int(t.Z) > l.maxZoom {
			continue
		}
		if n > 0 {
			sql.WriteString(" || ")
		} else {
			sql.WriteString("SELECT ")
		}
		n++
		args = append(args, l.id)
		sql.WriteString("(SELECT coalesce(ST_AsMVT(q, $" + strconv.Itoa(len(args)) + ", 4096, 'geom', 'id'), '') FROM (SELECT id")
		for _, a := range l.public {
			col := quote(a.Name)
			if a.Type == "json" {
				col += "::text"
			}
			sql.WriteString(", " + col + " AS " + quote(a.Name))
		}
		sql.WriteString(", ST_AsMVTGeom(ST_Transform(geom, 3857), ST_TileEnvelope($1, $2, $3), 4096, 64, true) AS geom FROM " +
			quote(l.table) + " WHERE geom && ST_Transform(ST_TileEnvelope($1, $2, $3), 4326)")
		if l.start != "" && l.end != "" {
			sql.WriteString(" AND (" + quote(l.start) + " IS NULL OR " + quote(l.start) +
				" <= current_date) AND (" + quote(l.end) + " IS NULL OR " + quote(l.end) + " > current_date)")
		}
		sql.WriteString(") q)")
	}
	if n == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var b []byte
	err = p.pool.QueryRow(r.Context(), sql.String(), args...).Scan(&b)
	if err != nil {
		http.Error(w, "tile failed", http.StatusInternalServerError)
		return
	}
	if len(b) == 0 {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.mapbox-vector-tile")
	_, _ = w.Write(b)
}
