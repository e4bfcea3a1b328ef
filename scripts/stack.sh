#!/usr/bin/env bash
# stack.sh: the compose stack of docker-compose.yml on this machine.
#
#   scripts/stack.sh up           engine (scripts/docker-env.sh), images (scripts/images.sh),
#                                 docker-compose up -d, wait until every service is healthy
#                                 (COMPOSE_PROFILES=spdk: the real spdk_tgt and storage-bridge-spdk too)
#                                 (COMPOSE_PROFILES=observability: Prometheus and the collector too)
#   scripts/stack.sh down         docker-compose down (volumes kept), then stop the private engine
#   scripts/stack.sh wait SVC...  wait until those services report healthy (45 s each at most)
#   scripts/stack.sh opi ARGS...  the opi CLI from its image, on the stack's network
#
# COMPOSE="docker compose" uses Compose v2; COMPOSE_PROJECT_NAME picks the
# project (default opi, from .env).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
DOCKER=${DOCKER:-/usr/bin/docker}
[ -x "$DOCKER" ] || DOCKER=docker
read -r -a compose_cmd <<<"${COMPOSE:-docker-compose}"
compose() { "${compose_cmd[@]}" "$@"; }
# The services `up` starts and waits for (the default profile).
services=(provisioning spdk-sim storage-bridge strongswan security-bridge network-bridge ai-standin-a ai-standin-b ai-bridge)
# Profile spdk (COMPOSE_PROFILES=spdk): the real SPDK target and its bridge.
case ,${COMPOSE_PROFILES:-}, in *,spdk,*) services+=(spdk storage-bridge-spdk) ;; esac
# Profile observability: Prometheus and the OpenTelemetry collector.
case ,${COMPOSE_PROFILES:-}, in *,observability,*) services+=(prometheus otel-collector) ;; esac

say() { printf 'stack: %s\n' "$*" >&2; }

engine() {
  scripts/docker-env.sh up
  eval "$(scripts/docker-env.sh env)"
  export DOCKER_HOST
}

wait_healthy() {
  local svc id state i
  for svc in "$@"; do
    for i in $(seq 1 90); do
      id=$(compose ps -q "$svc" 2>/dev/null || true)
      state=missing
      [ -n "$id" ] && state=$("$DOCKER" inspect -f '{{if .State.Health}}{{.State.Health.Status}}{{else}}{{.State.Status}}{{end}}' "$id" 2>/dev/null || echo missing)
      case $state in healthy | running) break ;; esac
      if [ "$i" -eq 90 ]; then say "$svc is $state after 45 s"; return 1; fi
      sleep 0.5
    done
    say "$svc: $state"
  done
}

project() {
  if [ -n "${COMPOSE_PROJECT_NAME:-}" ]; then echo "$COMPOSE_PROJECT_NAME"; else sed -n 's/^COMPOSE_PROJECT_NAME=//p' .env; fi
}

case ${1:-} in
  up)
    engine
    scripts/images.sh
    compose up -d --remove-orphans
    wait_healthy "${services[@]}"
    say "up: gRPC on 127.0.0.1:50051 (provisioning), :50052 (storage), :50053 (security), :50054 (network), :50055 (ai; inference proxy on :8080, OIP on :8081)"
    say "    in the engine's network namespace;"
    say "    the CLI on the compose network: scripts/stack.sh opi --addr provisioning:50051 inventory get"
    ;;
  down)
    if scripts/docker-env.sh status >/dev/null 2>&1 || [ -n "${DOCKER_HOST:-}" ]; then
      eval "$(scripts/docker-env.sh env)"
      export DOCKER_HOST
      [ -f .env ] && compose down --remove-orphans
    fi
    scripts/docker-env.sh down
    ;;
  wait)
    shift
    eval "$(scripts/docker-env.sh env)"
    export DOCKER_HOST
    wait_healthy "$@"
    ;;
  opi)
    shift
    eval "$(scripts/docker-env.sh env)"
    export DOCKER_HOST
    image=$(sed -n 's/^OPI_IMAGE=//p' .env)
    tty=(); if [ -t 0 ] && [ -t 1 ]; then tty=(-t); fi  # aligned tables on a terminal
    exec "$DOCKER" run --rm -i "${tty[@]}" --network "$(project)_default" -e OPI_INSECURE=1 "$image" "$@"
    ;;
  *)
    echo "usage: $0 up|down|wait SERVICE...|opi ARGS..." >&2
    exit 2
    ;;
esac
