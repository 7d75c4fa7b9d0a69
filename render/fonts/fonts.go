// Package fonts embeds the typeface gisd draws text with: Noto Sans Regular and Bold (Google,
// version 2.004, from Debian 12's fonts-noto-core), under the SIL Open Font License 1.1, whose
// text travels with them in OFL.txt as the licence requires. Noto Sans covers every Vietnamese
// letter (the precomposed letters with tones, U+1EA0–U+1EF9, and ă â đ ê ô ơ ư), so map labels,
// legends and documents (the parcel extract's PDF) write Vietnamese correctly without any font
// installed on the server.
//
// The package holds only the files: it imports nothing, so any renderer (the map renderer, a PDF
// writer) can use the same bytes.
package fonts

import _ "embed"

// NotoSansRegular is the TrueType file of Noto Sans Regular.
//
//go:embed NotoSans-Regular.ttf
var NotoSansRegular []byte

// NotoSansBold is the TrueType file of Noto Sans Bold.
//
//go:embed NotoSans-Bold.ttf
var NotoSansBold []byte

// License is the copyright notice and the SIL Open Font License 1.1 of both files. Whoever
// redistributes the fonts (an executable that embeds them) must ship this with them, where a user
// can read it; documents and images made with the fonts need not.
//
//go:embed OFL.txt
var License string
