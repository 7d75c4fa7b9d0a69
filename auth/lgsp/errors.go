package lgsp

import (
	"context"
	"errors"

	"github.com/MicahParks/jwkset"
	"github.com/MicahParks/keyfunc/v3"
	"github.com/golang-jwt/jwt/v5"
)

// Why a token was refused. Each reason's text is short and safe to show to the client as is;
// api answers ErrUnavailable with 503 and every other reason with 401.
var (
	ErrTooLarge    = errors.New("token too large")
	ErrMalformed   = errors.New("token malformed")
	ErrAlgorithm   = errors.New("token algorithm not accepted")
	ErrUnknownKey  = errors.New("token signing key unknown")
	ErrSignature   = errors.New("token signature invalid")
	ErrIssuer      = errors.New("token issuer not accepted")
	ErrAudience    = errors.New("token audience not accepted")
	ErrExpired     = errors.New("token expired")
	ErrNotYetValid = errors.New("token not yet valid")
	ErrClaims      = errors.New("token claims not accepted")
	// ErrUnavailable: the issuer's keys could not be fetched and none are cached, so no token can
	// be checked now. It says nothing about the token; the client may retry later.
	ErrUnavailable = errors.New("token issuer keys unavailable")
)

// Error is a refused token. errors.Is(err, ErrExpired) and the like tell the reason; Error()
// carries the library's detail for the server log. Send ClientMessage(err) to the client, never
// err.Error().
type Error struct {
	Reason error  // one of the Err* reasons above
	msg    string // the client message, the Reason's text unless more precise
	cause  error  // for the log only
}

func (e *Error) Error() string {
	s := "lgsp: " + e.msg
	if e.cause != nil {
		s += ": " + e.cause.Error()
	}
	return s
}

// Unwrap returns the reason only: callers branch on reasons, not on a library's errors.
func (e *Error) Unwrap() error { return e.Reason }

// ClientMessage is the text to send to a client for an error from Verify: the reason, never key
// material or a library's words. An error that is not a refusal gets a generic text.
func ClientMessage(err error) string {
	var e *Error
	if errors.As(err, &e) {
		return e.msg
	}
	return "token not accepted"
}

func refuse(reason error, cause error) *Error {
	return &Error{Reason: reason, msg: reason.Error(), cause: cause}
}

func refuseMsg(reason error, msg string, cause error) *Error {
	return &Error{Reason: reason, msg: msg, cause: cause}
}

// classify turns the parser's error into a refusal. The parser checks in this order: shape, the
// algorithm against the allowed list, the key, the signature, then the claims; only a token whose
// signature is good reaches the claims, so iss/aud/exp errors never describe forged tokens.
func (v *Verifier) classify(ctx context.Context, tok *jwt.Token, claims jwt.MapClaims, err error) *Error {
	switch {
	case errors.Is(err, jwt.ErrTokenMalformed):
		return refuse(ErrMalformed, err)
	case tok != nil && !v.algAllowed(tok.Header["alg"]):
		return refuse(ErrAlgorithm, err)
	case errors.Is(err, jwt.ErrTokenUnverifiable):
		if !v.keys.cached(ctx) {
			return refuse(ErrUnavailable, err)
		}
		if errors.Is(err, jwkset.ErrKeyNotFound) || !errors.Is(err, keyfunc.ErrKeyfunc) {
			return refuse(ErrUnknownKey, err)
		}
		// The key exists but its JWK names another algorithm or another use.
		return refuse(ErrAlgorithm, err)
	case errors.Is(err, jwt.ErrTokenSignatureInvalid):
		return refuse(ErrSignature, err)
	}
	// The signature is good; only the claims are wrong. A missing claim is reported as the check
	// it fails, read from the claims themselves rather than from the library's message.
	switch {
	case errors.Is(err, jwt.ErrTokenInvalidIssuer) || missing(claims, "iss"):
		return refuse(ErrIssuer, err)
	case errors.Is(err, jwt.ErrTokenInvalidAudience) || missing(claims, "aud"):
		return refuse(ErrAudience, err)
	case missing(claims, "exp"):
		return refuseMsg(ErrClaims, "token has no expiry (exp)", err)
	case errors.Is(err, jwt.ErrTokenExpired):
		return refuse(ErrExpired, err)
	case errors.Is(err, jwt.ErrTokenNotValidYet):
		return refuse(ErrNotYetValid, err)
	case errors.Is(err, jwt.ErrTokenUsedBeforeIssued):
		return refuseMsg(ErrNotYetValid, "token issued in the future", err)
	}
	return refuse(ErrClaims, err)
}

func missing(claims jwt.MapClaims, name string) bool {
	v, ok := claims[name]
	return !ok || v == nil || v == ""
}
