"""The deployment files (no container daemon runs here): they name only settings that exist, and
the image installs exactly as `make install` does."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

from agentgraph.cli import exposure_warning
from agentgraph.settings import Settings

REPO = Path(__file__).resolve().parents[1]
NAME = re.compile(r"\b(?:AGENTGRAPH_[A-Z0-9_]+|DATABASE_URL)\b")


def _known() -> set[str]:
    names = set()
    for name, field in Settings.model_fields.items():
        names.add(f"AGENTGRAPH_{name.upper()}")
        alias = field.validation_alias
        names.update(getattr(alias, "choices", []) or [])
    return names


def _production_section() -> str:
    readme = (REPO / "README.md").read_text()
    start = readme.index("## Running in production")
    return readme[start : readme.index("\n## ", start + 1)]


def test_the_deployment_files_name_only_settings_that_exist() -> None:
    texts = {
        "Dockerfile": (REPO / "Dockerfile").read_text(),
        "compose.yaml": (REPO / "compose.yaml").read_text(),
        "README (Running in production)": _production_section(),
    }
    known = _known()
    unknown = {where: sorted(set(NAME.findall(text)) - known) for where, text in texts.items()}
    assert unknown == {where: [] for where in texts}
    assert all(NAME.search(text) for text in texts.values())


def _uv_sync(text: str) -> set[str]:
    (command,) = re.findall(r"uv sync ([^\n;&]*)", text)[-1:]
    return {word for word in shlex.split(command) if word.startswith("--")}


def test_the_image_installs_as_make_install_does() -> None:
    makefile = (REPO / "Makefile").read_text()
    dockerfile = (REPO / "Dockerfile").read_text()
    version = re.search(r"^UV_VERSION := (\S+)$", makefile, re.M)
    assert version is not None
    assert f"ARG UV_VERSION={version.group(1)}\n" in dockerfile
    make_flags, image_flags = _uv_sync(makefile), _uv_sync(dockerfile)
    # The same lock, bytecode compiled; the image leaves the dev group out, and is a fresh
    # virtualenv (--inexact only spares what `make install`'s venv already holds).
    assert make_flags - {"--inexact", "--quiet"} == image_flags - {"--no-dev"}
    assert "--frozen" in image_flags and "--no-dev" in image_flags
    assert re.search(r"^USER (?!root)\S+$", dockerfile, re.M), "the image runs as root"


def test_serve_warns_when_development_mode_listens_beyond_loopback() -> None:
    development, production = Settings(env="development"), Settings(env="production")
    for host in ("127.0.0.1", "::1", "localhost", "127.0.0.2"):
        assert exposure_warning(host, development) is None
    for host in ("0.0.0.0", "::", "192.168.1.10", "agentgraph.example"):
        warning = exposure_warning(host, development)
        assert warning is not None and "AGENTGRAPH_ENV=production" in warning
        assert "\n" not in warning
        assert exposure_warning(host, production) is None


def test_serve_prints_the_warning_as_one_line_on_stderr() -> None:
    # An unreachable database ends `serve` right after the warning (one line more).
    unreachable = "postgresql://nobody@127.0.0.1:1/nowhere"
    env = {**os.environ, "DATABASE_URL": unreachable, "AGENTGRAPH_ENV": "development"}

    def serve(host: str) -> list[str]:
        result = subprocess.run(
            [str(Path(sys.executable).with_name("agentgraph")), "serve", "--host", host],
            env=env, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert result.returncode == 1
        return result.stderr.strip().splitlines()

    exposed = serve("0.0.0.0")
    assert len(exposed) == 2 and exposed[0] == exposure_warning(
        "0.0.0.0", Settings(env="development")
    )
    assert exposed[1].startswith("agentgraph: cannot reach the database")
    assert len(serve("127.0.0.1")) == 1
