#!/usr/bin/env bash
# bench/run.sh: credo's token endpoint beside the floor server, in one run.
#
# Builds credo and ../shared/bench/floor, starts each on loopback, warms up,
# runs wrk for a bounded time per scenario and concurrency, and prints
# requests/s, p50/p99 latency, non-2xx responses and server CPU seconds side
# by side. Everything it starts, it stops. It only ever targets 127.0.0.1.
#
#   bench/run.sh                      # default matrix, 10 s per run, c=32 and 64
#   bench/run.sh -d 5 -c 32           # shorter
#   bench/run.sh -s es256-basic       # one scenario (repeatable)
#   bench/run.sh -p postgres://postgres@127.0.0.1:5432/test?sslmode=disable   # add PostgreSQL scenarios
#   bench/run.sh -t 1 -c 32 -s es256-basic   # latency: one wrk thread leaves the server more CPU
#   bench/run.sh -P -t 1 -c 32 -s es256-basic   # servers pinned to CPU 0, wrk to CPU 1 (taskset)
#   bench/run.sh -r 3                 # 3 alternating floor/credo rounds per row: mean req/s, median latencies
#   bench/run.sh -B a356229 -r 3      # also credo built at another revision, alternating with both (before/after)
#   bench/run.sh -X boringcrypto -B HEAD -r 3   # credo built with GOEXPERIMENT=boringcrypto (cgo) beside
#                                     # the pure-Go build of the same revision (base) and the pure-Go floor
#   bench/run.sh -T credo_openssl -B HEAD -r 3  # the same with the OpenSSL backend (build tags)
#
# Needs: go, wrk (apt-get install wrk). Results: stdout and bench/out/<timestamp>.md.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=${CREDO_SHARED:-$root/../shared}
duration=10
warmup=3
concs="32 64"
threads=2
rounds=1
pin_srv=()
pin_wrk=()
pgdsn=""
only=()
base_rev=""
experiment=""
tags=""
while getopts "d:w:c:p:s:t:r:B:X:T:Ph" opt; do
  case $opt in
    d) duration=$OPTARG ;;
    w) warmup=$OPTARG ;;
    c) concs=$OPTARG ;;
    p) pgdsn=$OPTARG ;;
    s) only+=("$OPTARG") ;;
    t) threads=$OPTARG ;;
    P) pin_srv=(taskset -c 0); pin_wrk=(taskset -c 1) ;;
    r) rounds=$OPTARG ;;
    B) base_rev=$OPTARG ;;
    X) experiment=$OPTARG ;;
    T) tags=$OPTARG ;;
    h) sed -n '2,22p' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl not found: apt-get install curl" >&2; exit 1; }
[ -d "$shared/bench/floor" ] || { echo "floor not found at $shared/bench/floor (set CREDO_SHARED)" >&2; exit 1; }
need_file "$shared/bench/post.lua" "the wrk script" "set CREDO_SHARED"
need_file "$here/post_json.lua" "the JSON wrk script"

host=127.0.0.1
case $host in 127.*) ;; *) echo "refusing non-loopback target $host" >&2; exit 1 ;; esac
credo_port=18080
base_port=18081
floor_port=19100

work=$(mktemp -d)
pids=()
pgschema=""
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  [ -n "$pgschema" ] && psql "$pgdsn" -qc "DROP SCHEMA IF EXISTS $pgschema CASCADE; DROP SCHEMA IF EXISTS ${pgschema}_base CASCADE" >/dev/null 2>&1 || true
  [ -n "$base_rev" ] && (cd "$root" && git worktree remove --force "$work/base-src" >/dev/null 2>&1) || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "building credo and floor..." >&2
if [ -n "$experiment$tags" ]; then
  (cd "$root" && GOEXPERIMENT=$experiment CGO_ENABLED=1 go build -tags "$tags" -o "$work/credo" ./cmd/credo)
else
  (cd "$root" && go build -o "$work/credo" ./cmd/credo)
fi
echo "credo build: $("$work/credo" version)" >&2
(cd "$shared/bench/floor" && go build -o "$work/floor" .)
if [ -n "$base_rev" ]; then
  echo "building credo at $base_rev..." >&2
  (cd "$root" && git worktree add --detach -q "$work/base-src" "$base_rev")
  (cd "$work/base-src" && go build -o "$work/credo-base" ./cmd/credo)
fi

