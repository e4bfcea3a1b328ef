#!/usr/bin/env bash
# docker-env.sh: a Docker engine for the compose stack and the end-to-end
# tests, on a machine that may have none and that reaches no registry.
#
#   scripts/docker-env.sh up     install docker.io, docker-compose and debootstrap (apt, once);
#                                start a private dockerd in its own network namespace;
#                                make the Debian base image (debootstrap, cached) if missing
#   scripts/docker-env.sh down   stop the private dockerd (by its pid file) and remove its namespace
#   scripts/docker-env.sh env    print the DOCKER_HOST line for the private engine (eval it)
#   scripts/docker-env.sh base-spdk
#                                make the SPDK base image (debootstrap, cached) if missing and
#                                print its name (scripts/images.sh, for the opi-spdk image)
#   scripts/docker-env.sh base-frr
#                                make the FRR base image (debootstrap, cached) if missing and
#                                print its name (scripts/images.sh, for the network bridge's image)
#   scripts/docker-env.sh base-csi
#                                make the CSI node base image (debootstrap, cached) if missing and
#                                print its name (scripts/images.sh, for the opi-csi driver's image)
#   scripts/docker-env.sh base-prometheus
#                                make the Prometheus base image (debootstrap, cached) if missing
#                                and print its name (scripts/images.sh, for opi-prometheus)
#   scripts/docker-env.sh status say whether the engine answers
#
# With DOCKER_HOST already set, or OPI_DOCKER=system, the engine you have is
# used as it is (a laptop's Docker, a CI runner's): nothing is started or
# stopped, and the Debian base is imported only when debian:bookworm-slim is
# missing and cannot be pulled.
#
# The private engine: dockerd runs under nsenter in a network namespace made
# fresh for it (containers reach nothing outside it, and the host cannot reach
# them: clients run as containers on the compose network). Its data, exec
# root, socket and pid file live under $OPI_DOCKER_DIR (default .docker/ in
# the repository, gitignored). `ip netns exec` breaks dockerd's cgroup
# detection; nsenter does not. Names outside the compose network do not
# resolve there: a lookup of one times out (the opi CLI skips the gRPC
# service-config TXT lookup that would otherwise stall every dial).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
dir=${OPI_DOCKER_DIR:-$root/.docker}
# One namespace per checkout, so two checkouts' engines never share one.
netns=${OPI_DOCKER_NETNS:-opi-docker-$(printf %s "$dir" | sha256sum | cut -c1-8)}
sock=$dir/docker.sock
pidfile=$dir/dockerd.pid
cache=${OPI_CACHE_DIR:-$root/.cache}
# Base images made with debootstrap (minbase plus packages), cached as
# tarballs in $cache whose names carry a hash of the package list, and
# imported with that hash as a label: change a list and the next `up`
# rebuilds and re-imports that base.
#
# The shared Debian base carries what Dockerfile.strongswan installs (the
# Dockerfile skips apt when the packages are present), so images built on it
# need no apt at build time.
base_image=debian:bookworm-slim
base_packages=ca-certificates,strongswan-charon,strongswan-swanctl,libstrongswan-standard-plugins,libstrongswan-extra-plugins,libcharon-extra-plugins,iproute2
# SPDK's base is a second one, so that the other images stay small: its
# packages add about 45 MB to minbase (DPDK's librte-*23 libraries with
# intel-ipsec-mb and rdma-core 20 MB, Python 24 MB), which the strongSwan
# image would otherwise carry too. The list is exactly the runtime libraries
# `ldd` names for the SPDK build's binaries (the librte-*23 packages, not
# libdpdk-dev, which pulls compilers and headers) and Python for rpc.py;
# opi-storage-bridge/Dockerfile.spdk installs the same list with apt where it
# starts from a pulled debian:bookworm-slim.
spdk_base_image=opi-spdk-base:bookworm
spdk_base_packages=ca-certificates,libaio1,libfuse3-3,libjson-c5,libkeyutils1,libncurses6,libnl-3-200,libnuma1,libssl3,libuuid1,python3,librte-bus-auxiliary23,librte-bus-pci23,librte-bus-vdev23,librte-common-mlx5-23,librte-common-qat23,librte-compressdev23,librte-crypto-ipsec-mb23,librte-crypto-mlx5-23,librte-cryptodev23,librte-dmadev23,librte-eal23,librte-ethdev23,librte-hash23,librte-kvargs23,librte-mbuf23,librte-mempool-ring23,librte-mempool23,librte-meter23,librte-net23,librte-pci23,librte-power23,librte-rcu23,librte-ring23,librte-security23,librte-telemetry23,librte-timer23,librte-vhost23
# FRR's base, a third one for the network bridge's image, which runs zebra
# and bgpd beside the bridge: FRR 8.4 with frr-reload.py (frr-pythontools,
# which brings Python) and iproute2. A base of its own for the same reason
# as SPDK's: the strongSwan image does not carry FRR and Python.
# opi-network-bridge/Dockerfile installs the same list with apt where it
# starts from a pulled debian:bookworm-slim.
frr_base_image=opi-frr-base:bookworm
frr_base_packages=ca-certificates,iproute2,frr,frr-pythontools
# The CSI driver's base, a fourth one: what its node plugin runs on the
# host's devices (nvme-cli for NVMe/TCP, losetup and mount from mount, blkid
# from util-linux, mkfs and resize2fs from e2fsprogs, mkfs.xfs and xfs_growfs
# from xfsprogs). opi-csi/Dockerfile installs the same list with apt where
# it starts from a pulled debian:bookworm-slim.
csi_base_image=opi-csi-base:bookworm
csi_base_packages=ca-certificates,nvme-cli,util-linux,mount,e2fsprogs,xfsprogs
# Prometheus's base, a fourth one for the opi-prometheus image (profile
# observability): Debian's prometheus package (2.42, with promtool) and the
# JavaScript libraries its web UI depends on. opi-kit/Dockerfile.prometheus
# installs the same list with apt where it starts from a pulled
# debian:bookworm-slim.
prometheus_base_image=opi-prometheus-base:bookworm
prometheus_base_packages=ca-certificates,prometheus
# Left out of it: moment-timezone's source data (about 230 MB of JSON, one
# file per tz release), which the web UI never reads.
prometheus_base_drop=usr/share/javascript/moment-timezone/data

