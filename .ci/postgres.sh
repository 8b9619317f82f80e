#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on loopback for the test run; print its URL.
# Usage: source .ci/postgres.sh  (sets FAIRLOOP_TEST_POSTGRES_URL; `pg_stop` stops it)
set -euo pipefail
if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
fi
PG_VERSION=$(ls /usr/lib/postgresql | sort -V | tail -n 1)
PG_CLUSTER=fairloopci
PG_PORT=${PG_PORT:-54329}
pg_dropcluster --stop "$PG_VERSION" "$PG_CLUSTER" >/dev/null 2>&1 || true
pg_createcluster -p "$PG_PORT" "$PG_VERSION" "$PG_CLUSTER" -- --auth-local=trust >/dev/null
pg_ctlcluster "$PG_VERSION" "$PG_CLUSTER" start
runuser -u postgres -- psql -q -p "$PG_PORT" -c \
  "CREATE ROLE fairloop LOGIN SUPERUSER PASSWORD 'fairloop'" >/dev/null
runuser -u postgres -- createdb -p "$PG_PORT" -O fairloop fairloop
export FAIRLOOP_TEST_POSTGRES_URL="postgresql+psycopg://fairloop:fairloop@127.0.0.1:${PG_PORT}/fairloop"
pg_stop() { pg_dropcluster --stop "$PG_VERSION" "$PG_CLUSTER" >/dev/null 2>&1 || true; }
