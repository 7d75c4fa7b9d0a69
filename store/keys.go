package store

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
)

// APIKey is a sector application's key as stored: everything but the secret, which is kept only
// as a SHA-256 hash.
type APIKey struct {
	ID         int64      `json:"id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	Scopes     []string   `json:"scopes"`
	RateLimit  *int       `json:"rate_limit,omitempty"` // requests per minute
	CreatedAt  time.Time  `json:"created_at"`
	CreatedBy  string     `json:"created_by,omitempty"`
	ExpiresAt  *time.Time `json:"expires_at,omitempty"`
	RevokedAt  *time.Time `json:"revoked_at,omitempty"`
	LastUsedAt *time.Time `json:"last_used_at,omitempty"`
	secretHash []byte
}

// Active reports whether the key may be used at time now.
func (k *APIKey) Active(now time.Time) bool {
	return k.RevokedAt == nil && (k.ExpiresAt == nil || now.Before(*k.ExpiresAt))
}

// NewKey is what CreateKey needs.
type NewKey struct {
	Name      string
	Scopes    []string
	RateLimit *int
	ExpiresAt *time.Time
	CreatedBy string
}

// keyPrefixLen and the "gisd_" marker make a leaked key recognisable by secret scanners.
const keyPrefixLen = 8

// CreateKey stores a new key and returns it with its secret, which is never recoverable later.
func (s *Store) CreateKey(ctx context.Context, nk NewKey) (APIKey, string, error) {
	if strings.TrimSpace(nk.Name) == "" {
		return APIKey{}, "", fmt.Errorf("store: key: %w", invalidf("a name is required"))
	}
	if nk.ExpiresAt != nil && !nk.ExpiresAt.After(time.Now()) {
		return APIKey{}, "", fmt.Errorf("store: key: %w", invalidf("expiry %s is in the past", nk.ExpiresAt.Format(time.DateOnly)))
	}
	prefix := randomToken(6)[:keyPrefixLen]
	prefix = strings.ToLower(strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			return r
		}
		return 'x'
	}, prefix))
	secret := randomToken(32)
	token := "gisd_" + prefix + "_" + secret
	hash := sha256.Sum256([]byte(secret))
	if nk.Scopes == nil {
		nk.Scopes = []string{}
	}
	k := APIKey{Name: nk.Name, Prefix: prefix, Scopes: nk.Scopes, RateLimit: nk.RateLimit, ExpiresAt: nk.ExpiresAt, CreatedBy: nk.CreatedBy}
	err := s.pool.QueryRow(ctx, `INSERT INTO api_keys (name, prefix, secret_hash, scopes, rate_limit, expires_at, created_by)
		VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id, created_at`,
		nk.Name, prefix, hash[:], nk.Scopes, nk.RateLimit, nk.ExpiresAt, nk.CreatedBy).Scan(&k.ID, &k.CreatedAt)
	if err != nil {
		return APIKey{}, "", fmt.Errorf("store: create key: %w", Classify(err))
	}
	return k, token, nil
}

func randomToken(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic("store: no randomness: " + err.Error()) // crypto/rand does not fail on Linux
	}
	return base64.RawURLEncoding.EncodeToString(b)
}

// Authenticate finds the key a client presented and checks its secret in constant time.
func (s *Store) Authenticate(ctx context.Context, token string, now time.Time) (APIKey, error) {
	rest, ok := strings.CutPrefix(token, "gisd_")
	prefix, secret, ok2 := strings.Cut(rest, "_")
	if !ok || !ok2 || len(prefix) != keyPrefixLen || len(secret) < 20 || len(secret) > 100 {
		return APIKey{}, ErrBadKey
	}
	k, err := s.keyByPrefix(ctx, prefix)
	if errors.Is(err, ErrNotFound) {
		// Hash anyway so unknown prefixes cost the same as wrong secrets.
		sha256.Sum256([]byte(secret))
		return APIKey{}, ErrBadKey
	}
	if err != nil {
		return APIKey{}, err
	}
	hash := sha256.Sum256([]byte(secret))
	if subtle.ConstantTimeCompare(hash[:], k.secretHash) != 1 || !k.Active(now) {
		return APIKey{}, ErrBadKey
	}
	return k, nil
}

const keyColumns = `id, name, prefix, secret_hash, scopes, rate_limit, created_at, created_by, expires_at, revoked_at, last_used_at`

func scanKey(row pgx.Row) (APIKey, error) {
	var k APIKey
	err := row.Scan(&k.ID, &k.Name, &k.Prefix, &k.secretHash, &k.Scopes, &k.RateLimit, &k.CreatedAt, &k.CreatedBy,
		&k.ExpiresAt, &k.RevokedAt, &k.LastUsedAt)
	return k, err
}

func (s *Store) keyByPrefix(ctx context.Context, prefix string) (APIKey, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE prefix = $1`, prefix))
	if errors.Is(err, pgx.ErrNoRows) {
		return APIKey{}, ErrNotFound
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("store: key: %w", Classify(err))
	}
	return k, nil
}

// KeyActive reports whether key id is still usable at time now: not revoked, not expired. A
// long-lived answer (the change stream) asks it now and then, so that revoking a key also ends
// the streams it opened.
func (s *Store) KeyActive(ctx context.Context, id int64, now time.Time) (bool, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, `SELECT `+keyColumns+` FROM api_keys WHERE id = $1`, id))
	if errors.Is(err, pgx.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("store: key %d: %w", id, Classify(err))
	}
	return k.Active(now), nil
}

// Keys lists every key, newest first.
func (s *Store) Keys(ctx context.Context) ([]APIKey, error) {
	rows, err := s.pool.Query(ctx, `SELECT `+keyColumns+` FROM api_keys ORDER BY id DESC`)
	if err != nil {
		return nil, fmt.Errorf("store: keys: %w", Classify(err))
	}
	keys, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (APIKey, error) { return scanKey(r) })
	if err != nil {
		return nil, fmt.Errorf("store: keys: %w", Classify(err))
	}
	return keys, nil
}

// RevokeKey revokes a key by id or prefix. Revoking twice is not an error.
func (s *Store) RevokeKey(ctx context.Context, idOrPrefix string) (APIKey, error) {
	k, err := scanKey(s.pool.QueryRow(ctx, `UPDATE api_keys SET revoked_at = coalesce(revoked_at, now())
		WHERE id::text = $1 OR prefix = $1 RETURNING `+keyColumns, idOrPrefix))
	if errors.Is(err, pgx.ErrNoRows) {
		return APIKey{}, fmt.Errorf("store: %w", clientError(ErrNotFound, "no key %q", idOrPrefix))
	}
	if err != nil {
		return APIKey{}, fmt.Errorf("store: revoke key: %w", Classify(err))
	}
	return k, nil
}

// TouchKeys records when keys were last used. Callers batch uses and call this now and then, so
// a busy key does not write a row per request.
func (s *Store) TouchKeys(ctx context.Context, ids []int64, at time.Time) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := s.pool.Exec(ctx, `UPDATE api_keys SET last_used_at = $2 WHERE id = ANY($1)`, ids, at)
	if err != nil {
		return fmt.Errorf("store: touch keys: %w", Classify(err))
	}
	return nil
}
