"""Real containers with podman: the images from docker/, as users run them.

Collected only when ROLEPROBE_CONTAINERS=1 (`make docker-test`, which first
runs docker/setup.sh: podman, the base images, the wheels in docker/.wheels).

Fixtures, as in dumb-init's tests: `image` is each image built from docker/
(built once per session, offline), `init` each way a container can start
roleprobe (as PID 1; under tini in the ENTRYPOINT; under an init the runtime
injects, as ECS's initProcessEnabled does with Docker's --init, which is
tini).  `box` is the pair; its `run` starts a container and applies the
suite's output checks (`Runner.checked`: no secret, one JSON object per
line, no traceback).  Fakes are the suite's, on the host's 127.0.0.1; a
container reaches them with --network=host, and gets --network=none
otherwise.  Every container has instance metadata disabled and STS on a
loopback fake or a closed loopback port.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from conftest import NOWHERE, ROOT, Run, Runner

ENABLED = os.environ.get("ROLEPROBE_CONTAINERS") == "1"
collect_ignore_glob = [] if ENABLED else ["test_*.py"]

ENTRYPOINT = "/opt/roleprobe/bin/roleprobe"
TINI = "/usr/bin/tini-static"
BUILD_TIMEOUT = 1800
RUN_TIMEOUT = 120


@dataclass(frozen=True)
class Image:
    """One image the tests build from a recipe in docker/."""

    name: str
    dockerfile: str
    build_args: Mapping[str, str]
    # Built FROM another test image: the standalone folder on another base.
    copy_from: str | None = None
    has_python: bool = False

    @property
    def tag(self) -> str:
        """The image's name in podman."""
        return f"localhost/roleprobe-test:{self.name}"


IMAGES = {
    "python": Image(
        "python",
        "docker/Dockerfile",
        {"BASE_IMAGE": "localhost/debian-python:bookworm"},
        has_python=True,
    ),
    "standalone": Image(
        "standalone",
        "docker/Dockerfile.standalone",
        {
            "BASE_IMAGE": "localhost/python-build:bullseye",
            "RUNTIME_IMAGE": "localhost/debian-minbase:bookworm",
        },
    ),
    # The same standalone folder on the oldest release the mirror serves.
    "standalone-bullseye": Image(
        "standalone-bullseye",
        "",
        {"RUNTIME_IMAGE": "localhost/debian-minbase:bullseye"},
        copy_from="standalone",
    ),
}
INITS = ("none", "tini", "ecs-init")

_CONF = Path(tempfile.mkdtemp(prefix="roleprobe-containers-")) / "containers.conf"
# crun fails on these machines; runc with cgroupfs and no default ulimits works.
_CONF.write_text(
    '[containers]\ndefault_ulimits = []\n[engine]\ncgroup_manager = "cgroupfs"\n'
)


def podman(
    *args: str, timeout: float = RUN_TIMEOUT, stdin: bytes | None = None
) -> subprocess.CompletedProcess[bytes]:
    """Run podman (runc, the configuration above); never raise on its status."""
    env = {**os.environ, "CONTAINERS_CONF": str(_CONF)}
    return subprocess.run(
        ["podman", "--runtime", "runc", *args],
        input=stdin,
        capture_output=True,
        timeout=timeout,
        env=env,
        check=False,
    )


def _build(image: Image, built: Mapping[str, str]) -> None:
    """Build *image* offline, replacing the previous one of that tag."""
    args = [f"--build-arg={k}={v}" for k, v in image.build_args.items()]
    common = ["build", "--network=none", "--pull=never", "--layers=false"]
    common += ["--format", "docker", "-t", image.tag, *args]
    if image.copy_from is None:
        ignore = f"{image.dockerfile}.dockerignore"
        done = podman(
            *common,
            "--ignorefile",
            ignore,
            "-f",
            image.dockerfile,
            str(ROOT),
            timeout=BUILD_TIMEOUT,
        )
    else:
        recipe = (
            "ARG RUNTIME_IMAGE\nFROM ${RUNTIME_IMAGE}\n"
            f"COPY --from={built[image.copy_from]} /opt/roleprobe /opt/roleprobe\n"
            'USER 65534:65534\nENTRYPOINT ["/opt/roleprobe/bin/roleprobe", "--"]\n'
        )
        done = podman(*common, "-f", "-", timeout=BUILD_TIMEOUT, stdin=recipe.encode())
    log = (done.stdout + done.stderr).decode(errors="replace")
    assert done.returncode == 0, f"podman build of {image.name} failed:\n{log[-4000:]}"
    print(f"\nbuilt {image.tag}:\n" + "\n".join(log.splitlines()[-3:]))


