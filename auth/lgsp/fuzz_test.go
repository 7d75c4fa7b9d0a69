package lgsp

import (
	"errors"
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// FuzzVerify: whatever arrives, Verify refuses it with an *Error and never panics; only the one
// token the issuer signed is accepted (RS256 signatures are unique and decoding is strict).
func FuzzVerify(f *testing.F) {
	rs := rsaKey(f, 0, "rsa-1", jwt.SigningMethodRS256)
	v := newVerifier(f, newIssuer(f, rs), nil)
	good := sign(f, rs, claims(nil))
	f.Add(good)
	f.Add(sign(f, rs, claims(func(c jwt.MapClaims) { c["exp"] = "x" })))
	f.Add("eyJhbGciOiJub25lIn0.eyJzdWIiOiJ4In0.")
	f.Add("a.b.c")
	f.Fuzz(func(t *testing.T, raw string) {
		id, err := v.Verify(t.Context(), raw)
		if err == nil {
			if raw != good {
				t.Fatalf("accepted a token the issuer did not sign: %q -> %+v", raw, id)
			}
			return
		}
		var e *Error
		if !errors.As(err, &e) {
			t.Fatalf("Verify(%q) error %T %v is not an *Error", raw, err, err)
		}
	})
}
