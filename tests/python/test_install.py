"""The package installs offline from its folder, as the README says, and imports from there."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from conftest import ROOT


def test_pip_installs_the_package_offline(tmp_path: Path):
    source = tmp_path / "python"
    # A copy: a build writes build/ and *.egg-info beside the sources.
    shutil.copytree(ROOT / "python", source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    install = subprocess.run(
        [python, "-m", "pip", "install", "--no-index", "--no-build-isolation", "--no-cache-dir", str(source)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    shown = subprocess.run(
        [python, "-c", "import central_hub, central_hub.client; print(central_hub.__file__, central_hub.__version__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    where, version = shown.stdout.split()
    assert where.startswith(str(venv)) and version == "0.1.0"
    assert (Path(where).parent / "py.typed").exists()
