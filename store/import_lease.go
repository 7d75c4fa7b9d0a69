package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/dongnai-gis/gisd/importer"
)

// A running import holds a lease on its record (imports.lease_until, migration 000009): the
// instance running it renews it three times per lease. A record still "running" whose lease has
// run out belongs to an instance that died, hangs or lost the database; any instance then marks
// it failed, and stops whatever of it the server still runs (a backend whose client vanished
// without closing its connection keeps its transaction, and its locks on the layer, until TCP
// gives up on it, which can take hours). The instance that held the lease can no longer commit:
// its final update requires the record to be running still.
//
// Another instance cannot reach a running import's context: it asks, through
// imports.cancel_requested, and the running instance cancels when it next renews its lease.

// Errors that stop a running import from inside.
var (
	errCancelRequested = errors.New("cancelled at the request of another gisd instance")
	errLeaseLost       = errors.New("its record was marked failed because its lease ran out (the instance running it was unreachable)")
)

// leaseLostMessage is recorded for an import whose lease ran out.
const leaseLostMessage = "interrupted: the gisd instance running it stopped renewing its lease (it stopped, hung or lost the database); nothing was written"

// heartbeat renews the import's lease every third of it until stop is called, and cancels the
// import (cancel, with the reason as cause) when another instance asked for it or when its
// record is no longer running. stop waits for the heartbeat to end.
func (im *Import) heartbeat(cancel context.CancelCauseFunc) (stop func()) {
	every := im.opt.Lease / 3
	quit, done := make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-quit:
				return
			case <-t.C:
			}
			ctx, cctx := context.WithTimeout(context.Background(), every)
			var cancelRequested bool
			err := im.s.pool.QueryRow(ctx, `UPDATE imports SET lease_until = clock_timestamp() + make_interval(secs => $2)
				WHERE id = $1 AND state = 'running' RETURNING cancel_requested`, im.id, im.opt.Lease.Seconds()).Scan(&cancelRequested)
			cctx()
			switch {
			case errors.Is(err, pgx.ErrNoRows):
				cancel(errLeaseLost)
				return
			case err != nil:
				// The database may be back before the lease runs out; if not, the import fails
				// anyway, on its own connection or at its commit.
				im.s.log.Warn("import: renew the lease", "import", im.id, "err", err)
			case cancelRequested:
				cancel(errCancelRequested)
				return
			}
		}
	}()
	return func() {
		select {
		case <-quit:
		default:
			close(quit)
		}
		<-done
	}
}

// ReapImports marks failed the imports that say "running" but whose instance is gone: their
// lease has run out, or (records from before leases, or an instance that died between recording
// an import and starting it) their transaction's advisory lock is gone a minute after they
// started. A backend still running one of them is terminated, so that its transaction rolls back
// and lets go of the layer. It returns how many imports it marked.
func (s *Store) ReapImports(ctx context.Context) (int, error) {
	rows, err := s.pool.Query(ctx, `UPDATE imports i SET state = 'failed', error = $2, finished_at = clock_timestamp(), lease_until = NULL
		WHERE i.state = 'running' AND (i.lease_until < clock_timestamp() OR (i.started_at < now() - interval '1 minute'
		  AND NOT EXISTS (SELECT 1 FROM pg_locks l WHERE l.locktype = 'advisory' AND l.granted AND l.database = `+thisDatabase+`
		                   AND l.classid::bigint = $1 AND l.objid::bigint = (i.id % 2147483647) AND l.objsubid = 2)))
		RETURNING id`, lockImportJob, leaseLostMessage)
	if err != nil {
		return 0, fmt.Errorf("store: reap imports: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return 0, fmt.Errorf("store: reap imports: %w", err)
	}
	if len(ids) == 0 {
		return 0, nil
	}
	if err := s.stopBackends(ctx, ids); err != nil {
		return len(ids), err
	}
	s.log.Warn("imports whose instance stopped were marked failed", "imports", ids)
	return len(ids), nil
}

// thisDatabase is the database's oid, for reading pg_locks: advisory locks of every database of
// the server are listed there, and other databases have imports with the same ids.
const thisDatabase = `(SELECT oid FROM pg_database WHERE datname = current_database())`

// stopBackends terminates the backends still holding the advisory lock of the given imports
// (their transactions roll back).
func (s *Store) stopBackends(ctx context.Context, ids []int64) error {
	_, err := s.pool.Exec(ctx, `SELECT pg_terminate_backend(l.pid) FROM pg_locks l
		WHERE l.locktype = 'advisory' AND l.granted AND l.database = `+thisDatabase+` AND l.classid::bigint = $1 AND l.objsubid = 2
		  AND l.objid::bigint IN (SELECT id % 2147483647 FROM unnest($2::bigint[]) id) AND l.pid <> pg_backend_pid()`,
		lockImportJob, ids)
	if err != nil {
		return fmt.Errorf("store: stop the backends of imports %v: %w", ids, err)
	}
	return nil
}

// WatchImports reaps imports whose instance stopped (ReapImports) at once and then every
// interval, until ctx ends. Every serving instance runs it.
func (s *Store) WatchImports(ctx context.Context, interval time.Duration) {
	for {
		if _, err := s.ReapImports(ctx); err != nil && ctx.Err() == nil {
			s.log.Warn("import: reap stopped imports", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(interval):
		}
	}
}

// CancelResult says what CancelImport did.
type CancelResult struct {
	State     string // the import's state afterwards
	Cancelled bool   // it was running on no instance any more (its lease had run out): cancelled now
	Requested bool   // another instance runs it: asked to cancel, it stops within a third of its lease
}

// CancelImport cancels import id when it runs on another instance, or on none. An import whose
// lease has run out is cancelled at once (its backend, if any, terminated); one whose instance
// renews its lease is asked to stop. An import that is not running is left alone, for the
// caller to decide (a committed import is reverted instead). ErrNotFound: no such import.
func (s *Store) CancelImport(ctx context.Context, id int64) (CancelResult, error) {
	var res CancelResult
	var expired bool
	err := s.pool.QueryRow(ctx, `UPDATE imports SET cancel_requested = (state = 'running')
		WHERE id = $1 RETURNING state, coalesce(lease_until < clock_timestamp(), started_at < now() - interval '1 minute')`, id).Scan(&res.State, &expired)
	if errors.Is(err, pgx.ErrNoRows) {
		return res, fmt.Errorf("store: import %d: %w", id, ErrNotFound)
	}
	if err != nil {
		return res, fmt.Errorf("store: cancel import %d: %w", id, err)
	}
	if res.State != importer.StateRunning {
		return res, nil
	}
	if !expired {
		res.Requested = true
		return res, nil
	}
	tag, err := s.pool.Exec(ctx, `UPDATE imports SET state = 'cancelled', finished_at = clock_timestamp(), lease_until = NULL,
		error = 'cancelled; the gisd instance running it had stopped renewing its lease; nothing was written'
		WHERE id = $1 AND state = 'running'`, id)
	if err != nil {
		return res, fmt.Errorf("store: cancel import %d: %w", id, err)
	}
	if tag.RowsAffected() == 1 {
		if err := s.stopBackends(ctx, []int64{id}); err != nil {
			return res, err
		}
	}
	res.State, res.Cancelled = importer.StateCancelled, true
	return res, nil
}
