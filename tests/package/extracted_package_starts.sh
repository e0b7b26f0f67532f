#!/usr/bin/env bash
# The Debian package works as shipped: scripts/package builds it, it is
# extracted (dpkg-deb -x, nothing installed on this machine), and the
# extracted crm-host starts with the extracted settings, plugins and
# workflows against the test servers: the first admin signs in, every shipped
# plugin is LOADED, every shipped workflow LIVE, /health/ready is ok, and the
# extracted crmctl talks to it. Needs the services of scripts/test (CRM_DB_DSN ...).
#
# Usage: extracted_package_starts.sh BUILD_DIR
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
build_dir=$1
[ -n "${CRM_DB_DSN:-}" ] || { echo "CRM_DB_DSN is not set: start the services (scripts/services)"; exit 1; }

work=$(mktemp -d "${TMPDIR:-/tmp}/crm-package-test.XXXXXX")
chmod 0755 "$work"
db="crm_pkg_$(od -An -tx1 -N6 /dev/urandom | tr -d ' \n')"
host_pid=''
psql_admin() { PGPASSWORD="$CRM_DB_PASSWORD" psql "$CRM_DB_DSN" -XAtq -v ON_ERROR_STOP=1 -c "$1"; }
cleanup() {
  [ -z "$host_pid" ] || { kill -TERM "$host_pid" 2>/dev/null || true; wait "$host_pid" 2>/dev/null || true; }
  psql_admin "drop database if exists $db with (force)" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT
fail() { echo "FAIL: $*"; [ ! -f "$work/host.log" ] || tail -n 30 "$work/host.log"; exit 1; }

PACKAGE_BUILD_DIR="$build_dir" "$repo/scripts/package" "$work" >"$work/package.txt" 2>&1 ||
  { cat "$work/package.txt"; fail "scripts/package failed"; }
deb=$(ls "$work"/crm-platform_*_amd64.deb)
echo "built $(basename "$deb")"
dpkg-deb -x "$deb" "$work/root"
root="$work/root"
for f in usr/bin/crm-host usr/bin/crmctl etc/crm-platform/crm-host.properties lib/systemd/system/crm-host.service \
  usr/share/crm-platform/workflows/reassignment.lua; do
  [ -e "$root/$f" ] || fail "the package has no $f"
done

psql_admin "create database $db" >/dev/null
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
password="Pkg-$(od -An -tx1 -N8 /dev/urandom | tr -d ' \n')"
env CRM_DB_DSN="${CRM_DB_DSN/dbname=crm/dbname=$db}" CRM_EVENTS_NAMESPACE="$db" \
  CRM_HTTP_HOST=127.0.0.1 CRM_HTTP_PORT="$port" \
  CRM_PLUGINS_DIR="$root/usr/lib/crm-platform/plugins" CRM_WORKFLOWS_DIR="$root/usr/share/crm-platform/workflows" \
  CRM_ADMIN_EMAIL=pkg-admin@example.com CRM_ADMIN_PASSWORD="$password" \
  "$root/usr/bin/crm-host" --config="$root/etc/crm-platform/crm-host.properties" >"$work/host.log" 2>&1 &
host_pid=$!

token=''
for _ in $(seq 1 300); do
  kill -0 "$host_pid" 2>/dev/null || fail "the extracted crm-host exited"
  token=$(curl -sf -m 2 -X POST "$base/api/auth/login" -H 'Content-Type: application/json' \
    -d "{\"email\":\"pkg-admin@example.com\",\"password\":\"$password\"}" 2>/dev/null |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["accessToken"])' 2>/dev/null) && [ -n "$token" ] && break
  sleep 0.1
done
[ -n "$token" ] || fail "the first admin could not sign in"

get() { curl -sf -m 5 -H "Authorization: Bearer $token" "$base$1"; }
shipped=$(cd "$root/usr/lib/crm-platform/plugins" && ls -- *.so | sed 's/\.so$//' | sort | tr '\n' ' ')
loaded=$(get /api/plugins | python3 -c '
import json, sys
print(" ".join(sorted(p["name"] for p in json.load(sys.stdin)["items"] if p["status"] == "LOADED")) + " ")')
[ "$loaded" = "$shipped" ] || fail "plugins LOADED: '$loaded', shipped: '$shipped'"
echo "plugins loaded: $loaded"
for _ in $(seq 1 100); do
  live=$(get /api/workflows | python3 -c '
import json, sys
items = json.load(sys.stdin)["items"]
print(sum(1 for w in items if w["status"] == "LIVE"), len(items))')
  [ "${live% *}" = "${live#* }" ] && [ "${live% *}" != 0 ] && break
  sleep 0.1
done
shipped_flows=$(ls "$root/usr/share/crm-platform/workflows"/*.lua | wc -l)
[ "${live% *}" = "$shipped_flows" ] || fail "workflows LIVE/listed: $live, shipped: $shipped_flows"
echo "workflows live: ${live% *}"
curl -sf -m 5 "$base/health/ready" | grep -q '"status":"ok"' || fail "/health/ready is not ok: $(curl -s "$base/health/ready")"
HOME="$work" "$root/usr/bin/crmctl" --server "$base" health >/dev/null || fail "the extracted crmctl cannot read the health"
echo "the extracted package serves"
