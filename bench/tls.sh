#!/usr/bin/env bash
# bench/tls.sh: credo's token endpoint over HTTPS beside a bare Go TLS server
# that signs the same token, in one run.
#
# The TLS floor is ../shared/bench/floor's own source, copied to a temporary
# directory and changed in one place only: it serves with TLS 1.3 and the
# given certificate instead of plain HTTP. credo serves the same certificate
# with --tls-cert/--tls-key. Rows: certificate (ECDSA P-256, RSA-2048) x
# connection (keep-alive; a new TLS connection per request, i.e. a full
# handshake per token) x concurrency; rounds alternate floor and credo.
# Connections: "keepalive" and "new" (Connection: close) are wrk; "full" and
# "resumed" are bench/tlsload, a new connection per request without and with
# TLS 1.3 session resumption (tlsload refuses to report "resumed" when fewer
# than 90% of the connections resumed, and counts what it resumed).
#
#   bench/tls.sh                       # default: ES256 tokens, c=32, 10 s, 1 round
#   bench/tls.sh -r 3 -a rs256         # RS256 tokens, 3 alternating rounds
#   bench/tls.sh -c "8 32" -d 5
#
# wrk's "new" rows are not full handshakes: their rate does not depend on the
# certificate (RSA-2048 or P-256 alike), and on this 2-core machine more RSA
# handshakes per second than one core can make RSA signatures were measured,
# so wrk's OpenSSL client resumes its sessions. tlsload's "full" rows are the
# full handshakes (worst case), its "resumed" rows resumed ones with a Go
# client, whose own TLS work is heavier than wrk's.
# Needs: go, wrk, curl, openssl. Only 127.0.0.1.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/.." && pwd)
shared=${CREDO_SHARED:-$root/../shared}
duration=10
warmup=3
concs="32"
threads=2
rounds=1
alg=es256
while getopts "d:w:c:t:r:a:h" opt; do
  case $opt in
    d) duration=$OPTARG ;;
    w) warmup=$OPTARG ;;
    c) concs=$OPTARG ;;
    t) threads=$OPTARG ;;
    r) rounds=$OPTARG ;;
    a) alg=$OPTARG ;;
    h) sed -n '2,26p' "$0"; exit 0 ;;
    *) exit 2 ;;
  esac
done
case $alg in rs256 | es256 | eddsa | hs256 | ps256) ;; *) echo "unknown -a $alg (rs256, ps256, es256, eddsa, hs256)" >&2; exit 2 ;; esac
# shellcheck source=bench/lib.sh
. "$here/lib.sh"
for tool in wrk curl openssl go; do
  command -v $tool >/dev/null || { echo "$tool not found (apt-get install $tool)" >&2; exit 1; }
done
need_file "$shared/bench/floor/main.go" "the floor server's source" "set CREDO_SHARED"
need_file "$shared/bench/post.lua" "the wrk script" "set CREDO_SHARED"

host=127.0.0.1
credo_port=${CREDO_BENCH_PORT:-28443}
floor_port=${FLOOR_BENCH_PORT:-29443}
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT INT TERM

echo "building credo and the TLS floor..." >&2
(cd "$root" && go build -o "$work/credo" ./cmd/credo && go build -o "$work/tlsload" ./bench/tlsload)
mkdir "$work/floor-src"
cp "$shared/bench/floor/main.go" "$shared/bench/floor/go.mod" "$work/floor-src/"
# The one change: ListenAndServe becomes ListenAndServeTLS with TLS 1.3.
perl -0pi -e 's/log\.Fatal\(http\.ListenAndServe\(\*addr, mux\)\)/log.Fatal((&http.Server{Addr: *addr, Handler: mux, TLSConfig: &tls.Config{MinVersion: tls.VersionTLS13}}).ListenAndServeTLS(os.Getenv("FLOOR_TLS_CERT"), os.Getenv("FLOOR_TLS_KEY")))/; s/import \(/import (\n\t"crypto\/tls"\n\t"os"/' "$work/floor-src/main.go"
grep -q 'ListenAndServeTLS' "$work/floor-src/main.go" || { echo "could not turn the floor into a TLS server (its source changed?); refusing to measure" >&2; exit 1; }
(cd "$work/floor-src" && gofmt -w main.go && go build -o "$work/floor" .)

