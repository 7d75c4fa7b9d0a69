package lgsp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/MicahParks/jwkset"
	"golang.org/x/sync/singleflight"
)

// keyStore is the issuer's key set as keyfunc reads it. jwkset does the work: it fetches the
// JWKS, keeps it in memory, refreshes it in the background and, for a kid it does not hold,
// refreshes at once under a rate limit (how rotated keys start working). keyStore adds two things
// a request path needs: a kid already cached is read without touching the refresh machinery, and
// concurrent requests for the same unknown kid share one refresh instead of racing for the rate
// limiter's single token (the losers would be refused a key the winner is about to load).
type keyStore struct {
	jwkset.Storage                // the refreshing client: KeyRead refreshes on an unknown kid
	cache          jwkset.Storage // the fetched keys alone: reads never refresh
	flight         singleflight.Group
	timeout        time.Duration // bounds a refresh, whoever asked for it
}

// refreshProbe is a kid no issuer uses: reading it asks for the rate-limited refresh, which a
// token without a kid needs when nothing is cached yet.
const refreshProbe = "\x00gisd-refresh"

func (s *keyStore) KeyRead(ctx context.Context, kid string) (jwkset.JWK, error) {
	jwk, err := s.cache.KeyRead(ctx, kid)
	if err == nil || !errors.Is(err, jwkset.ErrKeyNotFound) {
		return jwk, err
	}
	// The refresh outlives the request that started it: the requests sharing it must not fail
	// because the first one's client went away.
	ch := s.flight.DoChan(kid, func() (any, error) {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.timeout)
		defer cancel()
		return s.Storage.KeyRead(rctx, kid)
	})
	select {
	case r := <-ch:
		if r.Err != nil {
			// Whatever stopped the refresh (the rate limiter, the network), the key is not
			// here; say so in the terms keyfunc and classify know.
			return jwkset.JWK{}, fmt.Errorf("%w %q: %w", jwkset.ErrKeyNotFound, kid, r.Err)
		}
		return r.Val.(jwkset.JWK), nil
	case <-ctx.Done():
		return jwkset.JWK{}, fmt.Errorf("%w %q: %w", jwkset.ErrKeyNotFound, kid, ctx.Err())
	}
}

// cached reports whether any key of the issuer is held.
func (s *keyStore) cached(ctx context.Context) bool {
	all, err := s.cache.KeyReadAll(ctx)
	return err == nil && len(all) > 0
}

// maxJWKSBytes bounds the issuer's answer: a JWKS is a few KiB, and a broken or hostile endpoint
// must not fill the memory of the service that fetches it.
const maxJWKSBytes = 1 << 20

// boundedTransport caps every response body it returns at max bytes.
type boundedTransport struct {
	base http.RoundTripper
	max  int64
}

func (t boundedTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.base.RoundTrip(r)
	if err != nil {
		return nil, err
	}
	resp.Body = &boundedBody{rc: resp.Body, max: t.max, left: t.max}
	return resp, nil
}

type boundedBody struct {
	rc        io.ReadCloser
	max, left int64
}

func (b *boundedBody) Read(p []byte) (int, error) {
	if b.left <= 0 {
		// One byte more tells a body of exactly max bytes from a longer one.
		var one [1]byte
		n, err := b.rc.Read(one[:])
		if n > 0 {
			return 0, fmt.Errorf("response larger than %d bytes", b.max)
		}
		return 0, err
	}
	if int64(len(p)) > b.left {
		p = p[:b.left]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	return n, err
}

func (b *boundedBody) Close() error { return b.rc.Close() }
