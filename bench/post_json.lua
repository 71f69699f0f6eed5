-- wrk script: POST a client_credentials token request with a JSON body
-- (client_secret_post), the way Auth0's docs and Dashboard send it.
-- Env: CLIENT_ID, CLIENT_SECRET, AUDIENCE.
local id = os.getenv("CLIENT_ID") or "bench"
local secret = os.getenv("CLIENT_SECRET") or "bench-secret"
local aud = os.getenv("AUDIENCE") or ""
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
wrk.body = '{"grant_type":"client_credentials","client_id":"' .. id .. '","client_secret":"' .. secret .. '","audience":"' .. aud .. '"}'