secret=bench-secret-0123456789abcdefghijklmnopqrstuv
export CREDO_MASTER_KEY=$(printf 'ab%.0s' $(seq 32))
cat > "$work/seed.yaml" <<YAML
resourceServers:
  - {name: RS256, identifier: "urn:bench:rs256", scopes: [{value: "read:bench"}, {value: "write:bench"}]}
  - {name: PS256, identifier: "urn:bench:ps256", signing_alg: PS256, scopes: [{value: "read:bench"}, {value: "write:bench"}]}
  - {name: ES256, identifier: "urn:bench:es256", signing_alg: ES256, scopes: [{value: "read:bench"}, {value: "write:bench"}]}
  - {name: EdDSA, identifier: "urn:bench:eddsa", signing_alg: EdDSA, scopes: [{value: "read:bench"}, {value: "write:bench"}]}
  - {name: HS256, identifier: "urn:bench:hs256", signing_alg: HS256, scopes: [{value: "read:bench"}, {value: "write:bench"}]}
clients:
  - {name: bench, client_id: bench, client_secret: "$secret"}
  - {name: bench-action, client_id: bench-action, client_secret: "$secret"}
clientGrants:
  - {client_id: bench, audience: "urn:bench:rs256", scope: ["read:bench", "write:bench"]}
  - {client_id: bench, audience: "urn:bench:ps256", scope: ["read:bench", "write:bench"]}
  - {client_id: bench, audience: "urn:bench:es256", scope: ["read:bench", "write:bench"]}
  - {client_id: bench, audience: "urn:bench:eddsa", scope: ["read:bench", "write:bench"]}
  - {client_id: bench, audience: "urn:bench:hs256", scope: ["read:bench", "write:bench"]}
YAML
{ cat "$work/seed.yaml"; cat <<YAML
actions:
  - name: add-claim
    code: |
      exports.onExecuteCredentialsExchange = async (event, api) => {
        api.accessToken.setCustomClaim('https://bench.example/tier', 'gold');
      };
    supported_triggers: [{id: credentials-exchange, version: v2}]
    deployed: true
YAML
} > "$work/seed-action.yaml"


wait_ready() { # url
  for _ in $(seq 1 200); do curl -fsS -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "server at $1 did not become ready" >&2; return 1
}

start_floor() { # mode
  "${pin_srv[@]}" "$work/floor" -mode "$1" -addr "$host:$floor_port" -client-id bench -client-secret "$secret" >"$work/floor.log" 2>&1 &
  floor_pid=$!; pids+=("$floor_pid")
  for _ in $(seq 1 200); do curl -s -o /dev/null "http://$host:$floor_port/oauth/token" 2>/dev/null && return 0; sleep 0.05; done
  echo "floor did not start" >&2; cat "$work/floor.log" >&2; return 1
}

start_credo() { # name db seed extra-args...: credo, and the base build (-B) beside it
  local name=$1 db=$2 seed=$3; shift 3
  "${pin_srv[@]}" "$work/credo" serve --no-demo --addr "$host:$credo_port" --db "$db" \
    --seed "$seed" --log-level warn "$@" >"$work/credo-$name.log" 2>&1 &
  credo_pid=$!; pids+=("$credo_pid")
  wait_ready "http://$host:$credo_port/readyz" || { cat "$work/credo-$name.log" >&2; return 1; }
  [ -n "$base_rev" ] || return 0
  local bdb=$db
  case $db in postgres*) ;; *) bdb="$db.base" ;; esac
  "${pin_srv[@]}" "$work/credo-base" serve --no-demo --addr "$host:$base_port" --db "$bdb" \
    --seed "$seed" --log-level warn "$@" ${base_schema:+--db-schema "$base_schema"} >"$work/base-$name.log" 2>&1 &
  base_pid=$!; pids+=("$base_pid")
  wait_ready "http://$host:$base_port/readyz" || { cat "$work/base-$name.log" >&2; return 1; }
}

# add_stream port: creates a stdout log stream through the Management API of
# the server on port (started with the bench-admin bootstrap credentials).
add_stream() {
  local port=$1 tok out
  tok=$(curl -sS -u "bench-admin:$secret" "http://$host:$port/oauth/token" -d grant_type=client_credentials \
    -d audience="http://$host:$port/api/v2/" | sed -n 's/.*"access_token":"\([^"]*\)".*/\1/p')
  [ -n "$tok" ] || { echo "no Management API token from the server on port $port" >&2; exit 1; }
  out=$(curl -sS -H "authorization: Bearer $tok" -H 'content-type: application/json' \
    -d '{"name":"bench","type":"stdout"}' "http://$host:$port/api/v2/log-streams")
  case $out in *'"status":"active"'*) ;; *) echo "creating the log stream on port $port failed: $out" >&2; exit 1 ;; esac
}

