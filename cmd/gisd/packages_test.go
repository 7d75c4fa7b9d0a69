package main

import (
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

const module = "github.com/dongnai-gis/gisd/"

// TestREADME_PackageImports keeps the README's package map true: for every package it lists, the
// gisd packages it imports are exactly those the code imports, and every package of the module
// is listed but test helpers (store/storetest, cql2/cql2test) and a listed package's own
// internal tools (store/internal/tilebench). It also holds the house rule that only store's
// tree imports pgx.
func TestREADME_PackageImports(t *testing.T) {
	root := filepath.Join("..", "..")
	readme, err := os.ReadFile(filepath.Join(root, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	listed := readmeImports(t, string(readme))
	actual, pgx := moduleImports(t, root)

	for pkg, want := range listed {
		got, ok := actual[pkg]
		if !ok {
			t.Errorf("README lists %s, which is not a package of the module", pkg)
			continue
		}
		if !slices.Equal(got, want) {
			t.Errorf("README: %s -> %s; the code: %s -> %s", pkg, strings.Join(want, ", "), pkg, strings.Join(got, ", "))
		}
	}
	for pkg := range actual {
		if _, ok := listed[pkg]; !ok && !exempt(listed, pkg) {
			t.Errorf("package %s is missing from the README's package map", pkg)
		}
	}
	for _, pkg := range pgx {
		if pkg != "store" && !strings.HasPrefix(pkg, "store/") {
			t.Errorf("%s imports pgx: only store talks to PostgreSQL", pkg)
		}
	}
}

// exempt reports whether pkg may be left out of the map: a test helper, or an internal tool of a
// listed package.
func exempt(listed map[string][]string, pkg string) bool {
	if strings.HasSuffix(pkg, "test") || strings.HasPrefix(pkg, "store/storetest/") {
		return true
	}
	for p := range listed {
		if strings.HasPrefix(pkg, p+"/internal/") {
			return true
		}
	}
	return false
}

// readmeImports reads the "pkg -> a, b" lines of the README's Packages section.
func readmeImports(t *testing.T, readme string) map[string][]string {
	t.Helper()
	start := strings.Index(readme, "\n## Packages\n")
	if start < 0 {
		t.Fatal("README has no Packages section")
	}
	section := readme[start+1:]
	if end := strings.Index(section[1:], "\n## "); end >= 0 {
		section = section[:end+1]
	}
	line := regexp.MustCompile(`(?m)^([a-z0-9/]+)\s+->(.*)$`)
	out := map[string][]string{}
	for _, m := range line.FindAllStringSubmatch(section, -1) {
		deps := []string{}
		for _, d := range strings.Split(m[2], ",") {
			if d = strings.TrimSpace(d); d != "" {
				deps = append(deps, d)
			}
		}
		slices.Sort(deps)
		out[m[1]] = deps
	}
	if len(out) == 0 {
		t.Fatal("README's Packages section has no `pkg -> imports` lines")
	}
	return out
}

// moduleImports reads the imports of every package of the module below root (tests left out):
// the gisd packages each imports, sorted, and the packages that import pgx.
func moduleImports(t *testing.T, root string) (map[string][]string, []string) {
	t.Helper()
	imports := map[string][]string{}
	var pgx []string
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		name := d.Name()
		if d.IsDir() {
			if path != root && (strings.HasPrefix(name, ".") || name == "testdata" || name == "node_modules" || name == "var") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(name, ".go") || strings.HasSuffix(name, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		deps := imports[pkg]
		if deps == nil {
			deps = []string{}
		}
		for _, spec := range f.Imports {
			p, _ := strconv.Unquote(spec.Path.Value)
			switch {
			case strings.HasPrefix(p, "github.com/jackc/pgx"):
				if !slices.Contains(pgx, pkg) {
					pgx = append(pgx, pkg)
				}
			case strings.HasPrefix(p, module):
				dep := strings.TrimPrefix(p, module)
				if dep != pkg && !strings.HasPrefix(dep, pkg+"/") && !slices.Contains(deps, dep) {
					deps = append(deps, dep)
				}
			}
		}
		slices.Sort(deps)
		imports[pkg] = deps
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return imports, pgx
}
