package lgsp

import (
	"testing"

	"github.com/golang-jwt/jwt/v5"
)

// BenchmarkVerify is the cost a request pays for a platform token: parsing, a cached key and the
// signature check. RS256 is what most platforms issue.
func BenchmarkVerify(b *testing.B) {
	keys := []testKey{rsaKey(b, 0, "rsa", jwt.SigningMethodRS256), ecKey(b, "ec"), edKey(b, "ed")}
	v := newVerifier(b, newIssuer(b, keys...), nil)
	for _, k := range keys {
		token := sign(b, k, claims(nil))
		b.Run(k.method.Alg(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := v.Verify(b.Context(), token); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
