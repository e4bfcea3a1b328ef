# shellcheck shell=bash
# Sourced by tests/e2e/run.sh: the SZTP (RFC 8572) case. It uses run.sh's
# helpers (step, fail, expect, compose, wait_healthy, $DOCKER, passed).
#
# A test PKI made now (opi-sztp-pki: manufacturer, MASA, owner, bootstrap
# server certificate for the name sztp, two device IDevIDs), the compose
# service sztp (profile sztp: the provisioning image with --sztp-listen) on
# it, a device registered through the CLI container with onboarding
# information (a configuration and a post-configuration script), then the
# agent image as a one-off container on the compose network bootstraps from
# https://sztp:8443 with its IDevID, asking for signed data and a nonce.
# Checked: the agent exits 0 and says it got signed data from a trusted
# server; the configuration it committed is byte for byte the one the
# registry holds; the post-script ran; the registry keeps the progress
# reports (bootstrap-initiated ... bootstrap-complete) and the server's
# audit log has them. Then two refusals that apply nothing: an agent that
# does not trust the server's certificate (anchors of another PKI), and a
# device with a valid IDevID whose serial number is not registered.
#
# The server runs as 65532 (the image's user), so its half of the PKI is
# handed to that user; the agent and the CLI containers run as the user
# running the suite, with every capability dropped.

