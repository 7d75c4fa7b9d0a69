package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"net"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/dongnai-gis/gisd/store/storetest"
)

// QGIS 3.22 (Debian's python3-qgis), the desktop GIS of the provincial departments, opens the same
// OGC API layer anonymously and with a key in one session, in both orders: owner fields appear in
// the keyed layer only, and the anonymous layer has none. Its network disk cache keys answers by
// URL alone. With "private, no-cache" (and Vary) in place of no-store this test fails both ways:
// the anonymous layer opened after a keyed one lists the owner fields, and the keyed layer opened
// after an anonymous one shows no owners.
func TestQGIS_KeyedAndAnonymousLayersInOneSession(t *testing.T) {
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil || exec.Command(python, "-c", "import qgis.core").Run() != nil {
		if os.Getenv("GISD_REQUIRE_DB") == "1" {
			t.Fatal("python3-qgis is not installed (scripts/test-deps.sh installs it)")
		}
		t.Skip("python3-qgis is not installed")
	}
	s := storetest.Store(t, storetest.Migrated(t))
	for i, owner := range []string{"Nguyễn Văn An", "Trần Thị Bình", "Lê Văn Cường"} {
		ownerParcel(t, s, i+1, owner, "07908000123"+itoa64(int64(i)))
	}
	_, key := mustKey(t, s, "Văn phòng đăng ký đất đai", []string{"parcels:read", "parcels:personal"}, nil)
	srv := httptest.NewServer(newServer(t, s))
	defer srv.Close()
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(srv.URL, "http://"))

	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	profile := t.TempDir()
	cmd := exec.CommandContext(ctx, python, filepath.Join("testdata", "qgis_keyed_cache.py"), profile, key,
		"http://127.0.0.1:"+port, "http://localhost:"+port)
	cmd.Env = append(os.Environ(), "QT_QPA_PLATFORM=offscreen", "HOME="+profile)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("qgis_keyed_cache.py: %v\n%s\n%s", err, stdout.String(), stderr.String())
	}
	var got struct {
		Cached int      `json:"cached_files"`
		Errors []string `json:"errors"`
		Layers []struct {
			Order  string              `json:"order"`
			Keyed  bool                `json:"keyed"`
			Valid  bool                `json:"valid"`
			Error  string              `json:"error"`
			Fields []string            `json:"fields"`
			Owners []map[string]string `json:"owners"`
		} `json:"layers"`
	}
	if err := json.Unmarshal(stdout.Bytes(), &got); err != nil {
		t.Fatalf("%v: %s\n%s", err, stdout.String(), stderr.String())
	}
	for _, e := range got.Errors {
		t.Fatalf("QGIS: %s", e)
	}
	if len(got.Layers) != 4 {
		t.Fatalf("QGIS opened %d layers, want 4: %s", len(got.Layers), stdout.String())
	}
	for _, l := range got.Layers {
		who := "anonymous layer"
		if l.Keyed {
			who = "keyed layer"
		}
		if !l.Valid || len(l.Owners) != 3 {
			t.Errorf("%s (%s): valid %v, %d features, want 3 (%s)", who, l.Order, l.Valid, len(l.Owners), l.Error)
			continue
		}
		var withOwner int
		for _, o := range l.Owners {
			if o["owner_name"] != "" && o["owner_id_number"] != "" {
				withOwner++
			}
		}
		hasField := strings.Contains(strings.Join(l.Fields, ","), "owner_")
		switch {
		case l.Keyed && withOwner != 3:
			t.Errorf("%s (%s): %d of 3 features show their owner; fields %v", who, l.Order, withOwner, l.Fields)
		case !l.Keyed && (withOwner > 0 || hasField):
			t.Errorf("%s (%s): owner fields leaked: %v, fields %v", who, l.Order, l.Owners, l.Fields)
		}
	}
	// The test proves something only if QGIS caches answers at all.
	if got.Cached == 0 {
		t.Errorf("QGIS cached nothing on disk; the test shows nothing about its cache")
	}
	t.Logf("QGIS's disk cache holds %d answers", got.Cached)
}
