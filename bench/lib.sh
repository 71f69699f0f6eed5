# shellcheck shell=bash
# Checks shared by the bench scripts (sourced): a figure is reported only for
# a run whose every response was a token.

# need_file path what [hint]: exit unless path exists.
need_file() {
  [ -f "$1" ] || { echo "$2 not found at $1${3:+ ($3)}; refusing to measure" >&2; exit 1; }
}

# first_token url auth client secret audience: exit unless one token request,
# made the way the load will make it, gets an access token.
first_token() {
  local url=$1 auth=$2 id=$3 sec=$4 aud=$5 body
  if [ "$auth" = basic ]; then
    body=$(curl -sS -u "$id:$sec" "$url" -d grant_type=client_credentials -d audience="$aud" 2>&1) || true
  else
    body=$(curl -sS "$url" -d grant_type=client_credentials -d client_id="$id" -d client_secret="$sec" -d audience="$aud" 2>&1) || true
  fi
  case $body in *'"access_token"'*) return 0 ;; esac
  echo "the first token request to $url ($auth, audience $aud) got no token, so no figure would mean anything; it answered: $body" >&2
  exit 1
}

# clean_run label rps non2xx: true when wrk reported a rate and no non-2xx
# response; otherwise says why the figure is not reported.
clean_run() {
  if [ -z "$2" ]; then echo "$1: wrk reported no request rate" >&2; return 1; fi
  if [ "${3:-0}" != 0 ]; then echo "$1: $3 responses were not 2xx; its figure is not reported" >&2; return 1; fi
  return 0
}

cpu_of() { # utime+stime of a pid, in seconds
  awk -v hz="$(getconf CLK_TCK)" '{ printf "%.2f", ($14 + $15) / hz }' "/proc/$1/stat"
}

stop_pid() { kill "$1" 2>/dev/null || true; wait "$1" 2>/dev/null || true; }

# aggregate: lines "rps p50 p99 non2xx cpu" (one per round) -> mean req/s,
# median p50 and p99 (in ms when there is more than one round), summed
# non-2xx and CPU seconds.
aggregate() {
  awk 'function ms(v) { if (v ~ /us$/) return v / 1000; if (v ~ /ms$/) return v + 0; if (v ~ /s$/) return v * 1000; return v + 0 }
       function med(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t }
                                      return n % 2 ? a[(n+1)/2] : (a[n/2] + a[n/2+1]) / 2 }
       { n++; rps += $1; p50[n] = ms($2); p99[n] = ms($3); raw50 = $2; raw99 = $3; bad += $4; cpu += $5 }
       END { if (n == 1) printf "%s %s %s %d %.1f\n", rps, raw50, raw99, bad, cpu
             else printf "%.2f %.2fms %.2fms %d %.1f\n", rps / n, med(p50, n), med(p99, n), bad, cpu }'
}

# wrk_figures wrk-output cpu-before cpu-after -> "rps p50 p99 non2xx cpu"
wrk_figures() {
  local rps p50 p99 non2xx
  rps=$(awk '/^Requests\/sec/ {print $2}' <<<"$1")
  p50=$(awk '$1=="50%" {print $2}' <<<"$1")
  p99=$(awk '$1=="99%" {print $2}' <<<"$1")
  non2xx=$(awk '/Non-2xx/ {print $NF}' <<<"$1"); non2xx=${non2xx:-0}
  echo "$rps $p50 $p99 $non2xx $(awk -v a="$2" -v b="$3" 'BEGIN{printf "%.1f", b-a}')"
}
