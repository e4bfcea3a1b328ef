#!/usr/bin/env bash
# End-to-end suite: the compose stack as users run it, driven by the opi
# command line from a container on the compose network.
#
#   tests/e2e/run.sh        (make e2e; make check runs it)
#
# Brings up a Docker engine if none answers (scripts/docker-env.sh), builds
# the images offline (scripts/images.sh), starts the stack as its own compose
# project (opi-e2e, random host ports, so a `make up` stack keeps running
# beside it), waits for every healthcheck, then checks each service through
# the CLI, including a storage bridge whose container is replaced mid-run and
# keeps its state through its volume. With the opi-spdk image (built when a
# real SPDK is found, scripts/spdk.sh) it brings up profile spdk too and runs
# the same storage steps against storage-bridge-spdk on a real spdk_tgt, then
# NVMe/TCP I/O with SPDK's own initiator (spdk_nvme_perf, from a one-off
# container on the compose network) against the listener the bridge made;
# without it those steps skip, except under CI (CI set), where the suite
# fails. The network bridge makes an EVPN logical bridge, which its kernel
# and its FRR (zebra and bgpd in its container) must both realise, again
# after its container is replaced. The AI bridge gets an inference pool over
# the two stand-in model servers (opi ai inference-pool) and chat
# completions, one streamed, through its proxy from a container on the
# compose network; both stand-ins must have served some (their metrics).
# Profile sztp: the SZTP bootstrap server on a PKI made at test time, an
# agent container bootstrapping from it, and two refusals
# (tests/e2e/sztp.sh). On failure it prints `ps` and the logs.
# It always removes the project and its volumes, and stops the engine if it
# started it. COMPOSE="docker compose" runs it with Compose v2.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
DOCKER=${DOCKER:-/usr/bin/docker}
[ -x "$DOCKER" ] || DOCKER=docker
read -r -a compose_cmd <<<"${COMPOSE:-docker-compose}"
export COMPOSE_PROJECT_NAME=opi-e2e
# Empty host ports: Docker picks free ones.
export OPI_PROVISIONING_PORT= OPI_STORAGE_PORT= OPI_SECURITY_PORT= OPI_STORAGE_SPDK_PORT= OPI_NETWORK_PORT= OPI_SZTP_PORT= OPI_SZTP_HTTPS_PORT=
export OPI_AI_PORT='' OPI_AI_INFERENCE_PORT='' OPI_AI_OIP_PORT=''
# Profile observability runs with the stack: Prometheus scrapes the bridges,
# and the bridges send their traces to the collector.
export OPI_PROMETHEUS_PORT= OPI_OTLP_PORT= COMPOSE_PROFILES=observability OPI_OTLP_ENDPOINT=otel-collector:4317
t0=$SECONDS

step() { printf '\n\033[1m== e2e: %s\033[0m (%ss)\n' "$*" $((SECONDS - t0)); }
passed=0
fail() { printf '\033[31me2e: FAIL: %s\033[0m\n' "$*" >&2; failed=1; exit 1; }
compose() { "${compose_cmd[@]}" "$@"; }

# "When Docker can be started": it needs root (apt, namespaces) or an engine of its own.
if [ "$(id -u)" -ne 0 ] && [ -z "${DOCKER_HOST:-}" ] && [ "${OPI_DOCKER:-}" != system ]; then
  echo "e2e: skipped: starting a Docker engine needs root; set DOCKER_HOST or OPI_DOCKER=system to use yours" >&2
  exit 0
fi
started_engine=
if ! scripts/docker-env.sh status >/dev/null 2>&1 && [ -z "${DOCKER_HOST:-}" ] && [ "${OPI_DOCKER:-}" != system ]; then
  started_engine=1
fi
step "Docker engine"
scripts/docker-env.sh up
eval "$(scripts/docker-env.sh env)"

