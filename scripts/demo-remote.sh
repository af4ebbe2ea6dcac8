#!/usr/bin/env bash
# make demo-remote: make demo's migration (1 GiB simulated namespace, 4
# random writers at 4,000 writes/s, verified) to another host. The other
# host is a network namespace joined to this one by a veth pair, with its
# own address (10.78.0.2); nbdkit serves a file there over NBD and cdqctl
# migrates into nbd://10.78.0.2:10809/. Everything is removed on exit.
# Where a network namespace cannot be made (no root, no netns support),
# the same run goes to nbdkit on loopback instead, and says so.
# usage: demo-remote.sh CDQCTL [extra cdqctl migrate arguments...]
set -euo pipefail
SCRIPT_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
CDQ_LOG_PREFIX=demo-remote
# shellcheck source=lib/host-packages.sh
. "$SCRIPT_DIR/lib/host-packages.sh"

cdqctl=$1
shift
size=${CDQ_DEMO_SIZE:-1G}
namespace=cdq-demo-$$
host_link=cdqdh$$ far_link=cdqdn$$
host_address=10.78.0.1 far_address=10.78.0.2 port=10809

workdir=$(mktemp -d)
server_pid=
netns_made=0
cleanup() {
  if [ -n "$server_pid" ]; then
    kill -9 "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
  fi
  if [ "$netns_made" = 1 ]; then
    ip link del "$host_link" 2>/dev/null || true
    ip netns del "$namespace" 2>/dev/null || true
  fi
  rm -rf "$workdir"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

make_namespace() {
  [ "$(id -u)" -eq 0 ] || return 1
  ip netns add "$namespace" 2>/dev/null || return 1
  netns_made=1
  ip link add "$host_link" type veth peer name "$far_link" &&
    ip link set "$far_link" netns "$namespace" &&
    ip addr add "$host_address/24" dev "$host_link" &&
    ip link set "$host_link" up &&
    ip netns exec "$namespace" ip addr add "$far_address/24" dev "$far_link" &&
    ip netns exec "$namespace" ip link set "$far_link" up &&
    ip netns exec "$namespace" ip link set lo up
}

served=$workdir/served.img
truncate -s "$size" "$served"
if make_namespace; then
  address=$far_address
  ip netns exec "$namespace" nbdkit --foreground --ipaddr "$address" --port "$port" file "$served" &
  server_pid=$!
  cdq_log "nbdkit serves $served in network namespace $namespace ($address), reached over veth $host_link ($host_address)"
else
  cdq_log "SKIPPED the second host: a network namespace cannot be made here (needs root and netns support); migrating over loopback instead"
  address=127.0.0.1
  port=$(( 20000 + $$ % 20000 ))
  nbdkit --foreground --ipaddr "$address" --port "$port" file "$served" &
  server_pid=$!
fi

# Wait (at most 10 s) until the server listens.
for _ in $(seq 100); do
  if [ "$address" = "$far_address" ]; then
    ip netns exec "$namespace" ss -Hltn "src $address:$port" | grep -q . && break
  else
    ss -Hltn "src $address:$port" | grep -q . && break
  fi
  kill -0 "$server_pid" 2>/dev/null || { cdq_log "nbdkit exited"; exit 1; }
  sleep 0.1
done

"$cdqctl" migrate --simulate --namespace-size "$size" --writers 4 --write-rate 4000 \
  --destination "nbd://$address:$port/" --verify "$@"
