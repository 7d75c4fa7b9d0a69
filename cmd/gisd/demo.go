package main

import (
	"context"
	"fmt"
	"io"
	"time"

	"github.com/dongnai-gis/gisd/store"
)

func runDemo(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	s := newSettings("demo", "Loads the deterministic demo of Bình Phước province (admin units with the 2025 reform,\nparcels, constructions, history) in one transaction. Does nothing if a demo is already loaded\nunless --force is given.")
	s.fs.SetOutput(stderr)
	var db dbSettings
	var parcels int
	var seed int
	var force bool
	db.register(s)
	s.Int(&parcels, "parcels", "GISD_DEMO_PARCELS", 50000, "number of parcels")
	s.Int(&seed, "seed", "GISD_DEMO_SEED", 70, "generator seed (same seed, same province)")
	s.Bool(&force, "force", "", false, "replace an existing demo")
	if rest, err := db.parse(s, args); err != nil {
		return err
	} else if len(rest) > 0 {
		return usagef("unexpected argument %q", rest[0])
	}
	if parcels < 1 || parcels > 20_000_000 {
		return usagef("--parcels %d: want 1..20000000", parcels)
	}
	if seed == 0 {
		return usagef("--seed 0: want a non-zero seed")
	}
	st, err := db.openCurrent(ctx, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	start := time.Now()
	res, err := st.LoadDemo(ctx, store.DemoOptions{Parcels: parcels, Seed: int64(seed), Force: force})
	if err != nil {
		return err
	}
	if res.Skipped {
		fmt.Fprintln(stdout, "demo already loaded (use --force to reload)")
		return nil
	}
	fmt.Fprintf(stdout, "demo loaded in %v: import %d, %d admin units, %d parcels, %d constructions, %d later versions\n",
		time.Since(start).Round(time.Millisecond), res.ImportID, res.AdminUnits, res.Parcels, res.Constructions, res.Changed)
	return nil
}
