#!/usr/bin/env bash
# otelcol.sh: the suite's OpenTelemetry collector (image opi-otelcol), built
# from its Go modules with the collector builder, offline from the Go module
# proxy or its cache, as scripts/images.sh builds the bridges.
#
#   scripts/otelcol.sh build OUT   generate the collector's sources from
#                                  deploy/observability/otelcol/manifest.yaml into
#                                  .build/otelcol/ (again only when the manifest
#                                  changed) and build a static OUT/otelcol-opi
#   scripts/otelcol.sh version     print the collector release the manifest pins
#
# The builder is go.opentelemetry.io/collector/cmd/builder at the manifest's
# own release (dist.version): every collector module is at that one release
# (the stable ones at its v1 twin), which this script checks before it builds.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
manifest=deploy/observability/otelcol/manifest.yaml
src=.build/otelcol

say() { printf 'otelcol: %s\n' "$*" >&2; }
die() { say "$*"; exit 1; }

version=$(sed -n 's/^  version:[[:space:]]*\([0-9][0-9.]*\)[[:space:]]*$/\1/p' "$manifest" | head -n 1)
[ -n "$version" ] || die "$manifest: no dist.version"

# One release: every gomod line at v$version or at one v1.x.y.
check_versions() {
  local bad stable
  bad=$(sed -n 's/^[[:space:]]*- gomod:[[:space:]]*[^ ]* \(v[^ ]*\).*$/\1/p' "$manifest" | sort -u |
    grep -vxE "v$version|v1\.[0-9]+\.[0-9]+" || true)
  [ -z "$bad" ] || die "$manifest: components at $(echo $bad) besides v$version: keep all collector modules at one release"
  stable=$(sed -n 's/^[[:space:]]*- gomod:[[:space:]]*[^ ]* \(v1\.[^ ]*\).*$/\1/p' "$manifest" | sort -u)
  [ "$(echo "$stable" | grep -c .)" -le 1 ] || die "$manifest: stable modules at several versions: $(echo $stable)"
}

case ${1:-} in
  version)
    echo "v$version"
    ;;
  build)
    out=${2:?usage: $0 build OUT}
    check_versions
    stamp="$version $(sha256sum "$manifest" | cut -c1-16)"
    if [ "$(cat "$src/.manifest" 2>/dev/null)" != "$stamp" ]; then
      say "generating the sources with the collector builder v$version into $src"
      rm -rf "$src" && mkdir -p .build
      # Outside the repository's workspace: the collector's dependency graph
      # is its own.
      GOWORK=off GOFLAGS=-mod=mod go run "go.opentelemetry.io/collector/cmd/builder@v$version" \
        --config "$manifest" --skip-compilation >"$root/.build/otelcol-builder.log" 2>&1 ||
        { tail -n 20 "$root/.build/otelcol-builder.log" >&2; die "the collector builder failed"; }
      echo "$stamp" >"$src/.manifest"
    fi
    mkdir -p "$out"
    say "go build (static) $out/otelcol-opi"
    (cd "$src" && GOWORK=off CGO_ENABLED=0 go build -trimpath -ldflags='-s -w' -o "$(cd "$root" && realpath -m "$out")/otelcol-opi" .)
    ;;
  *)
    die "usage: $0 build OUT | version"
    ;;
esac
