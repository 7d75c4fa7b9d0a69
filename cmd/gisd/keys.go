package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/dongnai-gis/gisd/api"
	"github.com/dongnai-gis/gisd/store"
)

func runKeys(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	s := newSettings("keys", `gisd keys create --name NAME --scopes "parcels:read,constructions:write" [--personal] [--expires 2027-12-31] [--rate-limit N]
gisd keys list
gisd keys revoke ID|PREFIX

Scopes: LAYER:read, LAYER:write, LAYER:personal (LAYER may be *), admin. --personal adds LAYER:personal for
every layer the key reads or writes. The secret is printed once; gisd stores only its hash.`)
	s.fs.SetOutput(stderr)
	var db dbSettings
	var name, scopes, expires string
	var personal bool
	var rateLimit int
	db.register(s)
	s.String(&name, "name", "", "", "the application the key is for (create)")
	s.String(&scopes, "scopes", "", "", "comma-separated scopes (create)")
	s.Bool(&personal, "personal", "", false, "also grant personal data of the layers in --scopes (create)")
	s.String(&expires, "expires", "", "", "expiry date YYYY-MM-DD, end of day in Vietnam, or RFC 3339 time (create)")
	s.Int(&rateLimit, "rate-limit", "", 0, "requests per minute for this key; 0 uses the server's default (create)")
	rest, err := db.parse(s, args)
	if err != nil {
		return err
	}
	if len(rest) == 0 {
		return usagef("want create, list or revoke")
	}
	var nk store.NewKey
	switch rest[0] {
	case "create":
		if len(rest) != 1 {
			return usagef("create takes no argument; use --name and --scopes")
		}
		if strings.TrimSpace(name) == "" {
			return usagef("--name is required")
		}
		list, err := api.ExpandScopes(strings.Split(scopes, ","), personal)
		if err != nil {
			return usagef("--scopes: %v", err)
		}
		if len(list) == 0 {
			return usagef("--scopes is required, e.g. \"parcels:read\"")
		}
		exp, err := api.ParseExpiry(expires)
		if err != nil {
			return usagef("--expires %q: want YYYY-MM-DD or an RFC 3339 time", expires)
		}
		if rateLimit < 0 {
			return usagef("--rate-limit %d: want 0 or a positive number", rateLimit)
		}
		nk = store.NewKey{Name: name, Scopes: list, ExpiresAt: exp, CreatedBy: "cli"}
		if rateLimit > 0 {
			nk.RateLimit = &rateLimit
		}
	case "list", "revoke":
		if rest[0] == "list" && len(rest) != 1 || rest[0] == "revoke" && len(rest) != 2 {
			return usagef("usage: keys list | keys revoke ID|PREFIX")
		}
	default:
		return usagef("unknown keys action %q: want create, list or revoke", rest[0])
	}
	st, err := db.open(ctx, 0, nil)
	if err != nil {
		return err
	}
	defer st.Close()
	switch rest[0] {
	case "create":
		k, secret, err := st.CreateKey(ctx, nk)
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "key %d (%s) for %q, scopes %s\n\n    %s\n\nStore this secret now: it is shown once and gisd keeps only its hash.\n",
			k.ID, k.Prefix, k.Name, strings.Join(k.Scopes, ","), secret)
	case "list":
		keys, err := st.Keys(ctx)
		if err != nil {
			return err
		}
		tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "ID\tPREFIX\tNAME\tSCOPES\tEXPIRES\tSTATE\tLAST USED")
		now := time.Now()
		for _, k := range keys {
			state := "active"
			switch {
			case k.RevokedAt != nil:
				state = "revoked"
			case !k.Active(now):
				state = "expired"
			}
			fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%s\n", k.ID, k.Prefix, k.Name, strings.Join(k.Scopes, ","),
				fmtTime(k.ExpiresAt), state, fmtTime(k.LastUsedAt))
		}
		return tw.Flush()
	case "revoke":
		k, err := st.RevokeKey(ctx, rest[1])
		if err != nil {
			return err
		}
		fmt.Fprintf(stdout, "key %d (%s, %q) revoked\n", k.ID, k.Prefix, k.Name)
	}
	return nil
}

func fmtTime(t *time.Time) string {
	if t == nil {
		return "-"
	}
	return t.Format("2006-01-02 15:04")
}
