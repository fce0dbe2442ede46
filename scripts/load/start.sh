# Sourced by scripts/load/run and scripts/load/soak: starts the release binary on a
# fresh database with the council's demo data — SQLite by default, PostgreSQL with
# LOAD_DB=postgres (a throw-away database next to RENKEI_TEST_POSTGRES's, default
# postgres://postgres@127.0.0.1:5432/test) — signs a company member in and exports
# what scripts/load/mix.lua needs. Sets $base, $pid and $dir.
command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 1; }
bin=${RENKEI_BIN:-${CARGO_TARGET_DIR:-target}/release/renkei}
[ -x "$bin" ] || cargo build --release -p renkei
dir=$(mktemp -d)
pid=""
pg_admin=""
pg_name=""
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true
  [ -n "$pg_name" ] && psql -q "$pg_admin" -c "DROP DATABASE IF EXISTS $pg_name" >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap cleanup EXIT
if [ "${LOAD_DB:-sqlite}" = "postgres" ]; then
  pg_admin=${RENKEI_TEST_POSTGRES:-postgres://postgres@127.0.0.1:5432/test}
  pg_name="renkei_load_$$"
  psql -q "$pg_admin" -c "CREATE DATABASE $pg_name" >/dev/null
  export RENKEI_DATABASE_URL="${pg_admin%/*}/$pg_name"
else
  export RENKEI_DATABASE_URL="sqlite://$dir/renkei.db"
fi
export RENKEI_LOG=warn
"$bin" migrate >/dev/null
password=$("$bin" user add --role company --company kawaguchi-01 load@kawaguchi-01.example.jp | sed -n "s/.*初回パスワード[^:：]*[:：] *//p" | tr -d ' ')
"$bin" serve --addr 127.0.0.1:18080 --insecure-cookies ${MAX_IN_FLIGHT:+--max-in-flight $MAX_IN_FLIGHT} >"$dir/out" 2>&1 &
pid=$!
base=http://127.0.0.1:18080
for _ in $(seq 1 100); do curl -sf "$base/healthz" >/dev/null && break; sleep 0.2; done
jar="$dir/cookies"
token() { curl -s -b "$jar" -c "$jar" "$base$1" | sed -n 's/.*name="csrf-token" content="\([^"]*\)".*/\1/p' | head -1; }
t=$(token /login)
curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf_token=$t" --data-urlencode "email=load@kawaguchi-01.example.jp" --data-urlencode "password=$password" "$base/login"
t=$(token /account/password)
curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf_token=$t" --data-urlencode "current_password=$password" --data-urlencode "new_password=load-run-password-2026" "$base/account/password"
csrf=$(token /forms)
session=$(awk '$6 == "renkei_session" {print $7}' "$jar")
[ -n "$session" ] && [ -n "$csrf" ] || { echo "sign-in failed" >&2; cat "$dir/out" >&2; exit 1; }
export RENKEI_COOKIE="renkei_session=$session" RENKEI_CSRF="$csrf"
export RENKEI_FORM=kawaguchi-consultant-2017 RENKEI_COMPANY=kawaguchi-01