echo "making a throw-away CA and certificates..." >&2
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=bench-ca \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
printf 'subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth\n' >"$work/ext.cnf"
for kind in ecdsa rsa; do
  case $kind in
    ecdsa) openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 -keyout "$work/$kind.key" -out "$work/$kind.csr" 2>/dev/null ;;
    rsa) openssl req -newkey rsa:2048 -nodes -subj /CN=127.0.0.1 -keyout "$work/$kind.key" -out "$work/$kind.csr" 2>/dev/null ;;
  esac
  openssl x509 -req -in "$work/$kind.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" -CAcreateserial -days 1 \
    -extfile "$work/ext.cnf" -out "$work/$kind.pem" 2>/dev/null
done

secret=bench-secret-0123456789abcdefghijklmnopqrstuv
aud="urn:bench:$alg"
export CREDO_MASTER_KEY=$(printf 'ab%.0s' $(seq 32))
signing=$(tr '[:lower:]' '[:upper:]' <<<"$alg"); [ "$alg" = eddsa ] && signing=EdDSA
cat >"$work/seed.yaml" <<YAML
resourceServers:
  - {name: bench, identifier: "$aud", signing_alg: $signing, scopes: [{value: "read:bench"}, {value: "write:bench"}]}
clients:
  - {name: bench, client_id: bench, client_secret: "$secret"}
clientGrants:
  - {client_id: bench, audience: "$aud", scope: ["read:bench", "write:bench"]}
YAML

wait_up() { # url
  for _ in $(seq 1 200); do curl -s --cacert "$work/ca.pem" -o /dev/null "$1" 2>/dev/null && return 0; sleep 0.05; done
  echo "server at $1 did not answer" >&2; return 1
}
# tls_token url: like lib.sh's first_token, over HTTPS with the test CA; also
# checks that TLS 1.3 was negotiated.
tls_token() {
  local out
  out=$(curl -sS -v --cacert "$work/ca.pem" -u "bench:$secret" "$1" -d grant_type=client_credentials -d audience="$aud" 2>&1) || true
  case $out in *'"access_token"'*) ;; *) echo "the first token request to $1 got no token; refusing to measure: $out" >&2; exit 1 ;; esac
  case $out in *'TLSv1.3'*) ;; *) echo "$1 did not negotiate TLS 1.3; refusing to measure" >&2; exit 1 ;; esac
}
run_wrk() { # port conc conn pid -> "rps p50 p99 non2xx cpu"
  local port=$1 conc=$2 conn=$3 pid=$4 hdr=()
  case $conn in resumed | full)
    # A new connection per request with bench/tlsload, which can resume
    # (wrk cannot): "resumed" reuses the session ticket, "full" does not.
    local res=false; [ "$conn" = resumed ] && res=true
    local args=(-url "https://$host:$port/oauth/token" -cacert "$work/ca.pem" -client bench -secret "$secret" -audience "$aud" -c "$conc" -resume=$res)
    "$work/tlsload" "${args[@]}" -d "${warmup}s" >/dev/null 2>&1 || true
    local c0 c1 out
    c0=$(cpu_of "$pid")
    out=$("$work/tlsload" "${args[@]}" -d "${duration}s" 2>&1) || { echo "tlsload failed: $out" >&2; echo "0 0 0 1 0"; return; }
    c1=$(cpu_of "$pid")
    wrk_figures "$out" "$c0" "$c1"
    return ;;
  esac
  [ "$conn" = new ] && hdr=(-H "Connection: close")
  local env=(CLIENT_ID=bench CLIENT_SECRET="$secret" AUTH=basic EXTRA="&audience=$aud")
  env "${env[@]}" wrk -t"$threads" -c"$conc" -d"${warmup}s" "${hdr[@]}" -s "$shared/bench/post.lua" "https://$host:$port/oauth/token" >/dev/null 2>&1 || true
  local c0 c1 out
  c0=$(cpu_of "$pid")
  out=$(env "${env[@]}" wrk -t"$threads" -c"$conc" -d"${duration}s" --latency "${hdr[@]}" -s "$shared/bench/post.lua" "https://$host:$port/oauth/token" 2>&1)
  c1=$(cpu_of "$pid")
  wrk_figures "$out" "$c0" "$c1"
}

