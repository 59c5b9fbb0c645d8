#!/usr/bin/env bash
# Ingest core against encoding/csv and DuckDB on one generated file.
#
# Usage: infra/bench/run.sh [MB] [ROUNDS] [SHAPE]   (defaults 1024, 3 and
# superstore: a 1 GB Superstore-like CSV, three rounds; SHAPE highcard is
# the high-cardinality export: 600k customers, 7 dimensions incl. 40
# countries, six years of daily ISO dates)
#
# 1. go test -bench BenchmarkParse/shape=SHAPE (internal/parser) with SALESSEG_BENCH_MB:
#    generates the file once (cached in $TMPDIR) and prints rows/s, the
#    ratio to a bare encoding/csv read measured in the same run
#    (x-vs-csv) and the peak live heap of one parse.
# 2. ROUNDS rounds, each running `salesseg parse FILE` and then DuckDB's
#    read_csv + GROUP BY computing what ingestion computes, under
#    /usr/bin/time -v. Each prints its own time for the work alone (parse,
#    or the query) besides the process's wall time, CPU time (user +
#    system: steadier than wall time on a busy machine) and peak RSS.
#    Rounds alternate the two so that a noisy moment on a shared machine
#    hits both; the summary compares the best round of each.
set -euo pipefail
cd "$(dirname "$0")/../.."
MB=${1:-1024}
ROUNDS=${2:-3}
SHAPE=${3:-superstore}
TMP=${TMPDIR:-/tmp}
case $SHAPE in
  superstore) FILE="$TMP/salesseg-bench-v1-${MB}mb.csv" ;;
  highcard) FILE="$TMP/salesseg-bench-highcard-v1-${MB}mb.csv" ;;
  *) echo "run.sh: unknown shape $SHAPE (superstore or highcard)" >&2; exit 2 ;;
esac
export SALESSEG_BENCH_MB=$MB
go test -run '^$' -bench "BenchmarkParse\$/^shape=$SHAPE\$" -benchtime 2x -benchmem ./internal/parser/ | grep -E 'Benchmark|ok'
go build -o "$TMP/salesseg-bench-cli" ./cmd/salesseg
# measure OUT COMMAND...: runs COMMAND, stdout to OUT; prints
# "wall_seconds peak_rss_mb cpu_seconds".
measure() {
  local out=$1; shift
  local t
  t=$( { /usr/bin/time -v "$@" >"$out"; } 2>&1 )
  local wall rss
  wall=$(grep 'Elapsed (wall clock)' <<<"$t" | awk '{print $NF}' | awk -F: '{ if (NF==3) print $1*3600+$2*60+$3; else print $1*60+$2 }')
  rss=$(( $(grep 'Maximum resident' <<<"$t" | awk '{print $NF}') / 1024 ))
  cpu=$(grep -E '(User|System) time' <<<"$t" | awk '{s += $NF} END {print s}')
  echo "$wall $rss $cpu"
}
min() { echo "$1 $2" | awk '{print ($1<$2)?$1:$2}'; }
json_seconds() { grep -o '"seconds": *[0-9.]*' "$1" | head -1 | grep -o '[0-9.]*$'; }
best_ours=999999; best_duck=999999; best_ours_wall=999999; best_duck_wall=999999; best_ours_cpu=999999; best_duck_cpu=999999
for r in $(seq 1 "$ROUNDS"); do
  read -r w m c < <(measure "$TMP/salesseg-bench-out.json" "$TMP/salesseg-bench-cli" parse "$FILE")
  s=$(json_seconds "$TMP/salesseg-bench-out.json")
  printf 'round %d  salesseg parse      work %6.3f s  wall %6.2f s  cpu %6.2f s  peak RSS %4d MB\n' "$r" "$s" "$w" "$c" "$m"
  best_ours=$(min "$s" "$best_ours"); best_ours_wall=$(min "$w" "$best_ours_wall"); best_ours_cpu=$(min "$c" "$best_ours_cpu")
  read -r w m c < <(measure "$TMP/salesseg-bench-duck.json" node infra/bench/duckdb_groupby.mjs "$FILE" equivalent "$SHAPE")
  s=$(json_seconds "$TMP/salesseg-bench-duck.json")
  printf 'round %d  duckdb equivalent   work %6.3f s  wall %6.2f s  cpu %6.2f s  peak RSS %4d MB\n' "$r" "$s" "$w" "$c" "$m"
  best_duck=$(min "$s" "$best_duck"); best_duck_wall=$(min "$w" "$best_duck_wall"); best_duck_cpu=$(min "$c" "$best_duck_cpu")
done
awk -v o="$best_ours" -v d="$best_duck" -v ow="$best_ours_wall" -v dw="$best_duck_wall" -v oc="$best_ours_cpu" -v dc="$best_duck_cpu" \
  -v mb="$MB" -v shape="$SHAPE" 'BEGIN {
  printf "shape %s, best of rounds: salesseg %.3f s (%.0f MB/s), duckdb %.3f s: salesseg/duckdb work %.2f, wall %.2f, cpu %.2f (below 1: salesseg faster)\n",
    shape, o, mb/o, d, o/d, ow/dw, oc/dc }'
node infra/bench/duckdb_groupby.mjs "$FILE" simple "$SHAPE"
