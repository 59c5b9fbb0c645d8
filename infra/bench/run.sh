#!/usr/bin/env bash
# Ingest core against encoding/csv and DuckDB on one generated file.
#
# Usage: infra/bench/run.sh [MB]   (default 1024: a 1 GB Superstore-like CSV)
#
# 1. go test -bench BenchmarkParse (internal/ingest) with SALESSEG_BENCH_MB:
#    generates the file once (cached in $TMPDIR) and prints rows/s, the
#    ratio to a bare encoding/csv read measured in the same run
#    (x-vs-csv) and the peak live heap of one parse.
# 2. `salesseg parse FILE` and DuckDB read_csv + GROUP BY (a simple query
#    and one computing what ingestion computes), each under /usr/bin/time -v
#    for wall time and peak RSS.
set -euo pipefail
cd "$(dirname "$0")/../.."
MB=${1:-1024}
FILE="${TMPDIR:-/tmp}/salesseg-bench-v1-${MB}mb.csv"
export SALESSEG_BENCH_MB=$MB
go test -run '^$' -bench 'BenchmarkParse$' -benchtime 2x -benchmem ./internal/ingest/ | grep -E 'Benchmark|ok'
go build -o "${TMPDIR:-/tmp}/salesseg-bench-cli" ./cmd/salesseg
measure() { # label, command...
  local label=$1; shift
  local out
  out=$( { /usr/bin/time -v "$@" >/dev/null; } 2>&1 )
  printf '%-28s wall %s  peak RSS %s MB\n' "$label" \
    "$(grep 'Elapsed (wall clock)' <<<"$out" | awk '{print $NF}')" \
    "$(( $(grep 'Maximum resident' <<<"$out" | awk '{print $NF}') / 1024 ))"
}
measure "salesseg parse" "${TMPDIR:-/tmp}/salesseg-bench-cli" parse "$FILE"
measure "duckdb simple GROUP BY" node infra/bench/duckdb_groupby.mjs "$FILE" simple
measure "duckdb equivalent" node infra/bench/duckdb_groupby.mjs "$FILE" equivalent
node infra/bench/duckdb_groupby.mjs "$FILE" simple
node infra/bench/duckdb_groupby.mjs "$FILE" equivalent