# run_wrk port conc script auth body-kind audience -> "rps p50 p99 non2xx cpu"
run_wrk() {
  local port=$1 conc=$2 auth=$3 kind=$4 aud=$5 pid=$6 script
  if [ "$kind" = json ]; then script="$here/post_json.lua"; else script="$shared/bench/post.lua"; fi
  local env=(CLIENT_ID=bench CLIENT_SECRET="$secret" AUTH="$auth" EXTRA="&audience=$aud" AUDIENCE="$aud")
  env "${env[@]}" "${pin_wrk[@]}" wrk -t"$threads" -c"$conc" -d"${warmup}s" -s "$script" "http://$host:$port/oauth/token" >/dev/null 2>&1 || true
  local c0; c0=$(cpu_of "$pid")
  local out; out=$(env "${env[@]}" "${pin_wrk[@]}" wrk -t"$threads" -c"$conc" -d"${duration}s" --latency -s "$script" "http://$host:$port/oauth/token" 2>&1)
  local c1; c1=$(cpu_of "$pid")
  wrk_figures "$out" "$c0" "$c1"
}


# scenario table: name floor-mode auth body audience store
scenarios=(
  "rs256-basic rs256 basic form urn:bench:rs256 sqlite"
  "rs256-post rs256 post form urn:bench:rs256 sqlite"
  "ps256-basic ps256 basic form urn:bench:ps256 sqlite"
  "es256-basic es256 basic form urn:bench:es256 sqlite"
  "es256-post es256 post form urn:bench:es256 sqlite"
  "es256-json es256 post json urn:bench:es256 sqlite"
  "eddsa-basic eddsa basic form urn:bench:eddsa sqlite"
  "eddsa-json eddsa post json urn:bench:eddsa sqlite"
  "hs256-basic hs256 basic form urn:bench:hs256 sqlite"
  "es256-action es256 basic form urn:bench:es256 sqlite+action"
  "es256-reuse es256 basic form urn:bench:es256 sqlite+reuse"
  "es256-logall es256 basic form urn:bench:es256 sqlite+logall"
  "es256-stream es256 basic form urn:bench:es256 sqlite+stream"
  "es256-none es256 basic form urn:bench:es256 sqlite+none"
)
if [ -n "$pgdsn" ]; then
  scenarios+=("es256-basic-pg es256 basic form urn:bench:es256 postgres" "rs256-basic-pg rs256 basic form urn:bench:rs256 postgres")
