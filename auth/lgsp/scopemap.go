package lgsp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"slices"
	"strings"
	"unicode"

	"github.com/golang-jwt/jwt/v5"
)

// ScopeMap says which gisd scopes a token earns: the values of one claim of the token, each
// mapped to the scopes it grants. A value the map does not name grants nothing.
//
// The claim may be a space-separated string (OAuth's "scope"), an array of strings ("scp",
// "roles") or a single identifier ("client_id", "azp": one entry per registered application).
type ScopeMap struct {
	Claim  string
	Grants map[string][]string // claim value -> gisd scopes
	lines  map[string]int      // the line each entry was read from, for error messages
}

// LoadScopeMap reads a scope map from a JSON file:
//
//	{
//	  "claim": "scope",
//	  "grants": {
//	    "gisd.parcels.read":     ["parcels:read"],
//	    "gisd.parcels.personal": ["parcels:read", "parcels:personal"]
//	  }
//	}
//
// Errors name the file and the line. The scopes themselves are checked by New, against the gisd
// rule it is given.
func LoadScopeMap(path string) (ScopeMap, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return ScopeMap{}, fmt.Errorf("lgsp: scope map: %w", err)
	}
	m, err := parseScopeMap(data)
	if err != nil {
		return ScopeMap{}, fmt.Errorf("lgsp: scope map %s: %w", path, err)
	}
	return m, nil
}

// ParseScopeMap reads a scope map in the format of LoadScopeMap.
func ParseScopeMap(data []byte) (ScopeMap, error) {
	m, err := parseScopeMap(data)
	if err != nil {
		return ScopeMap{}, fmt.Errorf("lgsp: scope map: %w", err)
	}
	return m, nil
}

// scopeMapParser walks the JSON token by token so that every complaint can name its line, and so
// that a value written twice is an error rather than the last one silently winning.
type scopeMapParser struct {
	data []byte
	dec  *json.Decoder
}

func (p *scopeMapParser) line(off int64) int { return bytes.Count(p.data[:off], []byte("\n")) + 1 }

// here is the line of the token just read.
func (p *scopeMapParser) here() int { return p.line(p.dec.InputOffset()) }

func (p *scopeMapParser) token() (json.Token, error) {
	t, err := p.dec.Token()
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &syn):
		return nil, fmt.Errorf("line %d: %w", p.line(min(syn.Offset, int64(len(p.data)))), err)
	case errors.Is(err, io.EOF):
		return nil, fmt.Errorf("line %d: unexpected end of file", p.line(int64(len(p.data))))
	}
	return t, err
}

func (p *scopeMapParser) delim(want json.Delim, what string) error {
	t, err := p.token()
	if err != nil {
		return err
	}
	if d, ok := t.(json.Delim); !ok || d != want {
		return fmt.Errorf("line %d: %s", p.here(), what)
	}
	return nil
}

func parseScopeMap(data []byte) (ScopeMap, error) {
	p := &scopeMapParser{data: data, dec: json.NewDecoder(bytes.NewReader(data))}
	m := ScopeMap{Grants: map[string][]string{}, lines: map[string]int{}}
	if err := p.delim('{', `want an object with "claim" and "grants"`); err != nil {
		return ScopeMap{}, err
	}
	seen := map[string]int{}
	for p.dec.More() {
		t, err := p.token()
		if err != nil {
			return ScopeMap{}, err
		}
		field, _ := t.(string)
		if at, dup := seen[field]; dup {
			return ScopeMap{}, fmt.Errorf("line %d: %q given twice (first on line %d)", p.here(), field, at)
		}
		seen[field] = p.here()
		switch field {
		case "claim":
			t, err := p.token()
			if err != nil {
				return ScopeMap{}, err
			}
			if m.Claim, _ = t.(string); m.Claim == "" {
				return ScopeMap{}, fmt.Errorf(`line %d: "claim" must name a claim of the token, such as "scope" or "client_id"`, p.here())
			}
		case "grants":
			if err := p.grants(&m); err != nil {
				return ScopeMap{}, err
			}
		default:
			return ScopeMap{}, fmt.Errorf(`line %d: unknown field %q (want "claim" and "grants")`, p.here(), field)
		}
	}
	if err := p.delim('}', "want the end of the object"); err != nil {
		return ScopeMap{}, err
	}
	if _, err := p.dec.Token(); !errors.Is(err, io.EOF) {
		return ScopeMap{}, fmt.Errorf("line %d: text after the object", p.here())
	}
	if _, ok := seen["claim"]; !ok {
		return ScopeMap{}, errors.New(`"claim" is missing`)
	}
	if len(m.Grants) == 0 {
		return ScopeMap{}, errors.New(`"grants" is missing or empty: the map would grant nothing`)
	}
	return m, nil
}