finish() {
  local rc=$?
  set +e
  if [ $rc -ne 0 ]; then
    printf '\n\033[1m== e2e: failed; the stack as it stood\033[0m\n'
    compose ps
    compose logs --no-color --tail=100
  fi
  compose down -v --remove-orphans >/dev/null 2>&1
  [ -n "$started_engine" ] && scripts/docker-env.sh down
  if [ $rc -eq 0 ]; then printf '\n\033[32me2e: PASS\033[0m in %ss\n' $((SECONDS - t0)); fi
  # The closing line CI reads: checks passed and failed.
  printf 'e2e: %d passed, %d failed\n' "$passed" "${failed:-$(( rc != 0 ))}"
  exit $rc
}
trap finish EXIT

step "images (offline build, tags from release.yaml)"
scripts/images.sh

step "opi-csi image: the node plugin starts and answers CSI Identity on its socket"
tests/e2e/csi-image.sh "$(sed -n 's/^OPI_CSI_IMAGE=//p' .env)" || fail "opi-csi image"
passed=$((passed + 1))

# The real SPDK target (profile spdk) where images.sh could build its image.
spdk_image=$(sed -n 's/^OPI_SPDK_IMAGE=//p' .env)
spdk=
if [ -n "$spdk_image" ] && scripts/spdk.sh dir >/dev/null 2>&1 && "$DOCKER" image inspect "$spdk_image" >/dev/null 2>&1; then
  spdk=1
elif [ -n "${CI:-}" ]; then
  fail "no ${spdk_image:-opi-spdk} image: scripts/images.sh found no real SPDK (SPDK_DIR, or ../shared/spdk/dist unpacked by make tools); CI runs the storage steps on spdk_tgt"
else
  echo "e2e: no ${spdk_image:-opi-spdk} image (no real SPDK: set SPDK_DIR, or put the dist in ../shared/spdk/dist and run make tools): the storage steps on a real spdk_tgt will skip" >&2
fi

step "compose up"
compose down -v --remove-orphans >/dev/null 2>&1 || true
compose up -d

wait_healthy() { scripts/stack.sh wait "$@"; }

# opi ARGS...: the CLI from its image, on the project's network.
opi() { scripts/stack.sh opi "$@"; }

# serves ADDR SERVICE: the bridge at ADDR serves that gRPC service.
serves() { opi --addr "$1" health "$2" </dev/null >/dev/null 2>&1; }

# expect WHAT NEEDLE -- ARGS...: run the CLI and require NEEDLE in its output.
# The output stays in $out for further checks.
expect() {
  local what=$1 needle=$2
  shift 3
  echo "\$ opi $*"
  if ! out=$(opi "$@" 2>&1 <"${stdin:-/dev/null}"); then echo "$out"; fail "$what: opi $* failed"; fi
  # A here-string, not echo | head: head closing the pipe early would kill
  # echo with SIGPIPE, and pipefail would end the suite without a message.
  head -n 12 <<<"$out"
  grep -qF -- "$needle" <<<"$out" || fail "$what: no '$needle' in the output of opi $*"
  passed=$((passed + 1))
}

