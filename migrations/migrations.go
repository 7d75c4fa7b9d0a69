// Package migrations holds the database schema as golang-migrate SQL files, embedded in the
// binary so that `gisd migrate` and `gisd serve --migrate` need nothing beside the executable.
// Every up has a working down. It imports nothing.
package migrations

import "embed"

// FS holds the numbered NNNNNN_name.{up,down}.sql files.
//
//go:embed *.sql
var FS embed.FS