_BUILT: list[str] = []


class _Built(dict[str, str]):
    """Image names to tags, each image built on first use."""

    def __missing__(self, name: str) -> str:
        image = IMAGES[name]
        if image.copy_from is not None:
            self[image.copy_from]
        _build(image, self)
        self[name] = image.tag
        _BUILT.append(name)
        return image.tag


@pytest.fixture(scope="session")
def images() -> dict[str, str]:
    """Image names to tags; each is built once, offline, on first use."""
    assert podman("version").returncode == 0, "podman: run docker/setup.sh first"
    return _Built()


@dataclass
class Box:
    """One image under one init: starts containers and checks their output."""

    image: Image
    tag: str
    init: str
    runner: Runner
    sts_url: str = NOWHERE
    names: list[str] = field(default_factory=list)

    def options(self, env: Mapping[str, str], network: str) -> list[str]:
        """Return `podman run` options: network, init, the safe environment."""
        safe = {
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_ENDPOINT_URL_STS": self.sts_url,
            "AWS_REGION": "us-east-1",
            **env,
        }
        assert safe["AWS_EC2_METADATA_DISABLED"] == "true"
        opts = ["--rm", f"--network={network}", "--no-healthcheck"]
        if self.init == "tini":
            opts += ["-v", f"{TINI}:/tini:ro", "--entrypoint"]
            opts += [f'["/tini", "--", "{ENTRYPOINT}", "--"]']
        elif self.init == "ecs-init":
            opts += ["--init", "--init-path", TINI]
        for name, value in safe.items():
            opts += ["-e", f"{name}={value}"]
        return opts

    def run(
        self,
        *command: str,
        env: Mapping[str, str] = {},
        opts: Sequence[str] = (),
        network: str = "host",
        json_lines: bool = True,
    ) -> Run:
        """Run the image's ENTRYPOINT with *command*; return the checked run."""
        done = podman("run", *self.options(env, network), *opts, self.tag, *command)
        return self.runner.checked(
            done.returncode, done.stdout, done.stderr, json_lines
        )

    def check(self, env: Mapping[str, str] = {}, network: str = "host") -> Run:
        """Run ``roleprobe --check`` as `docker exec` and health checks do."""
        return self.run(
            "--check", env=env, network=network, opts=["--entrypoint", ENTRYPOINT]
        )


def _box(images: dict[str, str], name: str, init: str, run: Runner) -> Box:
    return Box(IMAGES[name], images[name], init, run)


@pytest.fixture(params=["python", "standalone"])
def image(request: pytest.FixtureRequest, images: dict[str, str], run: Runner) -> Box:
    """Each image, roleprobe as PID 1."""
    return _box(images, request.param, "none", run)


@pytest.fixture(params=["python", "standalone", "standalone-bullseye"])
def any_base(
    request: pytest.FixtureRequest, images: dict[str, str], run: Runner
) -> Box:
    """Each image, the standalone one also on the oldest Debian release."""
    return _box(images, request.param, "none", run)


@pytest.fixture(params=INITS)
def init(request: pytest.FixtureRequest) -> str:
    """How the container starts roleprobe."""
    return str(request.param)


@pytest.fixture
def box(image: Box, init: str) -> Box:
    """Each image under each init."""
    image.init = init
    return image


def _sizes(tag: str, base: str) -> str:
    """Return what the image adds to its base and what /opt/roleprobe holds."""
    image = podman("image", "inspect", "--format", "{{.Size}}", tag).stdout
    under = podman("image", "inspect", "--format", "{{.Size}}", base).stdout
    du = podman(
        "run",
        "--rm",
        "--network=none",
        "--entrypoint",
        "/usr/bin/du",
        tag,
        "-s",
        "--block-size=1",
        "/opt/roleprobe",
    ).stdout.split()
    layers = int(image or 0) - int(under or 0)
    opt = int(du[0]) if du else 0
    return (
        f"{tag}: layers over {base} {layers / 2**20:.1f} MiB, "
        f"/opt/roleprobe {opt / 2**20:.1f} MiB"
    )


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Print the sizes of the images this session built."""
    if not ENABLED or not _BUILT:
        return
    terminalreporter.section("image sizes")
    for name in _BUILT:
        image = IMAGES[name]
        base = image.build_args.get(
            "RUNTIME_IMAGE", image.build_args.get("BASE_IMAGE", "")
        )
        terminalreporter.write_line(_sizes(image.tag, base))