fi
selected() { [ ${#only[@]} -eq 0 ] && return 0; for o in "${only[@]}"; do [ "$o" = "$1" ] && return 0; done; return 1; }

mkdir -p "$here/out"
report="$here/out/$(date -u +%Y%m%dT%H%M%SZ).md"
{
  echo "machine: $(nproc) cores, $(awk '/model name/ {sub(/.*: /, ""); print; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB; $(uname -sr)"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); commit: $(cd "$root" && git rev-parse --short HEAD)$(cd "$root" && git diff --quiet || echo '+dirty')"
  echo "credo build: $("$work/credo" version)${base_rev:+; base build: $("$work/credo-base" version 2>/dev/null || echo "(no crypto report at $base_rev)")}"
  echo "command: bench/run.sh -d $duration -w $warmup -c \"$concs\" -t $threads -r $rounds${experiment:+ -X $experiment}${tags:+ -T $tags}${base_rev:+ -B $base_rev}${pin_srv[*]:+ -P}${pgdsn:+ -p <dsn>}$(for o in "${only[@]:-}"; do [ -n "$o" ] && printf ' -s %s' "$o"; done); wrk -t$threads${pin_srv[*]:+ on CPU 1, servers on CPU 0}, ${duration}s after ${warmup}s warm-up, $rounds alternating round(s) per row"
  echo
  if [ -n "$base_rev" ]; then
    echo "base: credo at $base_rev ($(cd "$root" && git rev-parse --short "$base_rev")), beside this build, on the same seed; rounds alternate floor, base, credo"
    echo
    echo "| scenario | c | floor req/s | base req/s | credo req/s | base/floor | credo/floor | credo/base | base p99 | credo p99 | floor p99 | non-2xx (floor, base, credo) |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  else
    echo "| scenario | c | floor req/s | credo req/s | credo/floor | credo p50 | credo p99 | floor p99 | credo non-2xx | floor non-2xx | credo CPU s | floor CPU s |"
    echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
  fi
} | tee "$report"

current_store=""
invalid=0
for sc in "${scenarios[@]}"; do
  read -r name mode auth kind aud storekind <<<"$sc"
  selected "$name" || continue
  if [ "$storekind" != "$current_store" ]; then
    [ -n "${credo_pid:-}" ] && stop_pid "$credo_pid"
    [ -n "${base_pid:-}" ] && stop_pid "$base_pid"
    case $storekind in
      sqlite) start_credo sqlite "$work/bench.db" "$work/seed.yaml" ;;
      sqlite+action) start_credo action "$work/bench-action.db" "$work/seed-action.yaml" ;;
      sqlite+reuse) start_credo reuse "$work/bench-reuse.db" "$work/seed.yaml" --token-reuse 0.5 ;;
      sqlite+logall) start_credo logall "$work/bench-logall.db" "$work/seed.yaml" --token-log all ;; # every exchange to the tenant log (issue 15)
      sqlite+none) start_credo none "$work/bench-none.db" "$work/seed.yaml" --token-log none ;; # no token exchange logged (issue 15's baseline)
      sqlite+stream) # every exchange to the tenant log and to a stdout log stream (issue 15)
        CREDO_BOOTSTRAP_CLIENT_ID=bench-admin CREDO_BOOTSTRAP_CLIENT_SECRET=$secret \
          start_credo stream "$work/bench-stream.db" "$work/seed.yaml" --token-log all
        add_stream "$credo_port"
        [ -n "$base_rev" ] && add_stream "$base_port" ;;
      postgres)
        schema="bench_$$"
        pgschema=$schema
        base_schema=""
        [ -n "$base_rev" ] && base_schema="${schema}_base"
        start_credo pg "$pgdsn" "$work/seed.yaml" --db-schema "$schema" ;;
    esac
    current_store=$storekind
  fi
  first_token "http://$host:$credo_port/oauth/token" "$auth" bench "$secret" "$aud"
  [ -n "$base_rev" ] && first_token "http://$host:$base_port/oauth/token" "$auth" bench "$secret" "$aud"
  for c in $concs; do
    start_floor "$mode"
    first_token "http://$host:$floor_port/oauth/token" "$auth" bench "$secret" "$aud"
    # Rounds alternate floor and credo (the idle one costs nothing), so that
    # drift in this shared machine's speed falls on both. The floor parses
    # only form bodies, so JSON scenarios compare with its form equivalent.
    f_runs="" c_runs="" b_runs=""
    for _ in $(seq 1 "$rounds"); do
      f_runs+="$(run_wrk $floor_port "$c" "$auth" form "$aud" "$floor_pid")"$'\n'
      [ -n "$base_rev" ] && b_runs+="$(run_wrk $base_port "$c" "$auth" "$kind" "$aud" "$base_pid")"$'\n'
      c_runs+="$(run_wrk $credo_port "$c" "$auth" "$kind" "$aud" "$credo_pid")"$'\n'
    done
    stop_pid "$floor_pid"
    read -r f_rps f_p50 f_p99 f_non f_cpu <<<"$(printf '%s' "$f_runs" | aggregate)"
    read -r c_rps c_p50 c_p99 c_non c_cpu <<<"$(printf '%s' "$c_runs" | aggregate)"
    ok=1
    clean_run "$name c=$c floor" "$f_rps" "$f_non" || ok=0
    clean_run "$name c=$c credo" "$c_rps" "$c_non" || ok=0
    pct() { awk -v a="$1" -v b="$2" 'BEGIN{ if (b>0) printf "%.0f%%", 100*a/b; else print "n/a" }'; }
    if [ -n "$base_rev" ]; then
      read -r b_rps b_p50 b_p99 b_non b_cpu <<<"$(printf '%s' "$b_runs" | aggregate)"
      clean_run "$name c=$c base" "$b_rps" "$b_non" || ok=0
    fi
    if [ $ok = 0 ]; then
      invalid=1
      echo "| $name | $c | invalid: non-2xx responses or no rate (floor $f_non, credo $c_non${base_rev:+, base $b_non}); no figure |" | tee -a "$report"
    elif [ -n "$base_rev" ]; then
      echo "| $name | $c | $f_rps | $b_rps | $c_rps | $(pct "$b_rps" "$f_rps") | $(pct "$c_rps" "$f_rps") | $(awk -v a="$c_rps" -v b="$b_rps" 'BEGIN{ if (b>0) printf "%.3f", a/b; else print "n/a" }') | $b_p99 | $c_p99 | $f_p99 | $f_non, $b_non, $c_non |" | tee -a "$report"
    else
      echo "| $name | $c | $f_rps | $c_rps | $(pct "$c_rps" "$f_rps") | $c_p50 | $c_p99 | $f_p99 | $c_non | $f_non | $c_cpu | $f_cpu |" | tee -a "$report"
    fi
  done
done
[ -n "${credo_pid:-}" ] && stop_pid "$credo_pid"
[ -n "${base_pid:-}" ] && stop_pid "$base_pid"
echo >&2
echo "report: $report" >&2
if [ $invalid = 1 ]; then
  echo "some runs had responses that were not tokens: their rows carry no figure" >&2
  exit 1
fi
