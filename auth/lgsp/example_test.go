package lgsp_test

import (
	"fmt"

	"github.com/dongnai-gis/gisd/auth/lgsp"
)

// A scope map grants gisd scopes per value of one claim; here the OAuth "scope" claim.
func ExampleParseScopeMap() {
	m, err := lgsp.ParseScopeMap([]byte(`{
  "claim": "scope",
  "grants": {
    "gisd.parcels.read":     ["parcels:read"],
    "gisd.parcels.personal": ["parcels:read", "parcels:personal"]
  }
}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(m.Claim, m.Grants["gisd.parcels.personal"])

	_, err = lgsp.ParseScopeMap([]byte("{\n  \"claim\": \"scope\",\n  \"grants\": {\"gisd.read\": \"parcels:read\"}\n}"))
	fmt.Println(err)
	// Output:
	// scope [parcels:read parcels:personal]
	// lgsp: scope map: line 3: entry "gisd.read": want a list of scopes
}

// api tells platform tokens from its own keys by their shape.
func ExampleLooksLikeJWT() {
	fmt.Println(lgsp.LooksLikeJWT("eyJhbGciOiJSUzI1NiIsImtpZCI6IjEifQ.eyJzdWIiOiJhcHAifQ.c2ln"))
	fmt.Println(lgsp.LooksLikeJWT("gisd_3fa9c2d1_hQ2nK8bPz0wX4yRmT6vJ1cLd"))
	// Output:
	// true
	// false
}
