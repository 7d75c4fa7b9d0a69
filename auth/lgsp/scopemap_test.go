package lgsp

import (
	"errors"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

func TestParseScopeMap(t *testing.T) {
	m, err := ParseScopeMap([]byte(`{
  "claim": "scp",
  "grants": {
    "gisd.read":  ["parcels:read", "*:read"],
    "gisd.admin": ["admin"]
  }
}
`))
	if err != nil {
		t.Fatal(err)
	}
	if m.Claim != "scp" || len(m.Grants) != 2 || !slices.Equal(m.Grants["gisd.read"], []string{"parcels:read", "*:read"}) {
		t.Errorf("ParseScopeMap = %+v", m)
	}
	if err := m.validate(validScope); err != nil {
		t.Errorf("validate: %v", err)
	}
}

func TestParseScopeMap_Errors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"empty", ``, "line 1: unexpected end of file"},
		{"not an object", `["scope"]`, `line 1: want an object with "claim" and "grants"`},
		{"syntax error", "{\n  \"claim\": \"scope\"\n  \"grants\": {}\n}", "line 3: invalid character '\"' after object key:value pair"},
		{"unknown field", "{\n  \"claim\": \"scope\",\n  \"grant\": {}\n}", `line 3: unknown field "grant" (want "claim" and "grants")`},
		{"claim twice", "{\"claim\": \"scope\",\n\"claim\": \"scp\"}", `line 2: "claim" given twice (first on line 1)`},
		{"claim empty", `{"claim": "", "grants": {"a": ["admin"]}}`, `line 1: "claim" must name a claim of the token`},
		{"claim not a string", `{"claim": 3, "grants": {"a": ["admin"]}}`, `line 1: "claim" must name a claim of the token`},
		{"claim missing", `{"grants": {"a": ["admin"]}}`, `"claim" is missing`},
		{"grants missing", `{"claim": "scope"}`, `"grants" is missing or empty`},
		{"grants empty", `{"claim": "scope", "grants": {}}`, `"grants" is missing or empty`},
		{"grants not an object", `{"claim": "scope", "grants": ["admin"]}`, `line 1: "grants" must be an object`},
		{"entry twice", "{\"claim\": \"scope\", \"grants\": {\n  \"a\": [\"admin\"],\n  \"b\": [\"admin\"],\n  \"a\": [\"parcels:read\"]\n}}", `line 4: entry "a" given twice (first on line 2)`},
		{"entry not a list", "{\"claim\": \"scope\", \"grants\": {\n  \"a\": \"admin\"\n}}", `line 2: entry "a": want a list of scopes`},
		{"scope not a string", "{\"claim\": \"scope\", \"grants\": {\n  \"a\": [\"admin\",\n 7]\n}}", `line 3: entry "a": scopes must be strings`},
		{"text after", `{"claim": "scope", "grants": {"a": ["admin"]}} {}`, "line 1: text after the object"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseScopeMap([]byte(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("ParseScopeMap error = %v, want one containing %q", err, tt.want)
			}
			if !strings.HasPrefix(err.Error(), "lgsp: scope map: ") {
				t.Errorf("error %q does not say it is about the scope map", err)
			}
		})
	}
}

// Content errors name the entry and its line, and all of them come at once.
func TestScopeMap_Validate(t *testing.T) {
	m, err := ParseScopeMap([]byte(`{
  "claim": "scope",
  "grants": {
    "gisd.read":   ["parcels:read"],
    "gisd.typo":   ["parcels:read", "parcel:reed"],
    "gisd two":    ["admin"],
    "":            ["admin"],
    "gisd.none":   []
  }
}`))
	if err != nil {
		t.Fatal(err)
	}
	err = m.validate(validScope)
	for _, want := range []string{
		`line 5: entry "gisd.typo": "parcel:reed" is not a gisd scope`,
		`line 6: entry "gisd two": a value with spaces matches nothing`,
		`line 7: entry "": an empty value matches nothing`,
		`line 8: entry "gisd.none": grants no scope (remove the entry)`,
	} {
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("validate error = %v, want one containing %q", err, want)
		}
	}
	if strings.Contains(err.Error(), "gisd.read") {
		t.Errorf("validate blamed a good entry: %v", err)
	}
	// A map built in code has no lines; its errors still name the entry.
	err = ScopeMap{Claim: "scope", Grants: map[string][]string{"x": {"nope"}}}.validate(validScope)
	if err == nil || !strings.Contains(err.Error(), `entry "x": "nope" is not a gisd scope`) {
		t.Errorf("validate error = %v", err)
	}
}

func TestLoadScopeMap(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "scopes.json")
	if err := os.WriteFile(good, []byte(`{"claim": "client_id", "grants": {"so-xay-dung": ["parcels:read"]}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	m, err := LoadScopeMap(good)
	if err != nil || m.Claim != "client_id" || !slices.Equal(m.Grants["so-xay-dung"], []string{"parcels:read"}) {
		t.Errorf("LoadScopeMap = %+v, %v", m, err)
	}
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte("{\n\"claim\": \"scope\",\n\"grants\": {\"a\": [1]}}"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadScopeMap(bad); err == nil || !strings.Contains(err.Error(), bad+`: line 3: entry "a": scopes must be strings`) {
		t.Errorf("LoadScopeMap(bad) error = %v, want it to name the file, line and entry", err)
	}
	if _, err := LoadScopeMap(filepath.Join(dir, "absent.json")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("LoadScopeMap(absent) error = %v, want a not-exist error", err)
	}
}

func TestScopeMap_Grant(t *testing.T) {
	m := ScopeMap{Claim: "scp", Grants: map[string][]string{
		"read":     {"parcels:read"},
		"personal": {"parcels:read", "parcels:personal"},
	}}
	tests := []struct {
		name  string
		value any
		want  []string
	}{
		{"space-separated string", "read  personal", []string{"parcels:personal", "parcels:read"}},
		{"array", []any{"personal", "other"}, []string{"parcels:personal", "parcels:read"}},
		{"array with other types", []any{7.0, "read", nil}, []string{"parcels:read"}},
		{"array element with a space is one value", []any{"read personal"}, nil},
		{"unknown value", "write", nil},
		{"a number", 3.0, nil},
		{"an object", map[string]any{"read": true}, nil},
		{"absent", nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := jwt.MapClaims{}
			if tt.value != nil {
				c["scp"] = tt.value
			}
			if got := m.grant(c); !slices.Equal(got, tt.want) {
				t.Errorf("grant(%v) = %q, want %q", tt.value, got, tt.want)
			}
		})
	}
}

func FuzzParseScopeMap(f *testing.F) {
	f.Add([]byte(`{"claim": "scope", "grants": {"a": ["parcels:read"], "b c": []}}`))
	f.Add([]byte(`{"claim": "scope", "grants": {"a": ["admin"]}} x`))
	f.Add([]byte("{\n\"claim\":"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := ParseScopeMap(data)
		if err != nil {
			return
		}
		if m.Claim == "" || len(m.Grants) == 0 {
			t.Errorf("ParseScopeMap(%q) accepted a map without claim or grants: %+v", data, m)
		}
		_ = m.validate(validScope) // must not panic
	})
}
