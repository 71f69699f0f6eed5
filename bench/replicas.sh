#!/usr/bin/env bash
# bench/replicas.sh: how fast a write on one credo replica reaches another,
# on one PostgreSQL schema holding a large tenant.
#
# Populates N clients (one grant each) and A APIs, starts replicas A and B,
# then five times: creates a client and its grant through A's Management API
# and times until B issues that client a token; deletes the grant through B
# and times until A refuses. Prints the medians and the slowest.
#
#   bench/replicas.sh -p 'postgres://postgres@127.0.0.1:5432/test?sslmode=disable'
#   bench/replicas.sh -p <dsn> -n 20000 -a 200
#
# Needs go, curl and the PostgreSQL server; uses its own schema and drops it.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
n=100000
apis=1000
dsn=""
while getopts "n:a:p:h" opt; do
  case $opt in
    n) n=$OPTARG ;;
    a) apis=$OPTARG ;;
    p) dsn=$OPTARG ;;
    h) sed -n '2,13p' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
[ -n "$dsn" ] || { echo "-p postgres://… is required" >&2; exit 2; }
host=127.0.0.1
port_a=18091
port_b=18092
issuer="http://$host:$port_a/"
schema="replicas_$$"
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  psql "$dsn" -qc "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM
export CREDO_MASTER_KEY=$(printf 'ab%.0s' $(seq 32))
export CREDO_BOOTSTRAP_CLIENT_ID=replicas-admin CREDO_BOOTSTRAP_CLIENT_SECRET=replicas-admin-secret-0123456789abcdefghij
secret=replicas-secret-0123456789abcdefghijklmnopqrst

(cd "$root" && go build -o "$work/credo" ./cmd/credo && go build -o "$work/populate" ./bench/populate)
echo "populating $n clients and $apis APIs in schema $schema..." >&2
t0=$(date +%s.%N)
"$work/populate" -db "$dsn" -schema "$schema" -clients "$n" -apis "$apis" -secret "$secret" -issuer "$issuer" 2>"$work/populate.log"
t1=$(date +%s.%N)

start() { # port -> appends pid
  "$work/credo" serve --no-demo --addr "$host:$1" --issuer "$issuer" --db "$dsn" --db-schema "$schema" --log-level warn \
    >"$work/serve-$1.log" 2>&1 &
  pids+=("$!")
  for _ in $(seq 1 3000); do
    curl -fsS -o /dev/null "http://$host:$1/readyz" 2>/dev/null && return 0
    sleep 0.01
  done
  echo "replica on $1 did not become ready" >&2; cat "$work/serve-$1.log" >&2; exit 1
}
start $port_a
start $port_b
now() { date +%s%N; }
ms() { echo $(( ($2 - $1) / 1000000 )); }
token() { # port client_id -> HTTP status of a token request
  curl -s -o /dev/null -w '%{http_code}' "http://$host:$1/oauth/token" -d grant_type=client_credentials \
    -d client_id="$2" -d client_secret="$secret" -d audience=urn:scale:api:0001
}
admin() { # port -> bearer token
  curl -fsS "http://$host:$1/oauth/token" -d grant_type=client_credentials -d client_id="$CREDO_BOOTSTRAP_CLIENT_ID" \
    -d client_secret="$CREDO_BOOTSTRAP_CLIENT_SECRET" -d audience="${issuer}api/v2/" | sed -E 's/.*"access_token":"([^"]+)".*/\1/'
}
tok_a=$(admin $port_a)
tok_b=$(admin $port_b)
api() { # port token method path [json] -> body
  curl -fsS -X "$3" -H "Authorization: Bearer $2" -H 'content-type: application/json' "http://$host:$1/api/v2/$4" ${5:+-d "$5"}
}
wait_for() { # port client want-status -> ms waited, or fails after 10 s
  local s; s=$(now)
  while [ "$(token "$1" "$2")" != "$3" ]; do
    if [ $(( ($(now) - s) / 1000000 )) -gt 10000 ]; then echo "timeout"; return; fi
  done
  ms "$s" "$(now)"
}
created=() deleted=()
for i in 1 2 3 4 5; do
  id="replica-new-$i"
  api $port_a "$tok_a" POST clients "{\"name\":\"$id\",\"client_id\":\"$id\",\"client_secret\":\"$secret\"}" >/dev/null
  gid=$(api $port_a "$tok_a" POST client-grants "{\"client_id\":\"$id\",\"audience\":\"urn:scale:api:0001\",\"scope\":[]}" \
    | sed -E 's/.*"id":"([^"]+)".*/\1/')
  created+=("$(wait_for $port_b "$id" 200)")
  api $port_b "$tok_b" DELETE "client-grants/$gid" >/dev/null
  deleted+=("$(wait_for $port_a "$id" 403)")
done
summary() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {printf "median %s ms, slowest %s ms (%s)", a[int((NR+1)/2)], a[NR], NR" runs"}'; }
echo "machine: $(nproc) cores, $(awk '/model name/ {sub(/.*: /, ""); print; exit}' /proc/cpuinfo); date: $(date -u +%Y-%m-%dT%H:%M:%SZ); commit: $(cd "$root" && git rev-parse --short HEAD)"
echo "command: bench/replicas.sh -p <dsn> -n $n -a $apis"
echo
echo "| measure | $n clients, $apis APIs |"
echo "|---|---|"
echo "| populate (service layer, one transaction per write) | $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f s", b-a}') |"
echo "| client + grant created on A → B issues a token | $(summary "${created[@]}") |"
echo "| grant deleted on B → A refuses (403) | $(summary "${deleted[@]}") |"
echo "| each: ${created[*]} / ${deleted[*]} ms | |"
