#!/usr/bin/env bash
# bench/scale.sh: credo with 100,000 clients (one grant each) and 1,000 APIs.
#
# Measures, in one run: time from process start to /readyz 200, resident
# memory, token throughput (ES256, Basic, c=32) beside the same credo on a
# 10-client tenant, and Management API list latency per page. With -o N the
# big tenant also has N organizations, each associated with -g grants (10),
# and its tokens are requested for an organization (organization=…): the
# throughput beside the 10-client tenant without organizations.
#
#   bench/scale.sh                 # 100k clients, 1k APIs, 10 s wrk runs
#   bench/scale.sh -n 20000 -a 200 -d 5
#   bench/scale.sh -o 10000        # + 10,000 organizations × 10 grants
#
# Needs go, wrk, curl. Targets only 127.0.0.1; stops everything it started.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
n=100000
apis=1000
duration=10
orgs=0
org_grants=10
while getopts "n:a:d:o:g:h" opt; do
  case $opt in
    n) n=$OPTARG ;;
    a) apis=$OPTARG ;;
    d) duration=$OPTARG ;;
    o) orgs=$OPTARG ;;
    g) org_grants=$OPTARG ;;
    h) sed -n '2,16p' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
command -v wrk >/dev/null || { echo "wrk not found: apt-get install wrk" >&2; exit 1; }
command -v curl >/dev/null || { echo "curl not found: apt-get install curl" >&2; exit 1; }
shared=${CREDO_SHARED:-$root/../shared}
need_file "$shared/bench/post.lua" "the wrk script" "set CREDO_SHARED"
host=127.0.0.1
port=18090
work=$(mktemp -d)
pid=""
cleanup() { [ -n "$pid" ] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT INT TERM
export CREDO_MASTER_KEY=$(printf 'ab%.0s' $(seq 32))
export CREDO_BOOTSTRAP_CLIENT_ID=scale-admin CREDO_BOOTSTRAP_CLIENT_SECRET=scale-admin-secret-0123456789abcdefghijklm
secret=scale-secret-0123456789abcdefghijklmnopqrstu
issuer="http://$host:$port/"

(cd "$root" && go build -o "$work/credo" ./cmd/credo && go build -o "$work/populate" ./bench/populate)
echo "populating $n clients and $apis APIs..." >&2
t0=$(date +%s.%N)
"$work/populate" -db "$work/big.db" -clients "$n" -apis "$apis" -orgs "$orgs" -org-grants "$org_grants" -secret "$secret" -issuer "$issuer" 2>"$work/populate.log"
t1=$(date +%s.%N)
"$work/populate" -db "$work/small.db" -clients 10 -apis 10 -secret "$secret" -issuer "$issuer" 2>/dev/null

start() { # db -> sets pid and ready (seconds from exec to /readyz 200)
  local s; s=$(date +%s.%N)
  "$work/credo" serve --no-demo --addr "$host:$port" --issuer "$issuer" --db "$1" --log-level warn >"$work/serve.log" 2>&1 &
  pid=$!
  for _ in $(seq 1 3000); do
    if curl -fsS -o /dev/null "http://$host:$port/readyz" 2>/dev/null; then
      ready=$(awk -v a="$s" -v b="$(date +%s.%N)" 'BEGIN{printf "%.2f", b-a}'); return 0
    fi
    sleep 0.01
  done
  echo "credo did not become ready" >&2; cat "$work/serve.log" >&2; exit 1
}
stop() { kill "$pid"; wait "$pid" 2>/dev/null || true; pid=""; }
rss_mb() { awk '/VmRSS/ {printf "%.0f", $2/1024}' "/proc/$pid/status"; }
tput() { # client audience [organization]: sets rps and bad; exits unless every response was a token
  local aud=$2
  [ -n "${3:-}" ] && aud="$2&organization=$3" # sent as is by curl -d and by post.lua's EXTRA
  first_token "http://$host:$port/oauth/token" basic "$1" "$secret" "$aud"
  set -- "$1" "$aud"
  CLIENT_ID=$1 CLIENT_SECRET=$secret AUTH=basic EXTRA="&audience=$2" wrk -t2 -c32 -d2s -s "$shared/bench/post.lua" "http://$host:$port/oauth/token" >/dev/null 2>&1 || true
  read -r rps bad <<<"$(CLIENT_ID=$1 CLIENT_SECRET=$secret AUTH=basic EXTRA="&audience=$2" wrk -t2 -c32 -d"${duration}s" -s "$shared/bench/post.lua" "http://$host:$port/oauth/token" 2>&1 \
    | awk '/^Requests\/sec/ {r=$2} /Non-2xx/ {bad=$NF} END {printf "%s %s", r, (bad==""?0:bad)}')"
  clean_run "token throughput for $1" "$rps" "$bad" || exit 1
}

