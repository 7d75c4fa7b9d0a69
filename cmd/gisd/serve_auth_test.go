package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dongnai-gis/gisd/store/storetest"
)

// The integration platform's settings are checked at start, before the database is opened: each
// mistake stops gisd with the setting (and for the scope map the file, line and entry) named.
func TestConfig_LGSPSettingsAreChecked(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	good := write("good.json", `{"claim": "scope", "grants": {"gisd.parcels.read": ["parcels:read"]}}`)
	badScope := write("bad-scope.json", "{\n  \"claim\": \"scope\",\n  \"grants\": {\n    \"gisd.read\": [\"parcels:fly\"]\n  }\n}")
	badJSON := write("bad.json", "{\n  \"claim\": \"scope\",\n  \"grants\": {\"a\": [\"parcels:read\"],}\n}")
	db := []string{"serve", "--database-url", "postgres://x@127.0.0.1:1/x"}
	lgsp := func(url, iss, aud, scopes string) []string {
		return append(append([]string(nil), db...), "--lgsp-jwks-url", url, "--lgsp-issuer", iss, "--lgsp-audience", aud, "--lgsp-scope-map", scopes)
	}
	for _, tc := range []struct {
		name string
		env  map[string]string
		args []string
		want []string
	}{
		{"issuer without JWKS", nil, append(db, "--lgsp-issuer", "https://lgsp"), []string{"--lgsp-issuer", "--lgsp-jwks-url"}},
		{"plain http JWKS", nil, lgsp("http://lgsp/jwks", "https://lgsp", "gisd", good), []string{"--lgsp-jwks-url"}},
		{"no audience", nil, lgsp("https://lgsp/jwks", "https://lgsp", " , ", good), []string{"--lgsp-audience"}},
		{"no issuer", nil, lgsp("https://lgsp/jwks", "", "gisd", good), []string{"--lgsp-issuer"}},
		{"no scope map", nil, lgsp("https://lgsp/jwks", "https://lgsp", "gisd", ""), []string{"--lgsp-scope-map"}},
		{"scope map that is not JSON", nil, lgsp("https://lgsp/jwks", "https://lgsp", "gisd", badJSON), []string{"bad.json", "line 3"}},
		{"scope map granting a non-scope", nil, lgsp("https://lgsp/jwks", "https://lgsp", "gisd", badScope), []string{"bad-scope.json", "line 4", "gisd.read", "parcels:fly"}},
		{"missing scope map file", nil, lgsp("https://lgsp/jwks", "https://lgsp", "gisd", filepath.Join(dir, "none.json")), []string{"none.json"}},
		{"from the environment", map[string]string{"GISD_LGSP_ISSUER": "https://lgsp"}, db, []string{"--lgsp-issuer", "--lgsp-jwks-url"}},
		{"negative tile rate limit", nil, append(db, "--tile-rate-limit", "-1"), []string{"--tile-rate-limit"}},
		{"negative auth failure limit", nil, append(db, "--auth-failure-limit", "-5"), []string{"--auth-failure-limit"}},
		{"bad trusted proxy", nil, append(db, "--trusted-proxies", "10.0.0.0/8, lb.example"), []string{"--trusted-proxies"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			code, _, stderr := runCmd(t, context.Background(), tc.args...)
			if code != 2 {
				t.Errorf("exit %d, want 2 (stderr %q)", code, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q does not name %q", stderr, w)
				}
			}
		})
	}
	_, _, help := runCmd(t, context.Background(), "serve", "--help")
	for _, want := range []string{"-lgsp-jwks-url", "(env GISD_LGSP_JWKS_URL)", "-lgsp-issuer", "-lgsp-audience", "-lgsp-scope-map", "(env GISD_LGSP_SCOPE_MAP)",
		"-tile-rate-limit", "-auth-failure-limit", "-trusted-proxies"} {
		if !strings.Contains(help, want) {
			t.Errorf("gisd serve --help lacks %q", want)
		}
	}
}

// The CLI has the database's own credentials and no key: it may grant any scope, personal data
// and admin included (an admin key over HTTP may only grant what it holds).
func TestKeys_CLIGrantsAnyScope(t *testing.T) {
	u := storetest.Migrated(t)
	code, out, stderr := runCmd(t, context.Background(), "keys", "create", "--database-url", u, "--name", "Quản trị", "--scopes", "*:personal,*:write,admin")
	if code != 0 || !strings.Contains(out, "*:personal") || !strings.Contains(out, "admin") {
		t.Errorf("keys create with every scope: exit %d %q %s", code, out, stderr)
	}
}