func (p *scopeMapParser) grants(m *ScopeMap) error {
	if err := p.delim('{', `"grants" must be an object of claim value -> list of scopes`); err != nil {
		return err
	}
	for p.dec.More() {
		t, err := p.token()
		if err != nil {
			return err
		}
		value := t.(string) // inside an object, the decoder only returns string keys
		line := p.here()
		if at, dup := m.lines[value]; dup {
			return fmt.Errorf("line %d: entry %q given twice (first on line %d)", line, value, at)
		}
		m.lines[value] = line
		if err := p.delim('[', fmt.Sprintf("entry %q: want a list of scopes", value)); err != nil {
			return err
		}
		scopes := []string{}
		for p.dec.More() {
			t, err := p.token()
			if err != nil {
				return err
			}
			s, ok := t.(string)
			if !ok {
				return fmt.Errorf("line %d: entry %q: scopes must be strings", p.here(), value)
			}
			scopes = append(scopes, s)
		}
		if err := p.delim(']', fmt.Sprintf("entry %q: want the end of the list", value)); err != nil {
			return err
		}
		m.Grants[value] = scopes
	}
	return p.delim('}', `want the end of "grants"`)
}

// validate checks the map's content against the gisd scope rule, reporting every bad entry at
// once so that an operator fixes the file in one go.
// Check reports every entry of m that New would refuse, each with its line: a value that can never
// match, one that grants nothing, a scope valid does not accept. gisd serve calls it at start,
// before anything else, so a mistake in the file stops it at once.
func (m ScopeMap) Check(valid func(string) bool) error { return m.validate(valid) }

func (m ScopeMap) validate(valid func(string) bool) error {
	var errs []error
	if m.Claim == "" {
		errs = append(errs, errors.New("no claim named"))
	}
	if len(m.Grants) == 0 {
		errs = append(errs, errors.New("no grants: the map would grant nothing"))
	}
	for _, value := range slices.Sorted(maps.Keys(m.Grants)) {
		where := fmt.Sprintf("entry %q", value)
		if line, ok := m.lines[value]; ok {
			where = fmt.Sprintf("line %d: entry %q", line, value)
		}
		switch {
		case value == "":
			errs = append(errs, fmt.Errorf("%s: an empty value matches nothing", where))
		case strings.IndexFunc(value, unicode.IsSpace) >= 0:
			// Claim values are split on spaces ("scope"), so this entry could never match.
			errs = append(errs, fmt.Errorf("%s: a value with spaces matches nothing", where))
		}
		if len(m.Grants[value]) == 0 {
			errs = append(errs, fmt.Errorf("%s: grants no scope (remove the entry)", where))
		}
		for _, s := range m.Grants[value] {
			if !valid(s) {
				errs = append(errs, fmt.Errorf(`%s: %q is not a gisd scope (want "LAYER:read", "LAYER:write", "LAYER:personal" or "admin")`, where, s))
			}
		}
	}
	return errors.Join(errs...)
}

// clone copies the map so that a caller changing theirs later cannot race with Verify.
func (m ScopeMap) clone() ScopeMap {
	c := ScopeMap{Claim: m.Claim, Grants: make(map[string][]string, len(m.Grants)), lines: m.lines}
	for k, v := range m.Grants {
		c.Grants[k] = slices.Clone(v)
	}
	return c
}

// grant returns the scopes the token's claim values earn: sorted, without duplicates, nil when
// none. A claim of another type than a string or an array of strings earns nothing.
func (m ScopeMap) grant(claims jwt.MapClaims) []string {
	var values []string
	switch c := claims[m.Claim].(type) {
	case string:
		values = strings.Fields(c)
	case []any:
		for _, e := range c {
			if s, ok := e.(string); ok {
				values = append(values, s)
			}
		}
	}
	var out []string
	for _, v := range values {
		out = append(out, m.Grants[v]...)
	}
	slices.Sort(out)
	return slices.Compact(out)
}
