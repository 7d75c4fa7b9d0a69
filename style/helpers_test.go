package style

import (
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"testing"

	"github.com/dongnai-gis/gisd/migrations"
)

// migrationCodes reads the land-use code list from the migration that creates it, the
// database's source of truth.
func migrationCodes(t testing.TB) []LandUse {
	t.Helper()
	b, err := fs.ReadFile(migrations.FS, "000002_reference.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`\('([A-Z]{3})', '([^']+)', '(\w+)', (true|false), (?:NULL|'[A-Z]{3}')\)`)
	var out []LandUse
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		out = append(out, LandUse{Code: m[1], Name: m[2], Group: m[3], Legacy: m[4] == "true"})
	}
	if len(out) < 50 {
		t.Fatalf("read %d land-use codes from the migration, want the whole list", len(out))
	}
	return out
}

// catalogAttribute is an attribute of a built-in layer as the catalog declares it.
type catalogAttribute struct {
	Name       string `json:"name"`
	Type       string `json:"type"`
	Visibility string `json:"visibility"`
}

// catalogAttributes reads the built-in layers' attributes from the migration that registers them
// in the catalog: the tiles carry exactly the public ones.
func catalogAttributes(t testing.TB) map[string][]catalogAttribute {
	t.Helper()
	b, err := fs.ReadFile(migrations.FS, "000003_layers.up.sql")
	if err != nil {
		t.Fatal(err)
	}
	re := regexp.MustCompile(`(?s)\('(\w+)', '[^']*', '[^']*',\s*'table', '\w+', '\w+', '(\[.*?\])'`)
	out := map[string][]catalogAttribute{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		var attrs []catalogAttribute
		if err := json.Unmarshal([]byte(m[2]), &attrs); err != nil {
			t.Fatalf("layer %s: %v", m[1], err)
		}
		out[m[1]] = attrs
	}
	for _, id := range []string{"parcels", "constructions", "admin_units"} {
		if len(out[id]) == 0 {
			t.Fatalf("no attributes of %s in the migration", id)
		}
	}
	return out
}

// repoRoot is the repository's top folder.
func repoRoot(t testing.TB) string {
	t.Helper()
	_, file, _, _ := runtime.Caller(0)
	return filepath.Dir(filepath.Dir(file))
}

// sharedCSV reads ../shared/reference/land-use-codes.csv beside the repository; it skips when
// the folder is absent.
func sharedCSV(t testing.TB) []LandUse {
	t.Helper()
	path := filepath.Join(repoRoot(t), "..", "shared", "reference", "land-use-codes.csv")
	b, err := os.ReadFile(path)
	if os.IsNotExist(err) {
		t.Skipf("the shared reference list is not at %s (it lives beside the repository, in ../shared)", path)
	}
	if err != nil {
		t.Fatal(err)
	}
	var out []LandUse
	for i, line := range strings.Split(strings.TrimSpace(string(b)), "\n") {
		if i == 0 {
			continue
		}
		f := strings.Split(line, ",")
		if len(f) != 4 {
			t.Fatalf("line %d: %q", i+1, line)
		}
		out = append(out, LandUse{Code: f[0], Name: f[1], Group: f[2], Legacy: f[3] == "legacy"})
	}
	return out
}
