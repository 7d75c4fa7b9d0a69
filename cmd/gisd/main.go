// Command gisd is the shared GIS database platform: it serves vector tiles, OGC API – Features
// and spatial queries over PostGIS, imports layers, and manages the schema and demo data.
//
// Configuration comes from flags, then environment variables, then defaults; `gisd CMD --help`
// lists each command's settings. This is the only package that may exit the process.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"
)

type command struct {
	name    string
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) error
}

func commands() []command {
	return []command{
		{"serve", "serve the HTTP API, tiles and web map", runServe},
		{"migrate", "apply or revert schema migrations: migrate up|down [N]|version", runMigrate},
		{"demo", "load the deterministic demo of Bình Phước province", runDemo},
		{"synth", "write a synthetic parcel layer as GeoJSON for benchmarks", runSynth},
		{"keys", "create, list and revoke API keys of sector applications", runKeys},
		{"import", "import GeoJSON into a layer, validated, all or nothing; revert, show, list imports", runImport},
	}
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "gisd — the shared GIS database platform\n\nusage: gisd COMMAND [flags]\n\ncommands:")
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-9s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w, "\nRun 'gisd COMMAND --help' for the flags of a command.")
}

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	os.Exit(run(ctx, os.Args[1:], os.Stdout, os.Stderr))
}

// run dispatches to a command and turns its error into an exit status: 0 success, 2 bad usage or
// configuration, 1 anything else.
func run(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands() {
		if c.name != args[0] {
			continue
		}
		err := c.run(ctx, args[1:], stdout, stderr)
		switch {
		case err == nil:
			return 0
		case errors.Is(err, flag.ErrHelp):
			return 0
		case errors.As(err, new(*usageError)):
			fmt.Fprintf(stderr, "gisd %s: %v\n", c.name, err)
			return 2
		default:
			fmt.Fprintf(stderr, "gisd %s: %v\n", c.name, err)
			return 1
		}
	}
	fmt.Fprintf(stderr, "gisd: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}

// usageError is a configuration or command-line mistake: exit status 2.
type usageError struct{ err error }

func (e *usageError) Error() string { return e.err.Error() }
func (e *usageError) Unwrap() error { return e.err }

func usagef(format string, a ...any) error { return &usageError{fmt.Errorf(format, a...)} }

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	if err := lv.UnmarshalText([]byte(level)); err != nil {
		return nil, usagef("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch format {
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	}
	return nil, usagef("--log-format %q: want text or json", format)
}