# Observability (profile observability). Prometheus is asked through its
# HTTP API by promtool, from the Prometheus image in a one-off container on
# the compose network; the collector's traces are read from the file its
# file exporter writes (one OTLP/JSON document a line) with docker cp.
prom_image=$(sed -n 's/^OPI_PROMETHEUS_IMAGE=//p' .env)
# promql EXPR: Prometheus's answer to an instant query, as JSON.
promql() {
  "$DOCKER" run --rm --network "${COMPOSE_PROJECT_NAME}_default" --cap-drop ALL --security-opt no-new-privileges:true \
    --entrypoint /usr/bin/promtool "$prom_image" query instant -o json http://prometheus:9090 "$1" </dev/null 2>/dev/null
}
# positive EXPR: some series of EXPR has a value above zero.
positive() { promql "$1" | jq -e 'map(select((.value[1] | tonumber) > 0)) | length > 0' >/dev/null 2>&1; }
# wait_for WHAT SECONDS CMD...: run CMD every second until it succeeds.
wait_for() {
  local what=$1 n=$2 i
  shift 2
  for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 1; done
  fail "$what: not so after $n s"
}
# metric_positive WHAT EXPR: wait until Prometheus has scraped EXPR above zero.
metric_positive() {
  echo "\$ promtool query instant http://prometheus:9090 '$2'"
  wait_for "$1: Prometheus answers $2 above zero" 60 positive "$2"
  promql "$2" | jq -c '.[] | {metric: .metric, value: .value[1]}' | head -n 4
  passed=$((passed + 1))
}
# spans: every span the collector wrote, one a line: service.name, trace
# id, span id, parent span id, kind, name (tab-separated).
otelcol_id=
spans() {
  [ -n "$otelcol_id" ] || otelcol_id=$(compose ps -q otel-collector)
  "$DOCKER" cp "$otelcol_id":/var/lib/otelcol/traces.jsonl - 2>/dev/null | tar -xO 2>/dev/null |
    jq -r '.resourceSpans[]? | ([(.resource.attributes // [])[] | select(.key == "service.name") | .value.stringValue][0] // "") as $svc
      | .scopeSpans[]?.spans[]? | [$svc, .traceId, .spanId, (.parentSpanId // ""), (.kind | tostring), .name] | @tsv'
}

step "wait for health"
wait_healthy provisioning storage-bridge strongswan security-bridge network-bridge ai-standin-a ai-standin-b ai-bridge
wait_healthy prometheus otel-collector

step "provisioning: inventory"
expect "inventory" '"hostname"' -- --addr provisioning:50051 inventory get -o json
expect "health of the inventory service" SERVING -- --addr provisioning:50051 health opi.inventory.v1.InventoryService

# SZTP (profile sztp): an agent container bootstraps from the bootstrap server.
. tests/e2e/sztp.sh
sztp_steps

# storage_steps SERVICE TRADDR [CHECK]: the storage API of the bridge that
# compose service SERVICE runs (on port 50051): a volume, NVMe subsystem,
# namespace and NVMe/TCP controller listening on TRADDR:4420; the bridge's
# container replaced and its state read back from its volume; then CHECK (a
# command, run with the subsystem's NQN) while it all exists; deletes in
# dependency order.
nqn=nqn.2022-09.io.opiproject:e2e-s1
storage_steps() {
  local svc=$1 traddr=$2 check=${3:-} old args
  local st=(--addr "$svc:50051" storage)
  step "storage ($svc): volume, NVMe subsystem, namespace, controller"
  expect "malloc volume" mallocVolumes/m1 -- "${st[@]}" malloc-volume create m1 --block-count 2048 --block-size 512 -o json
  expect "subsystem" nvmeSubsystems/s1 -- "${st[@]}" nvme-subsystem create s1 --nqn "$nqn" --allow-any-host -o json
  expect "namespace" mallocVolumes/m1 -- "${st[@]}" nvme-namespace create ns1 --subsystem s1 --volume mallocVolumes/m1 -o json
  expect "controller" READY -- "${st[@]}" nvme-controller create tcp1 --subsystem s1 --trtype tcp --traddr "$traddr" --trsvcid 4420 -o json

  step "storage ($svc): the bridge's container is replaced; its state survives in its volume"
  old=$(compose ps -q "$svc")
  compose rm -s -f "$svc"
  compose up -d "$svc"
  [ "$(compose ps -q "$svc")" != "$old" ] || fail "the $svc container was not replaced"
  wait_healthy "$svc"
  expect "subsystem after restart" READY -- "${st[@]}" nvme-subsystem get s1 -o json
  expect "namespace after restart" mallocVolumes/m1 -- "${st[@]}" nvme-namespace list --subsystem s1 -o json
  expect "controller after restart" READY -- "${st[@]}" nvme-controller get tcp1 --subsystem s1 -o json

  if [ -n "$check" ]; then "$check" "$traddr"; fi

  step "storage ($svc): delete in dependency order"
  for args in "nvme-controller delete tcp1 --subsystem s1" "nvme-namespace delete ns1 --subsystem s1" "nvme-subsystem delete s1" "malloc-volume delete m1"; do
    # shellcheck disable=SC2086
    opi "${st[@]}" $args </dev/null >/dev/null || fail "opi storage $args ($svc)"
  done
  echo "deleted"
}

# nvme_tcp_io TRADDR: SPDK's NVMe/TCP initiator (spdk_nvme_perf, from the
# opi-spdk image in a one-off container on the compose network: the
# kernel has no NVMe/TCP host) reads the namespace for 3 s through the
# listener at TRADDR:4420; it must complete I/O without an I/O error. (The
# "CQ transport error -6" SPDK logs when perf disconnects at the end is its
# teardown, not an I/O error.)
nvme_tcp_io() {
  local traddr=$1 out rc=0 iops
  step "storage (storage-bridge-spdk): NVMe/TCP I/O from spdk_nvme_perf on the compose network"
  echo "\$ spdk_nvme_perf -r 'trtype:TCP adrfam:IPv4 traddr:$traddr trsvcid:4420 subnqn:$nqn' -q 4 -o 4096 -w randread -t 3"
  out=$("$DOCKER" run --rm --network "${COMPOSE_PROJECT_NAME}_default" --cap-drop ALL --security-opt no-new-privileges:true \
    "$spdk_image" spdk_nvme_perf -r "trtype:TCP adrfam:IPv4 traddr:$traddr trsvcid:4420 subnqn:$nqn" \
    -q 4 -o 4096 -w randread -t 3 -s 512 --no-huge -c 0x2 2>&1) || rc=$?
  grep -vE '^\s*$' <<<"$out" | tail -n 8
  [ "$rc" -eq 0 ] || fail "spdk_nvme_perf exited $rc"
  ! grep -qE 'completed with error|starting I/O failed|errors occurred|DIF error|DIX error' <<<"$out" || fail "spdk_nvme_perf reported I/O errors"
  iops=$(awk '$1 == "Total" { print $3 }' <<<"$out")
  awk -v n="${iops:-0}" 'BEGIN { exit !(n > 0) }' || fail "spdk_nvme_perf completed no I/O (IOPS ${iops:-none})"
  echo "NVMe/TCP I/O: $iops IOPS"
  passed=$((passed + 1))
}

storage_steps storage-bridge 127.0.0.1

# Upstream OPI's storage API (opi_api.storage.v1) on the same bridge: the
# conformance client (opi-storage-bridge/upstreamtest), built static here
# and run from a container on the stack's network.
step "storage (storage-bridge): upstream OPI's storage API, the conformance client"
upt_dir=$(mktemp -d)
chmod 755 "$upt_dir" # the image runs as a user of its own
(cd opi-storage-bridge && CGO_ENABLED=0 go test -c -o "$upt_dir/upstreamtest" ./upstreamtest/) || fail "building opi-storage-bridge/upstreamtest"
upt_rc=0
out=$("$DOCKER" run --rm --network "${COMPOSE_PROJECT_NAME}_default" -v "$upt_dir:/upt:ro" --entrypoint /upt/upstreamtest \
  -e OPI_UPSTREAM_TEST_ADDR=storage-bridge:50051 "$(sed -n 's/^OPI_IMAGE=//p' .env)" -test.run TestAgainstARunningBridge -test.v 2>&1) || upt_rc=$?
grep -E -- '^ *--- |\.go:[0-9]+:' <<<"$out" | tail -n 40 || true
if [ "$upt_rc" -ne 0 ] || ! grep -q -- '^--- PASS: TestAgainstARunningBridge' <<<"$out"; then
  tail -n 20 <<<"$out"
  fail "upstream storage conformance against storage-bridge (exit $upt_rc)"
fi
rm -rf "$upt_dir"
passed=$((passed + 1))
# trace_check: one `opi storage` call, traced by the CLI
# (--otlp-endpoint), is one trace in the collector: the CLI's root span,
# the storage bridge's server span under the CLI's call, and the bridge's
# intent-store spans and SPDK JSON-RPC client span bdev_malloc_create in
# the same trace.
# cli_call_trace: the trace id of the bridge's CreateMallocVolume server
# span whose parent is a span of opi-cli (empty until it is there).
cli_call_trace() {
  spans | awk -F'\t' '$1 == "opi-cli" { cli[$3] = 1 }
    $1 == "opi-storage-bridge" && ($5 == "2" || $5 == "SPAN_KIND_SERVER") && $6 ~ /\/CreateMallocVolume$/ { srv[$4] = $2 }
    END { for (p in srv) if (p in cli) print srv[p] }' | tail -n 1
}
# trace_complete TRACE: the trace holds the CLI's root span, the bridge's
# intent-store spans (bbolt view/update) and its bdev_malloc_create span.
trace_complete() {
  local all
  all=$(spans | awk -F'\t' -v t="$1" '$2 == t')
  awk -F'\t' '$1 == "opi-cli" && $4 == ""' <<<"$all" | grep -q . &&
    awk -F'\t' '$1 == "opi-storage-bridge" && $6 ~ /^bbolt /' <<<"$all" | grep -q . &&
    awk -F'\t' '$1 == "opi-storage-bridge" && $6 == "bdev_malloc_create"' <<<"$all" | grep -q .
}
has_cli_call_trace() { [ -n "$(cli_call_trace)" ]; }
trace_check() {
  local trace
  step "observability: the trace of an opi storage call reaches the collector"
  expect "malloc volume (traced by the CLI)" mallocVolumes/traced -- --addr storage-bridge:50051 --otlp-endpoint otel-collector:4317 storage malloc-volume create traced --block-count 2048 --block-size 512 -o json
  opi --addr storage-bridge:50051 storage malloc-volume delete traced </dev/null >/dev/null || fail "malloc-volume delete traced"
  # The bridge's batch exporter sends within 5 s, the collector's batch within 1 s.
  wait_for "the bridge's server span for CreateMallocVolume, a child of the CLI's span, in the collector" 30 has_cli_call_trace
  trace=$(cli_call_trace)
  wait_for "trace $trace: the CLI's root span, the bridge's store spans and its SPDK span bdev_malloc_create" 30 trace_complete "$trace"
  echo "trace $trace (service, trace, span, parent, kind, name):"
  spans | awk -F'\t' -v t="$trace" '$2 == t' | sort -u
  passed=$((passed + 1))
}
trace_check

if [ -n "$spdk" ]; then
  # Profile spdk, started only now and stopped after its steps: spdk_tgt's
  # reactor keeps a core busy while it runs. From here on every compose
  # command (scripts/stack.sh's and the final down too) sees the profile.
  step "compose up: profile spdk (spdk_tgt and storage-bridge-spdk)"
  export COMPOSE_PROFILES=${COMPOSE_PROFILES:+$COMPOSE_PROFILES,}spdk
  compose up -d spdk storage-bridge-spdk
  wait_healthy spdk storage-bridge-spdk
  # The listener binds the spdk container's address on the compose network,
  # where the one-off perf container reaches it.
  spdk_ip=$("$DOCKER" inspect -f '{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}' "$(compose ps -q spdk)")
  [ -n "$spdk_ip" ] || fail "no address for the spdk container"
  # While the volume exists: I/O from spdk_nvme_perf, then Prometheus has
  # scraped the volume's read counters above zero.
  spdk_io_checks() {
    nvme_tcp_io "$1"
    metric_positive "storage I/O of mallocVolumes/m1" 'opi_storage_volume_read_bytes_total{job="opi-bridges-spdk", volume="mallocVolumes/m1"}'
  }
  storage_steps storage-bridge-spdk "$spdk_ip" spdk_io_checks
  compose stop storage-bridge-spdk spdk
else
  step "storage (storage-bridge-spdk): skipped, no opi-spdk image (no real SPDK)"
fi

step "security: IPsec on strongSwan over VICI"
expect "IPsec service (charon answering over VICI)" SERVING -- --addr security-bridge:50051 health opi.security.v1.IpsecService
ipsec_files=$(mktemp -d)
printf 'e2e-pre-shared-key-0123456789' >"$ipsec_files/psk"
cat >"$ipsec_files/site.yaml" <<'YAML'
local_addrs: [0.0.0.0]
remote_addrs: [192.0.2.2]
local_auth: {method: AUTH_METHOD_PSK, pre_shared_key: preSharedKeys/site}
remote_auth: {method: AUTH_METHOD_PSK, pre_shared_key: preSharedKeys/site}
children:
  - {name: net, local_ts: [10.1.0.0/16], remote_ts: [10.2.0.0/16]}
YAML
stdin=$ipsec_files/psk expect "pre-shared key" preSharedKeys/site -- --addr security-bridge:50051 ipsec psk create site --secret-file - -o json
stdin=$ipsec_files/site.yaml expect "IKE connection" RESOURCE_STATE_READY -- --addr security-bridge:50051 ipsec connection create site --file - -o json
rm -rf "$ipsec_files"
# charon itself holds it: ask strongSwan, not the bridge.
conns=$("$DOCKER" exec "$(compose ps -q strongswan)" swanctl --list-conns --uri unix:///var/run/charon/charon.vici)
echo "$conns"
grep -q '^site:' <<<"$conns" || fail "charon does not hold the connection site"
opi --addr security-bridge:50051 ipsec connection delete site </dev/null >/dev/null || fail "ipsec connection delete"
opi --addr security-bridge:50051 ipsec psk delete site </dev/null >/dev/null || fail "ipsec psk delete"

step "security: XDP firewall policy and rules"
serves security-bridge:50051 opi.security.v1.FirewallService || fail "the security bridge does not serve opi.security.v1.FirewallService"
rules=$(mktemp)
echo '{"rules": [{"priority": 10, "protocol": "IP_PROTOCOL_TCP", "destination_ports": {"first": 2222}, "action": "FIREWALL_ACTION_DROP"}]}' >"$rules"
stdin=$rules expect "firewall policy" firewallPolicies/edge -- --addr security-bridge:50051 firewall policy create edge --interface eth0 --attach-mode generic --default-action allow --rules-file - -o json
expect "firewall policy stats" default_action -- --addr security-bridge:50051 firewall policy stats edge -o json
# The policy sees the security bridge's own traffic (the CLI's calls,
# Prometheus's scrapes) and gives it the default action: counted, scraped.
metric_positive "firewall default action" 'opi_security_firewall_default_action_packets_total{policy="firewallPolicies/edge"}'
opi --addr security-bridge:50051 firewall policy delete edge </dev/null >/dev/null || fail "firewall policy delete"
rm -f "$rules"

# until WHAT SECONDS CMD...: run CMD every half second until it succeeds.
until_ok() {
  local what=$1 n=$(($2 * 2)) i
  shift 2
  for ((i = 0; i < n; i++)); do "$@" && return 0; sleep 0.5; done
  fail "$what: not so after $((n / 2)) s"
}

# The network bridge's EVPN gateway: a logical bridge is READY only when
# both of its components have applied it: the kernel (bridge lb100 and
# VXLAN device vx100 in the container's namespace) and FRR, whose
# component reads APPLIED only once zebra has learnt VNI 100 from that
# VXLAN device. zebra is asked directly too.
net=(--addr network-bridge:50051 network)
# lb_ready: the logical bridge READY, its components kernel and frr APPLIED.
lb_ready() {
  local out
  out=$(opi "${net[@]}" logical-bridge get blue -o json </dev/null 2>&1 | tr -d ' \n') || return 1
  grep -qF '"status":{"state":"RESOURCE_STATE_READY"' <<<"$out" &&
    grep -qF '{"name":"kernel","state":"COMPONENT_STATE_APPLIED"}' <<<"$out" &&
    grep -qF '{"name":"frr","state":"COMPONENT_STATE_APPLIED"}' <<<"$out"
}
# zebra_vni [absent]: zebra in the bridge's container knows VNI 100 on vx100 (or does not).
zebra_vni() {
  local out
  out=$("$DOCKER" exec "$(compose ps -q network-bridge)" vtysh -c 'show evpn vni json' 2>&1) || return 1
  if [ "${1:-}" = absent ]; then
    if grep -q '"vni":100\b' <<<"$out"; then return 1; fi
  else
    tr -d ' \n' <<<"$out" | grep -qF '"vni":100,"type":"L2","vxlanIf":"vx100"'
  fi
}
network_checks() {
  echo "\$ opi ${net[*]} logical-bridge get blue -o json   (until READY)"
  until_ok "logical bridge blue READY with kernel and frr APPLIED" 30 lb_ready
  echo "logicalBridges/blue: RESOURCE_STATE_READY, kernel COMPONENT_STATE_APPLIED, frr COMPONENT_STATE_APPLIED"
  passed=$((passed + 1))
  until_ok "zebra knows VNI 100 on vx100" 10 zebra_vni
  echo "zebra: VNI 100 (L2) on vx100"
  passed=$((passed + 1))
  # The kernel's devices, read through the API: lb100, and vx100 in it (its
  # MASTER column).
  expect "the bridge lb100" netInterfaces/lb100 -- "${net[@]}" interface list
  grep -qE '^netInterfaces/vx100[[:space:]]+vxlan\b.*[[:space:]]lb100[[:space:]]' <<<"$out" || fail "no VXLAN device vx100 in lb100 in the interface list"
  passed=$((passed + 1))
}

step "network: an EVPN logical bridge (VLAN 100, VNI 100) on the kernel and FRR"
expect "the network API" SERVING -- --addr network-bridge:50051 health opi.network.v1.LogicalBridgeService
expect "logical bridge" logicalBridges/blue -- "${net[@]}" logical-bridge create blue --vlan-id 100 --vni 100 -o json
network_checks

step "network: the bridge's container is replaced (new namespace, FRR from its base); the intent is realised again"
old=$(compose ps -q network-bridge)
compose rm -s -f network-bridge
compose up -d network-bridge
[ "$(compose ps -q network-bridge)" != "$old" ] || fail "the network-bridge container was not replaced"
wait_healthy network-bridge
network_checks

step "network: delete"
opi "${net[@]}" logical-bridge delete blue </dev/null >/dev/null || fail "logical-bridge delete"
if opi "${net[@]}" logical-bridge get blue </dev/null >/dev/null 2>&1; then fail "logical bridge blue still there after delete"; fi
gone() { ! opi "${net[@]}" interface list </dev/null | grep -qE 'netInterfaces/(vx100|lb100)\b'; }
until_ok "vx100 and lb100 removed" 10 gone
until_ok "zebra forgets VNI 100" 20 zebra_vni absent
echo "deleted: no lb100, no vx100, no VNI 100 in zebra"
passed=$((passed + 1))

# The AI bridge: an inference pool over the two stand-in model servers, and
# chat completions through its OpenAI-compatible proxy, sent from a
# container on the compose network (the stand-in's image: its command is
# also a small HTTP client, as scratch has no curl).
ai=(--addr ai-bridge:50051 ai)
standin_image=$(sed -n 's/^OPI_MODEL_STANDIN_IMAGE=//p' .env)
# http get URL | post URL JSON: the answer's body on stdout.
http() { "$DOCKER" run --rm --network "${COMPOSE_PROJECT_NAME}_default" --cap-drop ALL --security-opt no-new-privileges:true "$standin_image" "$@"; }
# chat SYSTEM STREAM: a chat completion request for model "model".
chat() { printf '{"model":"model","stream":%s,"max_tokens":4,"messages":[{"role":"system","content":"%s"},{"role":"user","content":"hello"}]}' "$2" "$1"; }
pool_healthy() {
  local out
  out=$(opi "${ai[@]}" inference-pool stats chat -o json </dev/null 2>&1 | tr -d ' \n') || return 1
  [ "$(grep -o '"healthy":true' <<<"$out" | wc -l)" -eq 2 ]
}
# served NAME: the stand-in's count of answered requests, from its metrics.
served() { http get "http://ai-standin-$1:8000/metrics" | awk '/^vllm:request_success_total/ { n += $2 } END { print n + 0 }'; }

step "ai: an inference pool over two stand-in model servers"
expect "the AI API" SERVING -- --addr ai-bridge:50051 health opi.ai.v1.InferencePoolService
expect "inference pool" inferencePools/chat -- "${ai[@]}" inference-pool create chat --model model --endpoint ai-standin-a:8000,ai-standin-b:8000 --scrape-interval-ms 200 -o json
until_ok "both stand-ins scraped healthy" 20 pool_healthy
echo "inferencePools/chat: ai-standin-a:8000 and ai-standin-b:8000 healthy"
passed=$((passed + 1))
expect "the picker's order" PICK_DECISION_PICKED -- "${ai[@]}" inference-pool pick chat --model model --prompt "You are a helpful assistant" -o json

step "ai: chat completions through the proxy, from a container on the compose network"
echo "\$ POST http://ai-bridge:8080/v1/chat/completions (not streamed)"
out=$(http post http://ai-bridge:8080/v1/chat/completions "$(chat "You are a terse assistant for billing questions." false)") || fail "chat completion through the proxy"
echo "$out"
if ! grep -qF '"object":"chat.completion"' <<<"$out" || ! grep -qF '"content":"tok0 tok1 tok2 tok3 "' <<<"$out"; then fail "the chat completion's answer: $out"; fi
passed=$((passed + 1))
echo "\$ POST http://ai-bridge:8080/v1/chat/completions (streamed)"
out=$(http post http://ai-bridge:8080/v1/chat/completions "$(chat "You are a cheerful assistant for weather questions." true)") || fail "streamed chat completion through the proxy"
echo "$out"
if [ "$(grep -c '^data: {' <<<"$out")" -ne 4 ] || ! grep -qF '"object":"chat.completion.chunk"' <<<"$out" || [ "$(grep -v '^$' <<<"$out" | tail -n 1)" != "data: [DONE]" ]; then
  fail "the streamed answer is not four chunks and [DONE]"
fi
passed=$((passed + 1))
# More conversations, each with a system prompt of its own from the first
# byte (a shared first 64-byte block would rightly stick them all to one
# server): new prefixes spread over the servers, so both serve.
for topic in travel recipes gardening music chess astronomy; do
  http post http://ai-bridge:8080/v1/chat/completions "$(chat "$topic questions get patient and detailed answers from you, with examples." false)" >/dev/null || fail "chat about $topic"
done
a=$(served a) b=$(served b)
echo "answered: ai-standin-a $a, ai-standin-b $b (vllm:request_success_total)"
if [ "$a" -eq 0 ] || [ "$b" -eq 0 ] || [ $((a + b)) -ne 8 ]; then fail "the 8 requests were not spread over both stand-ins (a $a, b $b)"; fi
passed=$((passed + 1))
expect "fabric port preflight (the image has no iproute2)" 'ip tool is not installed' -- "${ai[@]}" fabric-port preflight --interface eth0 --mtu 1500 -o json
opi "${ai[@]}" inference-pool delete chat </dev/null >/dev/null || fail "inference-pool delete"
step "observability: Prometheus after the e2e steps"
# The resources are gone; their series stay in Prometheus's TSDB.
if [ -n "$spdk" ]; then
  metric_positive "storage I/O over the run" 'max_over_time(opi_storage_volume_read_bytes_total{job="opi-bridges-spdk"}[1h])'
else
  echo "storage I/O: skipped, no real SPDK (no storage-bridge-spdk)"
fi
metric_positive "firewall over the run" 'max_over_time(opi_security_firewall_default_action_packets_total[1h])'
metric_positive "the bridges' API calls over the run" 'sum(max_over_time(grpc_server_handled_total{job="opi-bridges"}[1h]))'

step "compose down"
