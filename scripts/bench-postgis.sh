#!/usr/bin/env bash
# scripts/bench-postgis.sh: gridloop's in-memory point-in-grid lookup against PostGIS,
# in one run, on the same 100,000 unit grids and the same 100,000 random points.
#
#   1. installs postgresql-15-postgis-3 (Debian) if missing (needs root);
#   2. go run ./cmd/geobench -out DIR: writes the grids (GeoJSON + CSV) and the points,
#      and times geo.Index lookups on one core (GOMAXPROCS=1);
#   3. starts a throwaway PostgreSQL cluster (as user postgres, in /tmp, removed on
#      exit), loads the same grids and points, builds a GiST index, ANALYZEs;
#   4. go run ./cmd/geobench -pg URL: times
#        SELECT code FROM grids WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint($1,$2),4326))
#      from a client loop (one connection, prepared statement, pgx), and the same
#      lookup for all points as one LATERAL join; checks both give gridloop's answers;
#      prints both throughputs and the ratios.
#
# Usage: scripts/bench-postgis.sh [GRIDS [POINTS]]     (default 100000 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
GRIDS=${1:-100000}
POINTS=${2:-100000}
PG_VER=15
PG_BIN=/usr/lib/postgresql/$PG_VER/bin

if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
	export PATH=/usr/local/go/bin:$PATH
fi

if [[ ! -f /usr/share/postgresql/$PG_VER/extension/postgis.control ]]; then
	if ((EUID != 0)); then
		echo "bench-postgis: postgresql-$PG_VER-postgis-3 is not installed and we are not root" >&2
		exit 1
	fi
	echo "apt: installing postgresql-$PG_VER-postgis-3 ..."
	DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 update >/dev/null || true
	DEBIAN_FRONTEND=noninteractive apt-get -q -o DPkg::Lock::Timeout=600 -y install "postgresql-$PG_VER-postgis-3" >/dev/null
fi

WORK=$(mktemp -d /tmp/gridloop-bench.XXXXXX)
chmod 755 "$WORK"
PG_AS=()
((EUID != 0)) || PG_AS=(runuser -u postgres --)

cleanup() {
	set +e
	if [[ -f $WORK/pg/data/postmaster.pid ]]; then
		(cd / && "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -m immediate -w stop) >/dev/null 2>&1
	fi
	rm -rf "$WORK"
}
trap cleanup EXIT

echo "==> data set and gridloop (go run ./cmd/geobench -grids $GRIDS -points $POINTS -out $WORK/data)"
go run ./cmd/geobench -grids "$GRIDS" -points "$POINTS" -out "$WORK/data" | tee "$WORK/gridloop.txt"

echo "==> PostGIS: throwaway cluster"
mkdir -p "$WORK/pg/sock"
((EUID != 0)) || chown -R postgres:postgres "$WORK/pg"
chmod 700 "$WORK/pg"
(cd "$WORK/pg" && "${PG_AS[@]}" "$PG_BIN/initdb" -D "$WORK/pg/data" -U postgres --auth=trust \
	--encoding=UTF8 --locale=C --no-sync) >"$WORK/initdb.log" 2>&1
cat >>"$WORK/pg/data/postgresql.conf" <<CONF
listen_addresses = '127.0.0.1'
unix_socket_directories = '$WORK/pg/sock'
shared_buffers = 512MB
fsync = off
synchronous_commit = off
full_page_writes = off
jit = off
max_parallel_workers_per_gather = 0
CONF
PORT=55499
while (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; do PORT=$((PORT - 1)); done
(cd "$WORK/pg" && "${PG_AS[@]}" "$PG_BIN/pg_ctl" -D "$WORK/pg/data" -l "$WORK/pg/server.log" -o "-p $PORT" -w -t 60 start) >/dev/null
URL="postgres://postgres@127.0.0.1:$PORT/postgres?sslmode=disable"
PSQL=("$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PORT" -U postgres -d postgres)
"${PSQL[@]}" -c "SELECT 'postgres ' || version()" -At
"${PSQL[@]}" <<SQL
CREATE EXTENSION postgis;
SELECT 'postgis ' || postgis_full_version();
CREATE TABLE grids_raw (code text, geojson text);
CREATE TABLE points (id bigint PRIMARY KEY, lng double precision, lat double precision);
\copy grids_raw FROM '$WORK/data/grids.csv' WITH (FORMAT csv)
\copy points FROM '$WORK/data/points.csv' WITH (FORMAT csv)
CREATE TABLE grids AS SELECT code, ST_SetSRID(ST_GeomFromGeoJSON(geojson), 4326) AS geom FROM grids_raw;
DROP TABLE grids_raw;
ALTER TABLE grids ADD PRIMARY KEY (code);
CREATE INDEX grids_geom ON grids USING gist (geom);
VACUUM ANALYZE grids;
VACUUM ANALYZE points;
SQL
echo "loaded: $("${PSQL[@]}" -At -c 'SELECT count(*) FROM grids') grids, $("${PSQL[@]}" -At -c 'SELECT count(*) FROM points') points"
echo "plan:"
"${PSQL[@]}" -At -c "EXPLAIN SELECT code FROM grids WHERE ST_Contains(geom, ST_SetSRID(ST_MakePoint(120.1, 30.3), 4326))" | sed 's/^/    /'

echo "==> PostGIS timing (go run ./cmd/geobench -pg ...)"
go run ./cmd/geobench -pg "$URL" -dir "$WORK/data"
echo "machine: $(nproc) vCPU, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(date -u +%Y-%m-%d)"
