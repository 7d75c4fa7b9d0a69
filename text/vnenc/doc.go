// Package vnenc converts text in the legacy Vietnamese encodings still found in cadastral files
// (TCVN3/ABC, VNI-Windows, Windows-1258, VISCII) to Unicode NFC, and tells them apart.
//
// Shapefiles, CSV and DGN files drawn in the 1990s and 2000s carry attribute text in the byte
// encodings of the fonts they were typed with: .VnTime (TCVN3), VNI-Times (VNI) and the
// Windows code page 1258. Nothing in such a file names its encoding, so Detect decodes the text
// with every candidate and counts how many of its words come out as Vietnamese syllables; the
// right encoding turns nearly all of them into syllables, the wrong ones into "NguyÔn" or
// "Nguy\u00ean\u00de".
//
// The package is pure (no I/O) and knows nothing about files, GIS or the database: it is used
// by the import readers and may be used by exports. It must never import gisd's other packages.
//
// Sources of the tables: TCVN3 is decoded as TCVN 5712:1993 VN1, of which TCVN3 (VN3, the ABC
// fonts) is the subset, with glibc's iconv table TCVN5712-1; VISCII with glibc's VISCII table
// (both copied into tables.go, and the tests compare them with iconv byte for byte);
// Windows-1258 with golang.org/x/text's charmap (Unicode's mapping); VNI-Windows, which no
// standard body publishes, from VNI Software's character chart (a letter followed by a mark
// byte, see vni.go), checked in the tests against the conversion table of the
// vietnamese-conversion project for all 134 letters with diacritics.
//
// Detection chooses among UTF-8, TCVN3, VNI and Windows-1258; VISCII is decoded when named.
package vnenc
