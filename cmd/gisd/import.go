package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/user"
	"strconv"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/dongnai-gis/gisd/geo"
	"github.com/dongnai-gis/gisd/importer"
	"github.com/dongnai-gis/gisd/store"
)

const importUsage = `gisd import --layer LAYER --file F|- [--srid N] [--mode append|replace|upsert] [--key f1,f2,...]
            [--map SourceField=attribute ...] [--dry-run] [--strict] [--create --title T] [--max-rejected N]
            [--max-value-bytes N] [--offline]
gisd import revert ID     restore the layer as it was before import ID
gisd import cancel ID     cancel import ID, running elsewhere (or on a gisd that died)
gisd import show ID       an import's record and full report
gisd import list          recent imports

Imports a GeoJSON FeatureCollection (or RFC 8142 / newline-delimited Features) into a layer in one
transaction: it all commits or nothing does. Coordinates are in --srid, else the file's crs member,
else WGS 84; VN-2000 TM-3 data without a CRS is refused with the zone it is likely in (--srid 9212 for
Bình Phước). Vietnamese field names (MaXa, SoHieuToBanDo, SoThuTuThua, DienTich, KyHieuMucDichSuDung,
DiaChi, TenChu, xaId, soHieuToBanDo, ...) map to the parcel attributes without --map.

Every feature is validated; each rejection is reported with the feature's index, key and reason. By
default one rejected feature stops the import (nothing is written); --max-rejected N commits the
accepted features when at most N are rejected (-1: any number). The exit status is 0 only when the
import committed (or, with --dry-run, would have).

--offline loads like a bulk loader, for a first load or a maintenance window: the layer's table is
locked until the import ends (a server answers requests for it with 503 meanwhile), and its indexes
are built once at the end instead of row by row.`

// mapFlag collects repeated --map Source=attribute (or comma-separated pairs).
type mapFlag map[string]string

func (m mapFlag) String() string { return "" }

func (m mapFlag) Set(v string) error {
	for _, pair := range strings.Split(v, ",") {
		src, dst, ok := strings.Cut(pair, "=")
		if !ok || strings.TrimSpace(src) == "" || strings.TrimSpace(dst) == "" {
			return fmt.Errorf("want SourceField=attribute, got %q", pair)
		}
		m[strings.TrimSpace(src)] = strings.TrimSpace(dst)
	}
	return nil
}

