-- Back to 000008: running imports are recognised as interrupted by their advisory lock alone.
DROP INDEX imports_running;
ALTER TABLE imports DROP COLUMN cancel_requested, DROP COLUMN lease_until;
