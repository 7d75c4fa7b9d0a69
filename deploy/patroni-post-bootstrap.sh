#!/bin/sh
# Patroni's post_bootstrap: run once, as postgres, on the node that initialises the cluster, with
# the new cluster's superuser connection string (dbname=postgres user=... host=... port=...) as $1
# and PGPASSFILE set. It creates the gisd database with the extensions the migrations need
# (creating PostGIS takes a superuser); gisd's own schema comes from `gisd migrate up`.
# The roles gisd_owner and gisd_app: see docs/deploy.md, "Database roles".
set -eu
psql -X -q -v ON_ERROR_STOP=1 -d "$1" \
	-c 'CREATE DATABASE gisd' \
	-c '\connect gisd' \
	-c 'CREATE EXTENSION IF NOT EXISTS postgis' \
	-c 'CREATE EXTENSION IF NOT EXISTS btree_gist'