func runImport(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	s := newSettings("import", importUsage)
	s.fs.SetOutput(stderr)
	var db dbSettings
	var opt importer.Options
	var file, key string
	var reportLines int
	var asJSON bool
	maps := mapFlag{}
	db.register(s)
	s.String(&opt.Layer, "layer", "", "", "the layer to import into (required); for list, only its imports")
	s.String(&file, "file", "", "", "the GeoJSON file, - for standard input (required)")
	s.Int(&opt.SRID, "srid", "", 0, "EPSG code of the coordinates (default: the file's crs member, else 4326)")
	s.String(&opt.Mode, "mode", "", importer.ModeAppend, "append, upsert or replace")
	s.String(&key, "key", "", "", "comma-separated attributes identifying a feature (default: the layer's natural key)")
	s.fs.Var(maps, "map", "SourceField=attribute, repeatable: map a field of the file to an attribute")
	s.Bool(&opt.DryRun, "dry-run", "", false, "validate and report, write nothing")
	s.Bool(&opt.Strict, "strict", "", false, "reject invalid geometry instead of repairing it")
	s.Bool(&opt.Create, "create", "", false, "create the layer from the file's fields (types inferred)")
	s.Bool(&opt.Offline, "offline", "", false, "lock the layer while loading and build its indexes at the end (faster; the layer is unavailable meanwhile)")
	s.String(&opt.Title, "title", "", "", "title of the layer --create makes")
	s.Int(&opt.MaxRejected, "max-rejected", "", 0, "commit the accepted features when at most N are rejected (-1: any number)")
	s.Int(&opt.MaxValueBytes, "max-value-bytes", "", importer.DefaultMaxValueBytes, "reject a feature with an attribute value longer than N bytes")
	s.Int(&reportLines, "report", "", 20, "report entries to print (show prints all)")
	s.Bool(&asJSON, "json", "", false, "show/list: print JSON")
	rest, err := db.parse(s, args)
	if err != nil {
		return err
	}
	action := ""
	if len(rest) > 0 {
		action = rest[0]
	}
	var id int64
	switch action {
	case "":
		if opt.Layer == "" || file == "" {
			return usagef("--layer and --file are required")
		}
		if opt.MaxRejected < -1 {
			return usagef("--max-rejected %d: want -1 (any number) or a count", opt.MaxRejected)
		}
	case "revert", "show", "cancel":
		if len(rest) != 2 {
			return usagef("%s takes one import id", action)
		}
		if id, err = strconv.ParseInt(rest[1], 10, 64); err != nil || id < 1 {
			return usagef("%s %q: want an import id", action, rest[1])
		}
	case "list":
		if len(rest) != 1 {
			return usagef("list takes no argument")
		}
	default:
		return usagef("unknown action %q: want revert, show, cancel or list (or flags to import)", action)
	}
	st, err := db.openCurrent(ctx, slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))
	if err != nil {
		return err
	}
	defer st.Close()
	if _, err := st.LoadCatalog(ctx); err != nil {
		return err
	}
	switch action {
	case "revert":
		res, err := st.RevertImport(ctx, id, cliActor())
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "import %d reverted: %d features deleted, %d restored to their previous version, %d deleted ones restored",
			id, res.Deleted, res.Restored, res.Reinserted)
		if res.LayerRemoved {
			fmt.Fprint(stdout, "; the layer it created was removed")
		}
		fmt.Fprintln(stdout)
		return nil
	case "cancel":
		cr, err := st.CancelImport(ctx, id)
		switch {
		case err != nil:
			return err
		case cr.Cancelled:
			fmt.Fprintf(stdout, "import %d cancelled (the gisd running it had stopped); nothing was written\n", id)
		case cr.Requested:
			fmt.Fprintf(stdout, "import %d: the gisd running it was asked to cancel it; gisd import show %d says when it has\n", id, id)
		default:
			return fmt.Errorf("import %d is %s, not running: nothing to cancel (gisd import revert %d undoes a committed one)", id, cr.State, id)
		}
		return nil
	case "show":
		rec, err := st.ImportRecord(ctx, id)
		if err != nil {
			return err
		}
		return printRecord(stdout, rec, asJSON)
	case "list":
		recs, err := st.ImportRecords(ctx, store.ImportQuery{Layer: opt.Layer})
		if err != nil {
			return err
		}
		return printRecords(stdout, recs, asJSON)
	}

	for _, k := range strings.Split(key, ",") {
		if k = strings.TrimSpace(k); k != "" {
			opt.Key = append(opt.Key, k)
		}
	}
	if len(maps) > 0 {
		opt.Map = maps
	}
	opt.Actor = cliActor()
	var in *os.File
	var size int64 = -1
	if file == "-" {
		in, opt.Source = os.Stdin, "stdin"
	} else {
		if in, err = os.Open(file); err != nil {
			return err
		}
		defer in.Close()
		opt.Source = file
		if fi, err := in.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	}
	im, err := st.NewImport(ctx, opt)
	if err != nil {
		var oe *importer.OptionError
		switch {
		case errors.As(err, &oe):
			return usagef("%s: %s", flagName(oe.Option), oe.Msg)
		case errors.Is(err, store.ErrNotFound):
			return usagef("%v (--create makes a new layer from the file)", err)
		case errors.Is(err, store.ErrConflict) && opt.Create:
			return usagef("%v; import into it without --create", err)
		case errors.Is(err, store.ErrInvalid), errors.Is(err, store.ErrConflict):
			return &usageError{err}
		}
		return err
	}
	// Ctrl-C cancels the import; closing the input wakes a read blocked on a pipe.
	stopClose := context.AfterFunc(ctx, func() { in.Close() })
	defer stopClose()
	prog := startProgress(stderr, im, size)
	res, err := im.Run(ctx, in)
	prog.stop()
	if err != nil {
		var ie *store.ImportError
		if errors.As(err, &ie) && ie.Result != nil {
			printResult(stdout, ie.Result, reportLines)
			return fmt.Errorf("import %d %s: %s%s", ie.ID, ie.State, ie.Msg, importHint(err))
		}
		return err
	}
	printResult(stdout, res, reportLines)
	return nil
}

// flagName is the flag of an import option ("max_rejected" is --max-rejected).
func flagName(option string) string { return "--" + strings.ReplaceAll(option, "_", "-") }

// importHint says, in this command's words, what would get a failed import through.
func importHint(err error) string {
	if srid, mismatch := geo.SuggestSRID(err); srid != 0 {
		return fmt.Sprintf("; use --srid %d", srid)
	} else if mismatch {
		return "; give their CRS with --srid (9212 for VN-2000 / TM-3 106-15, Bình Phước)"
	}
	if errors.Is(err, store.ErrTooManyRejected) {
		return "; --max-rejected N commits the accepted features when at most N are rejected"
	}
	return ""
}

func cliActor() string {
	if u, err := user.Current(); err == nil && u.Username != "" {
		return "cli:" + u.Username
	}
	return "cli"
}

