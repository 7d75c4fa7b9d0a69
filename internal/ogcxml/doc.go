// Package ogcxml reads the XML that clients of the OGC services send — filters, GML geometries,
// WFS requests — without trusting it, and defines the error every such reader returns.
//
// NewDecoder wraps encoding/xml so that a document is refused, before anything else reads it,
// when it declares a DOCTYPE or entities (billion laughs, external entities), is not UTF-8,
// holds a NUL or an undefined entity, or exceeds the Limits on size, nesting depth, element
// count and attributes per element. The *xml.Decoder it returns is an ordinary one, so callers
// use Token, Skip and DecodeElement as usual; namespaces are resolved as usual.
//
// Errors are *Error values carrying an OGC exception code (WFS 2.0 spelling; the WFS maps them
// to 1.1.0's where they differ) and a message written for the client, with no package prefix and
// no internals.
//
// The package is pure: it imports only the standard library, never pgx, gin or net/http.
package ogcxml
