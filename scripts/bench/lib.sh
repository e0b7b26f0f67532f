# shellcheck shell=bash
# Shared by the benchmarks in scripts/bench: a throwaway work folder, services
# in fast mode, one crm-host on a free loopback port, and clean-up of all of it
# on exit. Source it from the repository root after `set -euo pipefail`.
#
#   bench_init NAME               work folder ($work), services started, env loaded
#   bench_start_host [VAR=V ...]  crm-host with $work/plugins and $work/workflows,
#                                 extra CRM_* settings as arguments; sets $base
#   summarize NAME FILE           one line from wrk --latency output
#
# BENCH_HOST_BIN names another crm-host binary to measure (e.g. one built from
# an older commit, to compare two builds with the same script and settings).
# BENCH_HOST_ENV adds settings to the host, e.g.
# "CRM_EVENTS_CONSUMER_BATCH=1 CRM_EVENTS_CONSUMER_PULLERS=1".

repo=$(pwd)
host_bin="${BENCH_HOST_BIN:-$repo/build/bin/crm-host}"
host_pid=''
work=''

phase() { printf '\n==> %s\n' "$*"; }
die() { echo "bench: error: $*" >&2; exit 1; }

bench_require() {
  [ -x "$host_bin" ] || die "$host_bin not found; build first (scripts/test or cmake --build build)"
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null || die "$tool not found (run scripts/bootstrap)"
  done
}

free_port() {
  python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# shellcheck disable=SC2317  # run from bench_cleanup
stop_host() {
  [ -n "$host_pid" ] || return 0
  if kill -TERM "$host_pid" 2>/dev/null; then
    local i
    for ((i = 0; i < 300; i++)); do
      kill -0 "$host_pid" 2>/dev/null || break
      sleep 0.1
    done
    kill -KILL "$host_pid" 2>/dev/null || true
  fi
  wait "$host_pid" 2>/dev/null || true
  host_pid=''
}

# shellcheck disable=SC2317  # run by the EXIT trap
bench_cleanup() {
  local status=$?
  trap - EXIT INT TERM
  phase "stopping crm-host and services"
  stop_host
  [ -z "$work" ] || scripts/services destroy "$work/services" >/dev/null || true
  if [ -n "$work" ] && [ -n "${BENCH_KEEP:-}" ]; then
    echo "bench: kept $work (host.log and the rest; BENCH_KEEP is set)"
  elif [ -n "$work" ]; then
    rm -rf "$work"
  fi
  exit "$status"
}

bench_init() {
  work=$(mktemp -d "${TMPDIR:-/tmp}/crm-bench-$1.XXXXXX")
  # Searchable by others: PostgreSQL runs as its own account and keeps its data below.
  chmod 0755 "$work"
  trap bench_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  phase "services (fast mode) in $work/services"
  scripts/services start --fast "$work/services"
  eval "$(scripts/services env "$work/services")"
  mkdir -p "$work/plugins" "$work/workflows"
}

bench_start_host() {
  local port
  port=$(free_port)
  base="http://127.0.0.1:$port"
  phase "crm-host on $base (log in $work/host.log)"
  env CRM_PLUGINS_DIR="$work/plugins" CRM_WORKFLOWS_DIR="$work/workflows" \
    CRM_HTTP_HOST=127.0.0.1 CRM_HTTP_PORT="$port" CRM_LOG_REQUESTS=false CRM_HTTP_MAX_THREADS=64 "$@" \
    ${BENCH_HOST_ENV:-} \
    "$host_bin" --config="$repo/config/crm-host.properties" >"$work/host.log" 2>&1 &
  host_pid=$!
  local deadline=$((SECONDS + 60))
  until curl -sf -m 1 -o /dev/null "$base/health/live"; do
    if ! kill -0 "$host_pid" 2>/dev/null || [ "$SECONDS" -ge "$deadline" ]; then
      tail -n 30 "$work/host.log" >&2
      die "crm-host did not answer $base/health/live"
    fi
    sleep 0.2
  done
}

# Prints "NAME: N req/s, p50 X ms, p99 Y ms" from wrk --latency output.
summarize() {
  awk -v name="$1" '
    function ms(v) {
      if (v ~ /us$/) return v / 1000
      if (v ~ /ms$/) return v + 0
      if (v ~ /m$/) return v * 60000
      if (v ~ /s$/) return v * 1000
      return v + 0
    }
    /^Requests\/sec:/ { rps = $2 }
    $1 == "50%" { p50 = ms($2) }
    $1 == "99%" { p99 = ms($2) }
    /Non-2xx or 3xx responses:/ { bad = $NF }
    /Socket errors:/ { sub(/^ *Socket errors: */, ""); errors = $0 }
    END {
      printf "%s: %.0f req/s, p50 %.2f ms, p99 %.2f ms", name, rps, p50, p99
      if (bad) printf "  [%s non-2xx responses]", bad
      if (errors) printf "  [socket errors: %s]", errors
      printf "\n"
    }' "$2"
}