// printResult prints counts and the first n report entries.
func printResult(w io.Writer, res *importer.Result, n int) {
	c := res.Counts
	fmt.Fprintf(w, "import %d %s: %d read, %d accepted, %d rejected, %d repaired, %d warnings",
		res.ID, res.State, c.Read, c.Accepted, c.Rejected, c.Repaired, c.Warnings)
	if res.State == importer.StateCommitted || res.State == importer.StateValidated {
		verb := ""
		if res.State == importer.StateValidated {
			verb = "would be "
		}
		fmt.Fprintf(w, "; %s%d inserted, %d updated, %d unchanged, %d deleted", verb, c.Inserted, c.Updated, c.Unchanged, c.Deleted)
	}
	if c.SRID != 0 {
		fmt.Fprintf(w, " (from EPSG:%d)", c.SRID)
	}
	fmt.Fprintf(w, " in %.1f s\n", float64(c.Millis)/1000)
	for i, e := range res.Report {
		if i == n {
			fmt.Fprintf(w, "  … %d more entries: gisd import show %d\n", len(res.Report)-n, res.ID)
			break
		}
		fmt.Fprintln(w, "  "+entryLine(e))
	}
	if c.Truncated {
		fmt.Fprintf(w, "  (the stored report holds the first %d entries; counts by code: %v)\n", importer.MaxReportEntries, c.ByCode)
	}
	if c.ByCode["field_ignored"] > 0 {
		fmt.Fprintln(w, "  (fields that are not attributes of the layer are imported with --map Field=attribute)")
	}
}

func entryLine(e importer.Entry) string {
	where := "file"
	if e.Index >= 0 {
		where = fmt.Sprintf("feature %d", e.Index)
	}
	if e.Key != "" {
		where += " [" + e.Key + "]"
	} else if e.ID != "" {
		where += " [id " + e.ID + "]"
	}
	return fmt.Sprintf("%s %s %s: %s", where, e.Level, e.Code, e.Reason)
}

func printRecord(w io.Writer, r store.ImportRecord, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	}
	fmt.Fprintf(w, "import %d: %s into %s (%s) from %s by %s, started %s\n", r.ID, r.State, r.Layer, r.Mode, r.Source, r.Actor,
		r.StartedAt.Local().Format(time.DateTime))
	if r.Error != "" {
		fmt.Fprintf(w, "  error: %s\n", r.Error)
	}
	fmt.Fprintf(w, "  counts: %s\n", r.Counts)
	var entries []importer.Entry
	_ = json.Unmarshal(r.Report, &entries)
	for _, e := range entries {
		fmt.Fprintln(w, "  "+entryLine(e))
	}
	return nil
}

func printRecords(w io.Writer, recs []store.ImportRecord, asJSON bool) error {
	if asJSON {
		return json.NewEncoder(w).Encode(recs)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tLAYER\tMODE\tSTATE\tSTARTED\tSOURCE\tACTOR")
	for _, r := range recs {
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", r.ID, r.Layer, r.Mode, r.State, r.StartedAt.Local().Format(time.DateTime), r.Source, r.Actor)
	}
	return tw.Flush()
}

// progress reports a running import on stderr: a bar redrawn in place on a terminal, a plain
// line every few seconds otherwise (logs, CI).
type progress struct {
	stopOnce sync.Once
	done     chan struct{}
	wg       sync.WaitGroup
}

// isTerminal reports whether w is a character device. golang.org/x/term would need a new
// direct dependency for this one bit.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

func startProgress(w io.Writer, im *store.Import, size int64) *progress {
	p := &progress{done: make(chan struct{})}
	tty := isTerminal(w)
	every := 5 * time.Second
	if tty {
		every = 200 * time.Millisecond
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		drawn := false
		for {
			select {
			case <-p.done:
				if drawn {
					fmt.Fprint(w, "\r\033[K")
				}
				return
			case <-t.C:
			}
			pr := im.Progress()
			if tty {
				fmt.Fprint(w, "\r\033[K"+bar(pr, size))
				drawn = true
			} else {
				fmt.Fprintf(w, "import %d: %s, %s read, %d features (%.0f/s), %d accepted, %d rejected\n",
					im.ID(), pr.Phase, mb(pr.Bytes), pr.Read, pr.FeaturesPerSecond, pr.Accepted, pr.Rejected)
			}
		}
	}()
	return p
}

func (p *progress) stop() {
	p.stopOnce.Do(func() { close(p.done) })
	p.wg.Wait()
}

func bar(pr importer.Progress, size int64) string {
	const width = 24
	fill := 0
	pct := ""
	if size > 0 {
		f := float64(pr.Bytes) / float64(size)
		fill = int(f * width)
		pct = fmt.Sprintf(" %3.0f%%", f*100)
	}
	fill = min(max(fill, 0), width)
	b := "[" + strings.Repeat("=", fill) + strings.Repeat(" ", width-fill) + "]"
	total := ""
	if size > 0 {
		total = "/" + mb(size)
	}
	return fmt.Sprintf("%s%s %s%s  %.0f features/s  accepted %d  rejected %d  %s",
		b, pct, mb(pr.Bytes), total, pr.FeaturesPerSecond, pr.Accepted, pr.Rejected, pr.Phase)
}

func mb(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/1e6) }
