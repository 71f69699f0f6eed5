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
