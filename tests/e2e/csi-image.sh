#!/usr/bin/env bash
# csi-image.sh IMAGE: the opi-csi driver's image works as a node plugin:
# started with the NVMe/TCP attacher, it finds the programs it runs (it
# refuses to start without them), listens on its unix socket and answers
# the CSI Identity service there (GetPluginInfo and Probe, through the
# image's own `opi-csi-driver probe`, its HEALTHCHECK); and those
# programs run in the image (nvme-cli, mkfs and resize tools, losetup,
# blkid). Cheap: one container, no network, a few seconds. tests/e2e/run.sh
# runs it after building the images; it can run alone on any engine that
# has the image.
set -euo pipefail
DOCKER=${DOCKER:-/usr/bin/docker}
[ -x "$DOCKER" ] || DOCKER=docker
image=${1:?usage: $0 IMAGE}
name=opi-e2e-csi-$$
fail() { printf 'csi-image: FAIL: %s\n' "$*" >&2; "$DOCKER" logs "$name" 2>&1 | tail -n 20 >&2 || true; exit 1; }
"$DOCKER" run -d --name "$name" --network none "$image" \
  --mode node --node-id e2e --attacher nvme-tcp --endpoint unix:///csi/csi.sock >/dev/null
trap '"$DOCKER" rm -f "$name" >/dev/null 2>&1 || true' EXIT
out=
for _ in $(seq 1 50); do
  if out=$("$DOCKER" exec "$name" opi-csi-driver probe --endpoint unix:///csi/csi.sock 2>&1); then break; fi
  [ "$("$DOCKER" inspect -f '{{.State.Running}}' "$name")" = true ] || fail "the node plugin exited: $out"
  sleep 0.2
done
case $out in
  "csi.opi.dev "*" ready") echo "csi-image: $image answers on /csi/csi.sock: $out" ;;
  *) fail "no answer on /csi/csi.sock: $out" ;;
esac
"$DOCKER" run --rm --network none --entrypoint /bin/sh "$image" -c \
  'nvme version && mkfs.ext4 -V 2>&1 | head -n 1 && mkfs.xfs -V && xfs_growfs -V && losetup --version && blkid -V && mount --version' ||
  fail "a program the node plugin runs does not run in the image"
