#!/usr/bin/env bash
# The suite's main job: run the whole stack with docker-compose (every
# bridge, its backend) and show it working through the opi command line, run
# from a container on the compose network: inventory, a volume, an NVMe
# subsystem, namespace and controller, IPsec, the firewall.
#
# The stack keeps running afterwards, for you to explore
# (scripts/stack.sh opi --addr storage-bridge:50051 storage nvme-subsystem list);
# `make down` stops it. The demo removes the resources it made, so it can
# run again.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
opi() { printf '\033[2m$ opi %s\033[0m\n' "$*"; scripts/stack.sh opi "$@"; }
quiet() { scripts/stack.sh opi "$@" </dev/null >/dev/null 2>&1 || true; }

step "the stack: Docker engine, images (built offline), docker-compose up, health"
scripts/stack.sh up
eval "$(scripts/docker-env.sh env)"
export DOCKER_HOST
${COMPOSE:-docker-compose} ps

st=(--addr storage-bridge:50051 storage)
sec=(--addr security-bridge:50051)
# A previous run that was interrupted may have left these.
quiet "${st[@]}" nvme-controller delete demo-tcp --subsystem demo-subsys
quiet "${st[@]}" nvme-namespace delete demo-ns --subsystem demo-subsys
quiet "${st[@]}" nvme-subsystem delete demo-subsys
quiet "${st[@]}" malloc-volume delete demo-vol
quiet "${sec[@]}" firewall policy delete demo-edge
quiet "${sec[@]}" ipsec connection delete demo-site
quiet "${sec[@]}" ipsec psk delete demo-site

step "provisioning: the inventory of the machine (as the container sees it)"
opi --addr provisioning:50051 inventory get </dev/null | head -n 12

step "storage: a volume, an NVMe subsystem, a namespace on the volume, an NVMe/TCP controller (SPDK JSON-RPC, here spdk-sim)"
opi "${st[@]}" malloc-volume create demo-vol --block-count 2048 --block-size 512 </dev/null
opi "${st[@]}" nvme-subsystem create demo-subsys --nqn nqn.2022-09.io.opiproject:demo --allow-any-host </dev/null
opi "${st[@]}" nvme-namespace create demo-ns --subsystem demo-subsys --volume mallocVolumes/demo-vol </dev/null
opi "${st[@]}" nvme-controller create demo-tcp --subsystem demo-subsys --trtype tcp --traddr 127.0.0.1 --trsvcid 4420 </dev/null
opi "${st[@]}" nvme-namespace list --subsystem demo-subsys </dev/null

step "security: a pre-shared key and an IPsec connection, loaded into strongSwan's charon over VICI"
opi "${sec[@]}" health opi.security.v1.IpsecService </dev/null
printf 'demo-pre-shared-key-0123456789' | opi "${sec[@]}" ipsec psk create demo-site --secret-file -
printf '%s\n' 'local_addrs: [0.0.0.0]' 'remote_addrs: [192.0.2.2]' \
  'local_auth: {method: AUTH_METHOD_PSK, pre_shared_key: preSharedKeys/demo-site}' \
  'remote_auth: {method: AUTH_METHOD_PSK, pre_shared_key: preSharedKeys/demo-site}' \
  'children: [{name: net, local_ts: [10.1.0.0/16], remote_ts: [10.2.0.0/16]}]' |
  opi "${sec[@]}" ipsec connection create demo-site --file -
echo "charon's view (swanctl --list-conns in the strongswan container):"
"${DOCKER:-/usr/bin/docker}" exec "$(${COMPOSE:-docker-compose} ps -q strongswan)" swanctl --list-conns --uri unix:///var/run/charon/charon.vici

step "security: an XDP firewall policy with a rule"
if scripts/stack.sh opi "${sec[@]}" health opi.security.v1.FirewallService </dev/null >/dev/null 2>&1; then
  echo '{"rules": [{"priority": 10, "protocol": "IP_PROTOCOL_TCP", "destination_ports": {"first": 2222}, "action": "FIREWALL_ACTION_DROP"}]}' |
    opi "${sec[@]}" firewall policy create demo-edge --interface eth0 --attach-mode generic --default-action allow --rules-file -
  opi "${sec[@]}" firewall policy stats demo-edge </dev/null
else
  echo "(the security bridge does not serve the firewall yet)"
fi

step "clean up the demo's resources (the stack keeps running)"
quiet "${sec[@]}" firewall policy delete demo-edge
quiet "${sec[@]}" ipsec connection delete demo-site
quiet "${sec[@]}" ipsec psk delete demo-site
quiet "${st[@]}" nvme-controller delete demo-tcp --subsystem demo-subsys
quiet "${st[@]}" nvme-namespace delete demo-ns --subsystem demo-subsys
quiet "${st[@]}" nvme-subsystem delete demo-subsys
quiet "${st[@]}" malloc-volume delete demo-vol
echo "done. The stack is still up: scripts/stack.sh opi --addr provisioning:50051 inventory get; make down stops it."
