#!/bin/bash
# The network bridge's container: zebra and bgpd (FRR 8.4) and the bridge,
# one network namespace. zebra reads the VXLAN devices the bridge makes;
# the bridge drives FRR through vtysh and frr-reload.py.
#
#   1. the BGP AS number and the VTEP address (OPI_BGP_ASN, OPI_VTEP_IP: see
#      opi-network-bridge/README.md, "Container image");
#   2. zebra, then bgpd, in the foreground, logging to stdout, with their pid
#      files, zserv socket and vty sockets in FRR's run directory
#      (/run/frr: `vtysh` in the container reaches them without options);
#   3. the base configuration (OPI_FRR_BASE_CONFIG) given to them through
#      vtysh, so BGP runs before the bridge's first apply, and a bad base
#      stops the container at once;
#   4. the bridge, with the arguments of the container's command.
#
# SIGTERM (docker stop) stops the bridge, then bgpd, then zebra, each with
# SIGTERM: none of them removes kernel devices or FRR configuration on its
# way out (zebra runs with -r, keeping the routes it installed). If any of
# the three exits on its own, the others are stopped and the container
# exits non-zero, for the restart policy to start it again (FRR then comes
# back on the base and the bridge applies its intent again).
#
# OPI_FRR=false runs the bridge alone (local logical bridges, no EVPN).
set -euo pipefail

say() { printf 'entrypoint: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

bridge=/usr/local/bin/opi-network-bridge
case ${OPI_FRR:-true} in
  0 | f | F | false | FALSE | False) say "OPI_FRR=$OPI_FRR: the bridge without FRR"; exec "$bridge" "$@" ;;
esac

base=${OPI_FRR_BASE_CONFIG:-/etc/opi/frr-base.conf}
vty=${OPI_FRR_VTY_DIR:-/run/frr}
conf=${OPI_FRR_CONF_DIR:-/run/opi/frr}
export OPI_FRR_CONF_DIR=$conf
[ -r "$base" ] || die "no base FRR configuration at $base (OPI_FRR_BASE_CONFIG)"

# 1. The AS number is the base's: one number, one place.
base_asn=$(awk '$1 == "router" && $2 == "bgp" && NF == 3 { print $3; exit }' "$base")
if [ -z "${OPI_BGP_ASN:-}" ]; then
  [ -n "$base_asn" ] || die "$base has no 'router bgp ASN' line and OPI_BGP_ASN is unset"
  export OPI_BGP_ASN=$base_asn
elif [ -n "$base_asn" ] && [ "$base_asn" != "$OPI_BGP_ASN" ]; then
  die "OPI_BGP_ASN=$OPI_BGP_ASN but $base says 'router bgp $base_asn': they must agree"
fi

# The VTEP address: unset or "auto" is this container's IPv4 address on the
# interface of its default route (on a compose network, its address there).
if [ -z "${OPI_VTEP_IP:-}" ] || [ "$OPI_VTEP_IP" = auto ]; then
  unset OPI_VTEP_IP
  dev=$(ip -4 route show default | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
  addr=
  [ -n "$dev" ] && addr=$(ip -4 -o addr show dev "$dev" scope global | awk '{ split($4, a, "/"); print a[1]; exit }')
  if [ -n "$addr" ]; then
    export OPI_VTEP_IP=$addr
    say "VTEP address $addr (of $dev, the default route's interface; set OPI_VTEP_IP to choose another)"
  else
    say "no default route with an IPv4 address: no default VTEP address (set OPI_VTEP_IP, or give each logical bridge its vtep_ip)"
  fi
fi

# 2. zebra and bgpd. Their directory belongs to frr, the user they drop to.
mkdir -p "$vty" "$conf"
chmod 0755 "$vty"
chown frr:frr "$vty"
rm -f "$vty"/zebra.pid "$vty"/bgpd.pid
# vtysh reads vtysh.conf from the configuration directory; integrated: the
# `write` frr-reload.py ends with writes $conf/frr.conf, one file.
[ -f "$conf/vtysh.conf" ] || echo 'service integrated-vtysh-config' >"$conf/vtysh.conf"
: >"$conf/empty.conf"
chmod 0644 "$conf/empty.conf"

pids=() names=()
start() {
  local name=$1; shift
  "$@" &
  pids+=($!) names+=("$name")
  say "$name started (pid $!)"
}
# stop INDEX...: SIGTERM to each, in order, each given 8 s before SIGKILL.
stop() {
  local i pid
  for i in "$@"; do
    pid=${pids[$i]:-}
    if [ -z "$pid" ] || ! kill -0 "$pid" 2>/dev/null; then continue; fi
    say "stopping ${names[$i]} (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 80); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -0 "$pid" 2>/dev/null && { say "${names[$i]} still running after 8 s: SIGKILL"; kill -KILL "$pid" 2>/dev/null || true; }
    wait "$pid" 2>/dev/null || true
  done
}
# Bridge first (index 2 once started), then bgpd, then zebra.
shutdown() { trap - TERM INT; stop 2 1 0; say "stopped"; exit "$1"; }
trap 'say "SIGTERM: stopping"; shutdown 0' TERM INT

# -P 0: no vty over TCP, only the unix sockets in $vty. -f: an empty startup
# file (the base comes through vtysh below, as `vtysh -b` would give it).
common=(-u frr -g frr -P 0 -z "$vty/zserv.api" --vty_socket "$vty" -f "$conf/empty.conf" --log stdout)
start zebra /usr/lib/frr/zebra -r -i "$vty/zebra.pid" "${common[@]}"
for _ in $(seq 1 100); do [ -S "$vty/zserv.api" ] && break; kill -0 "${pids[0]}" 2>/dev/null || die "zebra exited"; sleep 0.1; done
[ -S "$vty/zserv.api" ] || die "zebra made no zserv socket in 10 s"
start bgpd /usr/lib/frr/bgpd -i "$vty/bgpd.pid" "${common[@]}"

ready=
for _ in $(seq 1 150); do
  out=$(vtysh --vty_socket "$vty" --config_dir "$conf" -c 'show daemons' 2>/dev/null || true)
  read -r -a running <<<"$out"
  words=" ${running[*]} "
  if [[ $words == *" zebra "* && $words == *" bgpd "* ]]; then ready=1; break; fi
  for i in 0 1; do kill -0 "${pids[$i]}" 2>/dev/null || { say "${names[$i]} exited"; shutdown 1; }; done
  sleep 0.1
done
[ -n "$ready" ] || { say "vtysh does not reach zebra and bgpd after 15 s"; shutdown 1; }

# 3. The base, checked by FRR: a line it refuses is a bad image or volume.
out=$(vtysh --vty_socket "$vty" --config_dir "$conf" -f "$base" 2>&1) || { echo "$out" >&2; say "FRR refused $base"; shutdown 1; }
if grep -qE '^%|Error description' <<<"$out"; then echo "$out" >&2; say "FRR refused lines of $base"; shutdown 1; fi
say "FRR: zebra and bgpd up on the base configuration $base (AS $OPI_BGP_ASN)"

# 4. The bridge.
start opi-network-bridge "$bridge" "$@"

# Whichever exits first ends the container.
set +e
wait -n "${pids[@]}"
rc=$?
set -e
for i in "${!pids[@]}"; do
  kill -0 "${pids[$i]}" 2>/dev/null || say "${names[$i]} exited (status $rc); stopping the rest"
done
shutdown $((rc == 0 ? 1 : rc))
