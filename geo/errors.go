package geo

import "errors"

// Sentinel errors. Every error returned by this package wraps exactly one of
// them; the message of the wrapping error says what was wrong with the input.
var (
	// ErrUnknownCRS: a CRS identifier that cannot be parsed or that is not
	// in the registry.
	ErrUnknownCRS = errors.New("unknown CRS")
	// ErrInvalidBBox: a bounding box that is malformed or out of range.
	ErrInvalidBBox = errors.New("invalid bbox")
	// ErrInvalidTile: a tile address that is malformed or out of range.
	ErrInvalidTile = errors.New("invalid tile")
	// ErrOutOfRange: a coordinate that is not finite or lies outside the
	// domain of a projection.
	ErrOutOfRange = errors.New("coordinate out of range")
)

// geoError carries a precise message and the sentinel it belongs to. Using a
// type rather than fmt.Errorf("...: %w") keeps messages exact
// ("geo: bbox: want 4 or 6 numbers, got 3") without the sentinel's text
// appended, while errors.Is still works through Unwrap.
type geoError struct {
	kind error
	msg  string
}

func (e *geoError) Error() string {
	switch e.kind {
	case ErrInvalidBBox:
		return "geo: bbox: " + e.msg
	case ErrInvalidTile:
		return "geo: tile: " + e.msg
	}
	return "geo: " + e.msg
}

// ClientMessage is the message without the package prefix (nor "bbox: " or "tile: ", which the
// parameter at fault already says), for the person who sent the input.
func (e *geoError) ClientMessage() string { return e.msg }
func (e *geoError) Unwrap() error         { return e.kind }

// prefix adds context to an error from this package while keeping a single
// "geo: " at the front: "geo: EPSG:9212: lon 200 outside -180..180".
func prefix(err error, context string) error {
	if e, ok := err.(*geoError); ok {
		return &geoError{e.kind, context + ": " + e.msg}
	}
	return err
}
