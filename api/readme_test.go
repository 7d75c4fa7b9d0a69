package api

import (
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// readmeTable returns the rows of the Markdown table in README.md whose header row is header.
func readmeTable(t *testing.T, header string) [][]string {
	t.Helper()
	b, err := os.ReadFile("../README.md")
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(string(b), "\n")
	i := slices.Index(lines, header)
	if i < 0 {
		t.Fatalf("README.md has no table %q", header)
	}
	var rows [][]string
	for _, l := range lines[i+2:] {
		if !strings.HasPrefix(l, "|") {
			break
		}
		cells := strings.Split(strings.Trim(l, "|"), " | ")
		for j := range cells {
			cells[j] = strings.TrimSpace(cells[j])
		}
		rows = append(rows, cells)
	}
	return rows
}

// The README's route table is the route table: every route with its scope, nothing else.
func TestREADME_RouteTable(t *testing.T) {
	type entry struct{ method, path, scope string }
	var readme []entry
	span := regexp.MustCompile("`([A-Z, ]+) (/[^`]*)`")
	for _, row := range readmeTable(t, "| route | scope | what |") {
		spans := span.FindAllStringSubmatch(row[0], -1)
		if len(spans) == 0 {
			t.Errorf("README route %q names no METHOD /path", row[0])
		}
		for _, m := range spans {
			for _, method := range strings.Split(m[1], ", ") {
				readme = append(readme, entry{method, m[2], row[1]})
			}
		}
	}
	template := regexp.MustCompile(`\{[^}]+\}`)
	covered := make([]bool, len(routeTable))
	for _, e := range readme {
		found := false
		for i, r := range routeTable {
			if r.Method == e.method && ginPattern(r.Path).MatchString(template.ReplaceAllString(e.path, "x")) {
				found = true
				covered[i] = true
				if string(r.Scope) != e.scope {
					t.Errorf("README: %s %s has scope %q, routes.go %q", e.method, e.path, e.scope, r.Scope)
				}
			}
		}
		if !found {
			t.Errorf("README lists %s %s, which routes.go does not serve", e.method, e.path)
		}
	}
	for i, r := range routeTable {
		if !covered[i] {
			t.Errorf("routes.go serves %s %s (%s), which the README does not list", r.Method, r.Path, r.Scope)
		}
	}
}

// The README's table of problem types is the error table's.
func TestREADME_ProblemTypes(t *testing.T) {
	want := map[string]int{}
	for _, k := range append(slices.Clone(errorTable), internalKind) {
		if k.status != statusClientClosed {
			want[k.name] = k.status
		}
	}
	got := map[string]string{}
	for _, row := range readmeTable(t, "| type (`tag:dongnai-gis.github.io,2026:problem/…`) | status | when |") {
		got[strings.Trim(row[0], "`")] = row[1]
	}
	for name, status := range want {
		if got[name] != itoa(status) {
			t.Errorf("README: problem type %s has status %q, the table %d", name, got[name], status)
		}
	}
	for name := range got {
		if _, ok := want[name]; !ok {
			t.Errorf("README lists problem type %s, which the table does not have", name)
		}
	}
	if !strings.HasPrefix(problemTypeBase, "tag:dongnai-gis.github.io,2026:problem/") {
		t.Errorf("the README's type prefix is not problemTypeBase %q", problemTypeBase)
	}
}