mkdir -p "$here/out"
report="$here/out/tls-$(date -u +%Y%m%dT%H%M%SZ).md"
{
  echo "machine: $(nproc) cores, $(awk '/model name/ {sub(/.*: /, ""); print; exit}' /proc/cpuinfo), $(free -g | awk '/Mem:/ {print $2}') GiB; $(uname -sr)"
  echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ); commit: $(cd "$root" && git rev-parse --short HEAD)$(cd "$root" && git diff --quiet || echo '+dirty'); credo build: $("$work/credo" version)"
  echo "command: bench/tls.sh -a $alg -d $duration -w $warmup -c \"$concs\" -t $threads -r $rounds; $(wrk -v 2>&1 | head -n1); TLS 1.3, $signing tokens, Basic auth; rounds alternate floor and credo"
  echo
  echo "| certificate | connection | c | floor req/s | credo req/s | credo/floor | floor p50 | credo p50 | floor p99 | credo p99 | non-2xx (floor, credo) | CPU s (floor, credo) |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|---|"
} | tee "$report"

invalid=0
for cert in ecdsa rsa; do
  FLOOR_TLS_CERT="$work/$cert.pem" FLOOR_TLS_KEY="$work/$cert.key" "$work/floor" -mode "$alg" -addr "$host:$floor_port" \
    -client-id bench -client-secret "$secret" >"$work/floor.log" 2>&1 &
  floor_pid=$!; pids+=("$floor_pid")
  "$work/credo" serve --no-demo --addr "$host:$credo_port" --issuer "https://$host:$credo_port/" --db "$work/credo-$cert.db" \
    --seed "$work/seed.yaml" --tls-cert "$work/$cert.pem" --tls-key "$work/$cert.key" --log-level warn >"$work/credo.log" 2>&1 &
  credo_pid=$!; pids+=("$credo_pid")
  wait_up "https://$host:$floor_port/oauth/token" || { cat "$work/floor.log" >&2; exit 1; }
  wait_up "https://$host:$credo_port/readyz" || { cat "$work/credo.log" >&2; exit 1; }
  tls_token "https://$host:$floor_port/oauth/token"
  tls_token "https://$host:$credo_port/oauth/token"
  for conn in keepalive new full resumed; do
    for c in $concs; do
      f_runs="" c_runs=""
      for _ in $(seq 1 "$rounds"); do
        f_runs+="$(run_wrk $floor_port "$c" $conn "$floor_pid")"$'\n'
        c_runs+="$(run_wrk $credo_port "$c" $conn "$credo_pid")"$'\n'
      done
      read -r f_rps f_p50 f_p99 f_non f_cpu <<<"$(printf '%s' "$f_runs" | aggregate)"
      read -r c_rps c_p50 c_p99 c_non c_cpu <<<"$(printf '%s' "$c_runs" | aggregate)"
      ok=1
      clean_run "$cert $conn c=$c floor" "$f_rps" "$f_non" || ok=0
      clean_run "$cert $conn c=$c credo" "$c_rps" "$c_non" || ok=0
      if [ $ok = 0 ]; then
        invalid=1
        echo "| $cert | $conn | $c | invalid: non-2xx responses or no rate (floor $f_non, credo $c_non); no figure |" | tee -a "$report"
      else
        echo "| $cert | $conn | $c | $f_rps | $c_rps | $(awk -v a="$c_rps" -v b="$f_rps" 'BEGIN{printf "%.2f", a/b}') | $f_p50 | $c_p50 | $f_p99 | $c_p99 | $f_non, $c_non | $f_cpu, $c_cpu |" | tee -a "$report"
      fi
    done
  done
  stop_pid "$floor_pid"
  stop_pid "$credo_pid"
done
echo "report: $report" >&2
[ $invalid = 0 ] || { echo "some runs had responses that were not tokens: their rows carry no figure" >&2; exit 1; }
