package ogr

import (
	"archive/zip"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"strings"
)

// zipMember is one file in an archive that passed checkZip.
type zipMember struct {
	f    *zip.File
	dir  string // the directory inside the archive, "" at the top
	base string // file name without extension
	ext  string // lower case, with the dot: ".shp"
}

// layerKey names the member's layer: its base name, with its directory when two directories
// hold layers of the same name.
func (m zipMember) key() string { return strings.ToLower(path.Join(m.dir, m.base)) }

// checkZip looks at every entry of the archive, from its central directory, before anything is
// extracted, and refuses the archive as a whole if one entry is unsafe: a name that leaves the
// archive (absolute, "..", a drive letter), a symbolic link or other special file, an
// encrypted entry, more entries than allowed, or sizes that only a bomb has (declared total
// over the limit, or an entry over 1 MiB that expands more than maxRatio times; deflate cannot
// exceed about 1032:1, and real attribute tables stay far below 500:1). Extraction counts the
// bytes it writes as well, since declared sizes can lie.
func checkZip(zr *zip.Reader, o *Options) ([]zipMember, error) {
	if len(zr.File) > o.MaxZipEntries {
		return nil, newError(ErrUnsafe, CodeZipBomb, "the zip holds %d entries; at most %d are accepted", len(zr.File), o.MaxZipEntries)
	}
	var total uint64
	var out []zipMember
	seen := map[string]bool{}
	for _, f := range zr.File {
		name := strings.ReplaceAll(f.Name, `\`, "/")
		if !safeZipName(name) {
			return nil, newError(ErrUnsafe, CodeZipPath,
				"the zip entry %q points outside the archive (absolute path or \"..\"); it is refused as a whole", printable(f.Name))
		}
		mode := f.Mode()
		if mode&fs.ModeSymlink != 0 || mode&(fs.ModeDevice|fs.ModeNamedPipe|fs.ModeSocket|fs.ModeCharDevice|fs.ModeIrregular) != 0 {
			return nil, newError(ErrUnsafe, CodeZipSymlink,
				"the zip entry %q is a symbolic link or special file; it is refused as a whole", printable(f.Name))
		}
		if f.Flags&0x1 != 0 {
			return nil, newError(ErrUnsafe, CodeZipEncrypted, "the zip entry %q is encrypted; upload it without a password", printable(f.Name))
		}
		total += f.UncompressedSize64
		if total > uint64(o.MaxBytes) {
			return nil, newError(ErrTooLarge, CodeZipBomb,
				"the zip expands to more than %s; at most %s are accepted", fmtBytes(int64(min(total, 1<<62))), fmtBytes(o.MaxBytes))
		}
		if f.UncompressedSize64 > 1<<20 && (f.CompressedSize64 == 0 || f.UncompressedSize64/f.CompressedSize64 > uint64(o.MaxZipRatio)) {
			return nil, newError(ErrUnsafe, CodeZipBomb,
				"the zip entry %q expands from %s to %s, which only a zip bomb does; it is refused",
				printable(f.Name), fmtBytes(int64(f.CompressedSize64)), fmtBytes(int64(min(f.UncompressedSize64, 1<<62))))
		}
		if mode.IsDir() || strings.HasSuffix(name, "/") {
			continue
		}
		dir, file := path.Split(path.Clean(name))
		// macOS adds resource forks (__MACOSX/._x.shp): not data.
		if strings.HasPrefix(dir, "__MACOSX/") || strings.HasPrefix(file, "._") {
			continue
		}
		low := strings.ToLower(path.Clean(name))
		if seen[low] {
			return nil, newError(ErrInvalid, CodeZipPath, "the zip holds %q twice", printable(f.Name))
		}
		seen[low] = true
		ext := strings.ToLower(path.Ext(file))
		out = append(out, zipMember{f: f, dir: strings.TrimSuffix(dir, "/"), base: strings.TrimSuffix(file, path.Ext(file)), ext: ext})
	}
	return out, nil
}

// safeZipName accepts relative slash-separated names that stay inside the archive.
func safeZipName(name string) bool {
	if name == "" || strings.HasPrefix(name, "/") || strings.ContainsRune(name, 0) {
		return false
	}
	if len(name) >= 2 && name[1] == ':' { // C:/..., C:file
		return false
	}
	for _, part := range strings.Split(name, "/") {
		if part == ".." {
			return false
		}
	}
	return true
}

// extractMember writes one member to dst, counting the bytes against *budget; a member that
// expands past its declared size or past the budget is a bomb.
func extractMember(m zipMember, dst string, budget *int64) error {
	rc, err := m.f.Open()
	if err != nil {
		return zipDamaged(err)
	}
	defer rc.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("ogr: extracting: %w", err)
	}
	n, err := io.Copy(out, io.LimitReader(rc, *budget+1))
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	*budget -= n
	if *budget < 0 {
		return newError(ErrTooLarge, CodeZipBomb, "the zip expands to more than it declares; it is refused")
	}
	if err != nil {
		return zipDamaged(err)
	}
	return nil
}

func zipDamaged(err error) error {
	if errors.Is(err, zip.ErrFormat) || errors.Is(err, zip.ErrChecksum) || errors.Is(err, zip.ErrAlgorithm) ||
		errors.Is(err, io.ErrUnexpectedEOF) {
		return newError(ErrInvalid, CodeUnreadable, "the zip is damaged or uses a compression method other than deflate").withDetail(err.Error())
	}
	return fmt.Errorf("ogr: reading the zip: %w", err)
}

// printable shortens a name from the file for a message and drops control characters.
func printable(s string) string {
	s = strings.ToValidUTF8(s, "?")
	if r := []rune(s); len(r) > 80 {
		s = string(r[:77]) + "..."
	}
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, s)
}

func fmtBytes(n int64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(n)/(1<<10))
	}
	return fmt.Sprintf("%d bytes", n)
}