sztp_steps() {
  local dir=$PWD/.build/e2e-sztp pki_bin=.build/image/bin/opi-sztp-pki
  local agent_image opi_image net=${COMPOSE_PROJECT_NAME}_default out rc cfg got want left

  step "sztp: a test PKI, made now"
  agent_image=$(sed -n 's/^OPI_SZTP_AGENT_IMAGE=//p' .env)
  opi_image=$(sed -n 's/^OPI_IMAGE=//p' .env)
  if [ -z "$agent_image" ] || ! "$DOCKER" image inspect "$agent_image" >/dev/null 2>&1; then
    fail "no opi-sztp-agent image (${agent_image:-none in .env}): scripts/images.sh builds every image release.yaml lists"
  fi
  rm -rf "$dir"
  mkdir -p "$dir/in"
  if [ -x "$pki_bin" ]; then pki() { "$pki_bin" "$@"; }; else pki() { go run ./opi-provisioning/cmd/opi-sztp-pki "$@"; }; fi
  pki -out "$dir/pki" -server-host sztp -device SN-E2E-1 -device SN-E2E-2 || fail "opi-sztp-pki"
  # Another PKI: a server CA the device must not trust.
  pki -out "$dir/other" -server-host sztp || fail "opi-sztp-pki (a second PKI)"
  # The agent's files, for the user the agent container runs as.
  mkdir -p "$dir/agent" "$dir/dev-ok" "$dir/dev-untrusted" "$dir/dev-unregistered"
  cp "$dir/pki/"device-SN-E2E-* "$dir/pki/server-ca.pem" "$dir/pki/manufacturer.pem" "$dir/agent/"
  cp "$dir/other/server-ca.pem" "$dir/agent/other-server-ca.pem"
  # What the registry conveys: a configuration and a post-configuration
  # script that leaves a mark in the device directory.
  printf 'hostname e2e-dpu\ninterface eth0 mtu 9000\nserial SN-E2E-1\n' >"$dir/in/dpu.conf"
  # shellcheck disable=SC2016 # expanded by the device's /bin/sh
  printf '#!/bin/sh\nset -e\necho "post-script ran, config $(wc -c <"$SZTP_DIR/config") bytes" >"$SZTP_DIR/post-script.out"\n' >"$dir/in/post.sh"
  chmod -R a+rX "$dir/in"
  # The server's half belongs to the image's user; where the suite cannot
  # chown (not root, an engine of the user's own), this throwaway PKI is
  # made readable instead.
  if [ "$(id -u)" -eq 0 ]; then chown -R 65532:65532 "$dir/pki"; else chmod -R a+rX "$dir/pki"; fi
  chmod 755 "$dir"
  echo "PKI in $dir: manufacturer, MASA, owner, server (sztp), devices SN-E2E-1 SN-E2E-2"

  step "sztp: compose up: profile sztp (the bootstrap server)"
  export OPI_SZTP_PKI=$dir/pki
  export COMPOSE_PROFILES=${COMPOSE_PROFILES:+$COMPOSE_PROFILES,}sztp
  compose up -d sztp
  wait_healthy sztp

  # sztp_opi ARGS...: the CLI container with the test's inputs at /in.
  sztp_opi() { "$DOCKER" run --rm -i --network "$net" -e OPI_INSECURE=1 -u "$(id -u):$(id -g)" -v "$dir/in:/in:ro" "$opi_image" --addr sztp:50051 sztp "$@" </dev/null; }
  # sztp_agent DEVDIR SERIAL SERVER-ANCHORS: the agent image, once, on the
  # compose network, with SERIAL's IDevID; its output in $out, status in $rc.
  sztp_agent() {
    rc=0
    out=$("$DOCKER" run --rm --network "$net" -u "$(id -u):$(id -g)" --cap-drop ALL --security-opt no-new-privileges:true \
      -v "$dir/agent:/etc/opi-sztp:ro" -v "$dir/$1:/var/lib/opi-sztp" "$agent_image" \
      --bootstrap-server https://sztp:8443 --once --nonce --signed-data-preferred \
      --idevid-cert "/etc/opi-sztp/device-$2.crt" --idevid-key "/etc/opi-sztp/device-$2.key" \
      --server-trust-anchors "/etc/opi-sztp/$3" --voucher-trust-anchors /etc/opi-sztp/manufacturer.pem 2>&1) || rc=$?
  }

  step "sztp: register the device (opi sztp device create)"
  echo "\$ opi --addr sztp:50051 sztp device create e2e-dpu --serial SN-E2E-1 --reporting-level verbose --config-handling replace --config-file /in/dpu.conf --post-script /in/post.sh -o json"
  out=$(sztp_opi device create e2e-dpu --serial SN-E2E-1 --reporting-level verbose \
    --config-handling replace --config-file /in/dpu.conf --post-script /in/post.sh -o json 2>&1) || { echo "$out"; fail "opi sztp device create"; }
  head -n 12 <<<"$out"
  grep -qF 'sztpDevices/e2e-dpu' <<<"$out" || fail "opi sztp device create: no sztpDevices/e2e-dpu in its output"
  passed=$((passed + 1))

  step "sztp: the agent container bootstraps from https://sztp:8443"
  echo "\$ docker run ... opi-sztp-agent --bootstrap-server https://sztp:8443 --once --nonce --signed-data-preferred --idevid-cert device-SN-E2E-1.crt ..."
  sztp_agent dev-ok SN-E2E-1 server-ca.pem
  echo "$out" | tail -n 12
  [ "$rc" -eq 0 ] || fail "the agent exited $rc"
  got=$(tail -n 1 <<<"$out" | tr -d ' ')
  grep -qF '"trusted":true' <<<"$got" || fail "the agent's server was not trusted: $got"
  grep -qF '"signed":true' <<<"$got" || fail "the agent got unsigned data: $got"
  grep -qF '"server":"https://sztp:8443"' <<<"$got" ||
    fail "the agent's result is not signed data from the trusted server https://sztp:8443: $got"
  passed=$((passed + 1))

  step "sztp: what the agent applied is what the registry assigned"
  out=$(sztp_opi device get e2e-dpu -o json 2>&1) || { echo "$out"; fail "opi sztp device get"; }
  cfg=$(tr -d ' \n' <<<"$out" | sed -n 's/.*"configuration":"\([^"]*\)".*/\1/p')
  [ -n "$cfg" ] || fail "opi sztp device get: no configuration in the device's onboarding information"
  want=$(printf %s "$cfg" | base64 -d | sha256sum)
  [ -f "$dir/dev-ok/config" ] || fail "the agent committed no configuration (no config in its device directory)"
  got=$(sha256sum <"$dir/dev-ok/config")
  [ "$got" = "$want" ] || fail "the committed configuration differs from the registry's: $(cat "$dir/dev-ok/config")"
  cmp -s "$dir/dev-ok/config" "$dir/in/dpu.conf" || fail "the committed configuration differs from the one registered"
  echo "config (sha-256 ${got%% *}) = the registry's configuration:"
  sed 's/^/  /' "$dir/dev-ok/config"
  grep -q '^post-script ran' "$dir/dev-ok/post-script.out" 2>/dev/null || fail "the post-configuration script did not run"
  cat "$dir/dev-ok/post-script.out"
  passed=$((passed + 1))

  step "sztp: the progress reports, in the registry and the server's audit log"
  out=$(tr -d ' \n' <<<"$out")
  for want in bootstrap-initiated bootstrap-complete; do
    grep -qF "\"progress_type\":\"$want\"" <<<"$out" || grep -qF "\"progressType\":\"$want\"" <<<"$out" ||
      fail "opi sztp device get e2e-dpu: no $want progress report"
  done
  sztp_opi device list
  out=$(compose logs --no-color sztp 2>&1)
  grep 'sztp progress report' <<<"$out" | grep -F SN-E2E-1 | tail -n 8
  for want in bootstrap-initiated bootstrap-complete; do
    grep 'sztp progress report' <<<"$out" | grep -F SN-E2E-1 | grep -qF "$want" || fail "no $want from SN-E2E-1 in the server's audit log"
  done
  grep 'sztp bootstrapping data sent' <<<"$out" | grep -F SN-E2E-1 | grep -q 'voucher.\{0,3\}true' ||
    fail "no signed bootstrapping data with a voucher sent to SN-E2E-1 in the server's audit log"
  passed=$((passed + 1))

  step "sztp: refused, nothing applied: the server's certificate not under the agent's anchors"
  sztp_agent dev-untrusted SN-E2E-1 other-server-ca.pem
  echo "$out" | tail -n 4
  [ "$rc" -ne 0 ] || fail "an agent that does not trust the server bootstrapped"
  grep -qF 'bootstrap server certificate not trusted' <<<"$out" || fail "the agent's refusal does not say the server's certificate is not trusted"
  left=$(find "$dir/dev-untrusted" -mindepth 1 ! -type d)
  [ -z "$left" ] || fail "the refused agent applied something: $left"
  echo "refused (exit $rc), nothing in its device directory"
  passed=$((passed + 1))

  step "sztp: refused, nothing applied: a device whose serial number is not registered"
  sztp_agent dev-unregistered SN-E2E-2 server-ca.pem
  echo "$out" | tail -n 4
  [ "$rc" -ne 0 ] || fail "an unregistered device bootstrapped"
  grep -qF 'access-denied' <<<"$out" || fail "the agent's refusal does not carry the server's access-denied"
  left=$(find "$dir/dev-unregistered" -mindepth 1 ! -type d)
  [ -z "$left" ] || fail "the refused agent applied something: $left"
  out=$(compose logs --no-color sztp 2>&1)
  grep 'sztp request refused' <<<"$out" | grep -F SN-E2E-2 | tail -n 2
  grep 'sztp request refused' <<<"$out" | grep -qF SN-E2E-2 || fail "no refusal of SN-E2E-2 in the server's audit log"
  if grep -E 'sztp (bootstrapping data sent|progress report)' <<<"$out" | grep -qF SN-E2E-2; then
    fail "the server sent data to, or took reports from, the unregistered SN-E2E-2"
  fi
  echo "refused (exit $rc), nothing in its device directory, the refusal audited"
  passed=$((passed + 1))

  compose rm -s -f -v sztp >/dev/null 2>&1 || true
  rm -rf "$dir"
}
