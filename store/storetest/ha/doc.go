// Package ha starts replicated PostgreSQL on this machine for tests: a primary with a streaming
// standby (StartReplicated), two PostgreSQL instances managed by Patroni with a one-member etcd
// (StartPatroni), and PgBouncer in front of either (StartPgBouncer). Everything runs on loopback,
// on free ports, in a temporary directory, from Debian's packages (postgresql-15 with PostGIS,
// etcd-server, patroni, pgbouncer; scripts/test-deps.sh installs them). PostgreSQL, Patroni and
// PgBouncer refuse to run as root, so when the test runs as root they run as the `postgres`
// account, as scripts/devdb.sh does.
//
// Clusters are expensive (seconds to start), so a test package starts each kind once and its tests
// share it. The package's TestMain must hand control to Main, which stops everything after the
// last test:
//
//	func TestMain(m *testing.M) { ha.Main(m) }
//
// A test that breaks the topology (a promotion, a stopped node) leaves it to the next call of
// StartReplicated or StartPatroni, which restores a primary with a streaming standby before it
// returns. Every process dies with the test binary, also when it panics or times out: direct
// children get SIGKILL from the kernel when the binary exits (Pdeathsig), and a small guardian
// process, which outlives the binary by design, kills what Patroni detached (it starts PostgreSQL
// in a session of its own) and removes the temporary directory.
//
// When the packages are missing the tests skip, saying what to install — unless GISD_REQUIRE_DB=1
// (set by `make test`), in which case they fail.
//
// This package is for tests only. It imports store (migrations and the demo loader) and pgx; it
// must never be imported by non-test code.
package ha