# Two rounds, small then big, so that drift of this shared machine's speed
# falls on both sides; the ratio is of the sums.
mid_i=$((n / 2))
mid_org=""
if [ "$orgs" -gt 0 ]; then # a client whose grant organization mid_i / org_grants is associated with
  assoc=$((orgs * org_grants < n ? orgs * org_grants : n))
  mid_i=$((assoc / 2))
  mid_org=$(printf 'scale-org-%05d' $((mid_i / org_grants)))
fi
mid=$(printf 'scale-%06d' "$mid_i")
mid_api=$(printf 'urn:scale:api:%04d' $((mid_i % apis)))
start "$work/small.db"; small_ready=$ready
tput scale-000003 urn:scale:api:0003; small_rps1=$rps small_bad1=$bad
stop
start "$work/big.db"; big_ready=$ready
big_rss_ready=$(rss_mb)
tput "$mid" "$mid_api" "$mid_org"; big_rps1=$rps big_bad1=$bad
big_rss_load=$(rss_mb)
stop
start "$work/small.db"
tput scale-000003 urn:scale:api:0003; small_rps2=$rps small_bad2=$bad
stop
start "$work/big.db"; restart_ready=$ready
tput "$mid" "$mid_api" "$mid_org"; big_rps2=$rps big_bad2=$bad

admin=$(curl -fsS "http://$host:$port/oauth/token" -d grant_type=client_credentials -d client_id=scale-admin \
  -d client_secret="$CREDO_BOOTSTRAP_CLIENT_SECRET" -d audience="${issuer}api/v2/" | sed -E 's/.*"access_token":"([^"]+)".*/\1/')
median() { sort -n | awk '{a[NR]=$1} END {printf "%.1f", a[int((NR+1)/2)]*1000}'; }
page_ms() { # path -> median of 5, ms
  for _ in 1 2 3 4 5; do
    curl -fsS -o /dev/null -w '%{time_total}\n' -H "Authorization: Bearer $admin" "http://$host:$port/api/v2/$1"
  done | median
}
write_ms() { # method path json (N is replaced by 1..5) -> median of 5, ms
  for i in 1 2 3 4 5; do
    curl -fsS -o /dev/null -w '%{time_total}\n' -X "$1" -H "Authorization: Bearer $admin" -H 'content-type: application/json' \
      "http://$host:$port/api/v2/$2" -d "${3//N/$i}"
  done | median
}
last=$(( (n - 1) / 100 ))
lists=(
  "clients?per_page=100&page=0"
  "clients?per_page=100&page=$((last / 2))"
  "clients?per_page=100&page=$last&include_totals=true"
  "client-grants?per_page=100&page=$((last / 2))"
  "client-grants?client_id=$mid"
  "resource-servers?per_page=100&page=$(( (apis - 1) / 100 ))"
)
if [ "$orgs" -gt 0 ]; then
  lists+=("organizations?take=100" "organizations/name/$mid_org")
fi

echo "machine: $(nproc) cores, $(awk '/model name/ {sub(/.*: /, ""); print; exit}' /proc/cpuinfo); date: $(date -u +%Y-%m-%dT%H:%M:%SZ); commit: $(cd "$root" && git rev-parse --short HEAD)"
echo "command: bench/scale.sh -n $n -a $apis -d $duration -o $orgs -g $org_grants"
echo
big_label="$n clients, $apis APIs"
[ "$orgs" -gt 0 ] && big_label="$big_label, $orgs organizations × $org_grants grants (tokens for $mid_org)"
echo "| measure | $big_label | 10 clients, 10 APIs |"
echo "|---|---|---|"
echo "| populate (service layer, one transaction per write) | $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.1f s", b-a}') | |"
echo "| first start to ready (creates the bootstrap admin) | ${big_ready} s | ${small_ready} s |"
echo "| restart to ready (nothing to write) | ${restart_ready} s | |"
echo "| resident memory after start / after load | ${big_rss_ready} MB / ${big_rss_load} MB | |"
echo "| ES256 token req/s (Basic, c=32, ${duration}s), round 1 | $big_rps1 (non-2xx $big_bad1) | $small_rps1 (non-2xx $small_bad1) |"
echo "| ES256 token req/s, round 2 | $big_rps2 (non-2xx $big_bad2) | $small_rps2 (non-2xx $small_bad2) |"
echo "| throughput ratio (sum of both rounds) | $(awk -v a="$big_rps1" -v b="$big_rps2" -v c="$small_rps1" -v d="$small_rps2" 'BEGIN{printf "%.0f%%", 100*(a+b)/(c+d)}') | |"
for l in "${lists[@]}"; do
  echo "| GET /api/v2/$l (median of 5) | $(page_ms "$l") ms | |"
done
echo "| POST /api/v2/clients (median of 5) | $(write_ms POST clients '{"name":"scale-new-N","client_id":"scale-new-N"}') ms | |"
echo "| POST /api/v2/client-grants (median of 5) | $(write_ms POST client-grants '{"client_id":"scale-new-N","audience":"urn:scale:api:0001","scope":[]}') ms | |"
stop