# The docker.io package's own client (a newer docker first on PATH may lack
# the legacy builder's defaults or buildx).
DOCKER=/usr/bin/docker

say() { printf 'docker-env: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

external() { { [ -n "${DOCKER_HOST:-}" ] && [ "$DOCKER_HOST" != "unix://$sock" ]; } || [ "${OPI_DOCKER:-}" = system ]; }

install_packages() {
  local want=(docker.io docker-compose debootstrap iptables) missing=()
  for p in "${want[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    say "installing ${missing[*]} (apt)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
  fi
  # The package starts its own dockerd on the host network through systemd
  # where there is one; this script never uses or stops that one.
}

running() {
  [ -f "$pidfile" ] && kill -0 "$(cat "$pidfile")" 2>/dev/null
}

answers() {
  DOCKER_HOST=unix://$sock "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

start_engine() {
  if running && answers; then
    say "private dockerd already running (pid $(cat "$pidfile"), DOCKER_HOST=unix://$sock)"
    return
  fi
  running && die "dockerd pid $(cat "$pidfile") runs but does not answer on $sock; run '$0 down' first"
  mkdir -p "$dir/data" "$dir/exec"
  # A fresh namespace each time: a reused one can keep a FORWARD DROP rule.
  ip netns delete "$netns" 2>/dev/null || true
  ip netns add "$netns"
  ip -n "$netns" link set lo up
  say "starting dockerd in network namespace $netns (log: $dir/dockerd.log)"
  (
    # dockerd outlives this script: it must not keep the descriptors the
    # caller passed down, such as the one `flock /tmp/opi-docker.lock make
    # images` holds the Docker lock on (the lock would stay held, by
    # dockerd, until the engine stops).
    for fd in /proc/"$BASHPID"/fd/*; do
      fd=${fd##*/}
      if [ "$fd" -gt 2 ]; then eval "exec $fd>&-"; fi
    done
    exec nsenter --net=/run/netns/"$netns" /usr/sbin/dockerd \
      --data-root "$dir/data" --exec-root "$dir/exec" \
      -H "unix://$sock" --pidfile "$pidfile" \
      --bip 172.31.255.1/24 --default-address-pool base=172.30.0.0/16,size=24
  ) >"$dir/dockerd.log" 2>&1 &
  local pid=$!
  for _ in $(seq 1 150); do
    answers && { say "dockerd $("$DOCKER" -H "unix://$sock" version --format '{{.Server.Version}}') ready (pid $pid)"; return; }
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$dir/dockerd.log" >&2; die "dockerd exited"; }
    sleep 0.2
  done
  tail -n 30 "$dir/dockerd.log" >&2
  die "dockerd did not answer within 30 s"
}

stop_engine() {
  if running; then
    local pid; pid=$(cat "$pidfile")
    say "stopping dockerd (pid $pid)"
    kill -TERM "$pid"
    for _ in $(seq 1 150); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    if kill -0 "$pid" 2>/dev/null; then say "dockerd still running after 30 s; sending SIGKILL"; kill -KILL "$pid"; fi
  else
    say "private dockerd not running"
  fi
  rm -f "$pidfile"
  # containerd-shims outlive a dockerd killed hard; they are in our exec root.
  ip netns delete "$netns" 2>/dev/null || true
}

# make_base IMAGE PACKAGES builds a Debian base with debootstrap once (about
# a minute), caches it as a tarball and imports it. It runs only when the
# engine lacks the image (or holds one made from another package list):
# where a registry is reachable, `docker pull debian:bookworm-slim`
# beforehand makes the shared base unnecessary (then the Dockerfiles install
# their packages with apt as usual).
#
# A third argument names paths (relative to the root, space-separated) to
# leave out of the image; they count in the hash too.
make_base() {
  local image=$1 packages=$2 drop=${3:-} hash tar have p
  hash=$(printf %s "$packages${drop:+ drop $drop}" | sha256sum | cut -c1-12)
  tar=$cache/debian-bookworm-base-$hash.tar
  if have=$("$DOCKER" image inspect -f '{{index .Config.Labels "opi.base.packages"}}' "$image" 2>/dev/null); then
    # An image without the label was pulled or made elsewhere: use it as it is.
    case $have in "$hash" | "" | "<no value>") return ;; esac
    say "$image was made from another package list; rebuilding it"
  fi
  if [ ! -s "$tar" ]; then
    local tmp; tmp=$(mktemp -d "$cache/debootstrap.XXXXXX" 2>/dev/null || { mkdir -p "$cache"; mktemp -d "$cache/debootstrap.XXXXXX"; })
    say "debootstrap bookworm (minbase + $packages) into $tmp; cached as $tar"
    debootstrap --variant=minbase --include="$packages" bookworm "$tmp" http://deb.debian.org/debian >"$cache/debootstrap.log" 2>&1 ||
      { tail -n 20 "$cache/debootstrap.log" >&2; rm -rf "$tmp"; die "debootstrap failed"; }
    # Keep images small: no package cache, no lists, no docs.
    rm -rf "$tmp"/var/cache/apt/archives/*.deb "$tmp"/var/lib/apt/lists/* "$tmp"/usr/share/doc/* "$tmp"/usr/share/man/* "$tmp"/usr/share/locale/*
    for p in $drop; do rm -rf "${tmp:?}/$p"; done
    tar -C "$tmp" --numeric-owner -cf "$tar.tmp" .
    mv "$tar.tmp" "$tar"
    rm -rf "$tmp"
  fi
  say "importing $tar as $image"
  "$DOCKER" import -c 'CMD ["bash"]' -c "LABEL opi.base.packages=$hash" "$tar" "$image" >/dev/null
}

use_engine() {
  if external; then
    "$DOCKER" version --format 'docker-env: engine {{.Server.Version}}' >/dev/null 2>&1 || die "the Docker engine does not answer"
  else
    answers || die "the private dockerd does not answer; run '$0 up' first"
    export DOCKER_HOST=unix://$sock
  fi
}

cmd=${1:-up}
case $cmd in
  up)
    install_packages
    if external; then
      say "using the engine at ${DOCKER_HOST:-the default socket}"
      "$DOCKER" version --format 'docker-env: engine {{.Server.Version}}' >&2 || die "the Docker engine does not answer"
    else
      start_engine
      export DOCKER_HOST=unix://$sock
    fi
    make_base "$base_image" "$base_packages"
    ;;
  base-spdk)
    use_engine
    make_base "$spdk_base_image" "$spdk_base_packages"
    echo "$spdk_base_image"
    ;;
  base-frr)
    use_engine
    make_base "$frr_base_image" "$frr_base_packages"
    echo "$frr_base_image"
    ;;
  base-csi)
    use_engine
    make_base "$csi_base_image" "$csi_base_packages"
    echo "$csi_base_image"
    ;;
  base-prometheus)
    use_engine
    make_base "$prometheus_base_image" "$prometheus_base_packages" "$prometheus_base_drop"
    echo "$prometheus_base_image"
    ;;
  down)
    if external; then say "external engine: nothing to stop"; else stop_engine; fi
    ;;
  env)
    if external; then echo "export DOCKER_HOST=${DOCKER_HOST:-}"; else echo "export DOCKER_HOST=unix://$sock"; fi
    ;;
  status)
    if external; then "$DOCKER" version --format 'engine {{.Server.Version}}'
    elif running && answers; then echo "private dockerd running: DOCKER_HOST=unix://$sock (pid $(cat "$pidfile"), netns $netns)"
    else echo "private dockerd not running"; exit 1; fi
    ;;
  *)
    die "usage: $0 up|down|env|status|base-spdk|base-frr|base-csi|base-prometheus"
    ;;
esac
