#!/usr/bin/env bash
# The README's test line (`npm run test:all`) and what CI runs: every test, from a fresh clone on a Debian
# machine with only Node and npm. It installs what the tests need and the machine lacks (Debian's chromium,
# through apt-get, never a browser download), starts PostgreSQL and Redis when they are installed but down
# (and says how to install them when they are not), runs `npm ci` when node_modules is missing or differs
# from package-lock.json, then runs `npm test`. It stops before the tests when something cannot be provided,
# saying what to do, rather than running minutes of tests that would fail for the same reason.
set -euo pipefail
cd "$(dirname "$0")/.."

# Where the tests look (test/support/test-services.ts reads the same variables, with the same defaults).
CHROMIUM="${KEEL_TEST_CHROMIUM:-/usr/bin/chromium}"
PG_URL="${KEEL_TEST_POSTGRES_URL:-postgres://postgres@127.0.0.1:5432/test}"
WAIT_S=30 # a cold PostgreSQL start on a busy 2-core machine takes a few seconds; 30 s is generous

step() { printf '[test:all] %s\n' "$*"; }
problems=()

as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif ! command -v sudo >/dev/null 2>&1; then return 1
  elif [ -t 0 ]; then sudo "$@"
  else sudo -n "$@" # no terminal (CI): never hang on a password prompt
  fi
}

apt_install() {
  # The lock timeout waits for another apt-get on this machine (a parallel job) instead of failing at once.
  local install=(env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq -o DPkg::Lock::Timeout=600 "$@")
  as_root "${install[@]}" >/dev/null && return 0
  # A fresh machine has no package lists, or stale ones: fetch them once, then try again.
  as_root apt-get update -qq -o DPkg::Lock::Timeout=600 && as_root "${install[@]}" >/dev/null
}

wait_until() {
  local _
  for _ in $(seq 1 "$WAIT_S"); do "$@" && return 0; sleep 1; done
  return 1
}

# --- Chromium, for the browser tests (status page, drill report) ---------------------------------------
if [ ! -x "$CHROMIUM" ]; then
  if [ -n "${KEEL_TEST_CHROMIUM:-}" ]; then
    problems+=("KEEL_TEST_CHROMIUM=$CHROMIUM is not an executable: point it at a Chromium, or unset it to use Debian's /usr/bin/chromium.")
  elif ! command -v apt-get >/dev/null 2>&1; then
    problems+=("Chromium is not installed at $CHROMIUM and this is not a Debian machine: install Chromium and set KEEL_TEST_CHROMIUM to its path.")
  else
    step "installing Debian's chromium for the browser tests (apt-get install chromium; a minute or two)"
    if ! apt_install chromium || [ ! -x "$CHROMIUM" ]; then
      problems+=("Chromium is not installed at $CHROMIUM and could not be installed: as root, run apt-get update && apt-get install -y chromium.")
    fi
  fi
fi

# --- PostgreSQL on 127.0.0.1:5432 with trust auth (store and lease tests) ------------------------------
# A URL of one's own (KEEL_TEST_POSTGRES_URL) is a server this script does not manage.
pg_up() { command -v pg_isready >/dev/null 2>&1 && pg_isready -q -h 127.0.0.1 -p 5432; }
if [ -z "${KEEL_TEST_POSTGRES_URL:-}" ]; then
  if ! pg_up; then
    if compgen -G '/etc/postgresql/*/main/postgresql.conf' >/dev/null; then
      step "starting PostgreSQL"
      for version in $(ls /etc/postgresql); do as_root pg_ctlcluster --skip-systemctl-redirect "$version" main start || true; done
      wait_until pg_up || problems+=("PostgreSQL is installed but did not start on 127.0.0.1:5432: see /var/log/postgresql/.")
    else
      problems+=("PostgreSQL is not installed: as root, run apt-get install -y postgresql, then give the tests trust auth on loopback as below.")
    fi
  fi
  if pg_up && ! PGCONNECT_TIMEOUT=5 psql -w -Atq "$PG_URL" -c 'SELECT 1' >/dev/null 2>&1 </dev/null; then
    version="$(ls /etc/postgresql 2>/dev/null | head -n 1)"
    problems+=("PostgreSQL answers, but the tests cannot log in to $PG_URL without a password. As root: put 'host all all 127.0.0.1/32 trust' first in /etc/postgresql/${version:-<version>}/main/pg_hba.conf, run pg_ctlcluster ${version:-<version>} main reload, then su postgres -c 'createdb test'.")
  fi
fi

# --- Redis on 127.0.0.1:6379 (shared breakers, counters, leases, answer cache) -------------------------
redis_up() { command -v redis-cli >/dev/null 2>&1 && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; }
if [ -z "${KEEL_TEST_REDIS_URL:-}" ] && ! redis_up; then
  if command -v redis-server >/dev/null 2>&1; then
    step "starting Redis"
    # As this machine kind starts it: loopback only, nothing kept on disk.
    as_root mkdir -p /var/lib/redis /var/log/redis || true
    as_root redis-server --daemonize yes --bind 127.0.0.1 -::1 --port 6379 --save "" --appendonly no --dir /var/lib/redis --logfile /var/log/redis/ci.log || true
    wait_until redis_up || problems+=("Redis is installed but did not start on 127.0.0.1:6379: see /var/log/redis/ci.log.")
  else
    problems+=("Redis is not installed: as root, run apt-get install -y redis-server (the tests expect it on 127.0.0.1:6379).")
  fi
fi

if [ "${#problems[@]}" -gt 0 ]; then
  step "cannot run every test on this machine yet:" >&2
  for problem in "${problems[@]}"; do printf '  - %s\n' "$problem" >&2; done
  printf 'Then run npm run test:all again.\n' >&2
  exit 1
fi

# --- node_modules exactly as package-lock.json says -----------------------------------------------------
if ! stale="$(node scripts/node-modules-current.mjs)"; then
  step "installing node_modules with npm ci ($stale)"
  npm ci --no-audit --no-fund
fi

exec npm test
