-- A running import holds a lease on its record: the gisd instance running it renews
-- lease_until while it works. A record still "running" whose lease has run out belongs to an
-- instance that died (or lost the database); any instance marks it failed and stops whatever
-- of it the server still runs. cancel_requested is how another instance asks the one running
-- an import to cancel it.
ALTER TABLE imports
  ADD COLUMN lease_until timestamptz,
  ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false;

-- The records the reaper looks at: only running imports, always few.
CREATE INDEX imports_running ON imports (lease_until) WHERE state = 'running';
