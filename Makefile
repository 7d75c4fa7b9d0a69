# gisd — two commands set everything up on a fresh Debian 12 machine:
#   make run    the platform with the demo province at http://localhost:8080
#   make test   every test, against a real PostGIS
# Without DATABASE_URL both provision a project-local PostgreSQL 15 + PostGIS 3 (scripts/devdb.sh);
# with it they use that database and never touch a local cluster.
SHELL := /bin/bash
export PATH := $(PATH):/usr/local/go/bin
GO    ?= go
BIN   := bin/gisd
ADDR  ?= :8080

.PHONY: all build run test test-fresh vet db-up db-stop db-reset web test-deps bench-tiles bench-queries bench-import clean

all: build

build:
	$(GO) build -o $(BIN) ./cmd/gisd

web:
	@scripts/web.sh build

run: web build
	@url=$$(scripts/devdb.sh up) && \
	$(BIN) migrate up --database-url "$$url" && \
	$(BIN) demo --database-url "$$url" && \
	exec $(BIN) serve --database-url "$$url" --addr "$(ADDR)"

test-deps:
	@scripts/test-deps.sh

vet:
	$(GO) vet ./...

test: test-deps web
	@url=$$(scripts/devdb.sh up) && \
	$(GO) vet ./... && \
	GISD_REQUIRE_DB=1 GISD_TEST_DATABASE_URL="$$url" $(GO) test -race -timeout 25m ./...

# The two commands above on a fresh Debian 12 root built with debootstrap (root only; about 15 min).
test-fresh:
	@scripts/test-fresh.sh

db-up:
	@scripts/devdb.sh up >/dev/null && echo "DATABASE_URL=$$(scripts/devdb.sh url)"

db-stop:
	@scripts/devdb.sh stop

db-reset:
	@scripts/devdb.sh reset

bench-tiles: build
	@scripts/bench-tiles.sh

bench-queries: build
	@scripts/bench-queries.sh

bench-import: build
	@scripts/bench-import.sh

clean:
	rm -rf bin
