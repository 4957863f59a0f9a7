"""roleprobe's interpreter is sealed off from the application's, in every image.

The application's PYTHONPATH holds incompatible versions of roleprobe's
dependencies, PYTHONHOME points at the application's Python, the working
directory and the user site-packages shadow stdlib and dependency modules:
none of it may change what roleprobe imports, and all of it reaches the
command unchanged.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fakes import TASK_ROLE_ARN, EcsAgent

from .conftest import Box

APP = "/app"
# Each one fails loudly if roleprobe ever imports it.
SHADOWS = ("tenacity", "httpx", "structlog", "botocore", "anyio", "json", "calendar")
VARIABLES = {
    "PYTHONPATH": f"{APP}/lib",
    "PYTHONHOME": f"{APP}/home",
    "PYTHONSTARTUP": f"{APP}/lib/startup.py",
    "PYTHONUSERBASE": f"{APP}/user",
    "PYTHONSAFEPATH": "",
    "PYTHONINSPECT": "1",
    "PYTHONVERBOSE": "1",
    "PYTHONWARNINGS": "error",
}


def _application(root: Path) -> None:
    """Write the application's modules, which roleprobe must never import."""
    user = root / "user/lib/python3.11/site-packages"
    for folder in (root / "lib", root / "workdir", user):
        for name in SHADOWS:
            package = folder / name
            package.mkdir(parents=True)
            text = f"raise RuntimeError('the application\\'s {name} was imported')\n"
            (package / "__init__.py").write_text(text)
    (root / "lib/startup.py").write_text("raise SystemExit(99)\n")
    (root / "home").mkdir()
    for path in [root, *root.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)


@pytest.mark.parametrize("variables", ["PYTHONPATH", "all"])
def test_application_python_settings_change_nothing(
    image: Box, ecs: EcsAgent, tmp_path: Path, variables: str
) -> None:
    """roleprobe runs as usual; the command sees every variable unchanged."""
    root = tmp_path / "app"
    _application(root)
    chosen = (
        VARIABLES if variables == "all" else {"PYTHONPATH": VARIABLES["PYTHONPATH"]}
    )
    env = {
        "AWS_CONTAINER_CREDENTIALS_FULL_URI": ecs.credentials_url,
        "EXPECTED_ROLE_ARN": TASK_ROLE_ARN,
        "HOME": f"{APP}/user",
        **chosen,
    }
    opts = ["-v", f"{root}:{APP}:ro", "--workdir", f"{APP}/workdir"]
    show = 'for v in "$@"; do eval "printf \'%s=%s\\n\' $v \\"\\$$v\\""; done'
    run = image.run("sh", "-c", show, "sh", *chosen, env=env, opts=opts)
    assert run.status == 0, run.stderr
    assert run.stdout.decode() == "".join(f"{k}={v}\n" for k, v in chosen.items())
    assert run.event("credentials_resolved")["role_arn"] == TASK_ROLE_ARN
