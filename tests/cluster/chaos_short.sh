#!/usr/bin/env bash
# The short form of `scripts/cluster chaos`, run by ctest: two crm-hosts, a
# three-server NATS cluster, PostgreSQL, Redis and nginx, all on loopback in a
# folder of its own; 40 s of load through the balancer while a host is
# killed, a NATS server stops for 6 s, Redis restarts and the host of a
# reassignment saga is killed. Passes when chaos.py says the targets hold:
# at most 1% of requests failed inside the fault windows, none outside, every
# acknowledged write present, every event handled once by every consumer,
# every instance finished, no lease or schedule stuck.
#
# Usage: tests/cluster/chaos_short.sh BUILD_DIR
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/../.."
build_dir=$(realpath "${1:?usage: chaos_short.sh BUILD_DIR}")
[ -x "$build_dir/bin/crm-host" ] || { echo "chaos: $build_dir/bin/crm-host not built" >&2; exit 1; }

dir=$(mktemp -d "${TMPDIR:-/tmp}/crm-chaos.XXXXXX")
chmod 0755 "$dir" # PostgreSQL runs as its own account and keeps its data below
export CLUSTER_DIR="$dir/cluster" CLUSTER_SKIP_BUILD=1 RUN_BUILD_DIR="$build_dir"
CLUSTER_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
export CLUSTER_PORT
finish() {
  local status=$?
  if [ "$status" != 0 ]; then
    echo "---- last lines of the hosts' logs ----"
    tail -n 15 "$CLUSTER_DIR"/log/host-*.log 2>/dev/null | cut -c1-400 || true
    tail -n 20 "$CLUSTER_DIR"/log/supervisor.log 2>/dev/null || true
  fi
  scripts/cluster destroy >/dev/null 2>&1 || true
  rm -rf "$dir"
  exit "$status"
}
trap finish EXIT

CHAOS_SECONDS=40 CHAOS_NATS_DOWN=6 CHAOS_CLIENTS=4 CHAOS_RATE=5 CHAOS_SETTLE=90 scripts/cluster chaos 2
