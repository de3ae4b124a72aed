"""The packages install offline from their folders, as the README says, and import from there:
the client (python/) and the generated schemas (build/generated/python)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from conftest import ROOT

GENERATED = Path(os.environ.get("HUB_GENERATED_PYTHON", str(ROOT / "build" / "generated" / "python")))


def install_offline(folder: Path, tmp_path: Path) -> Path:
    """pip-installs a copy of ``folder`` into a new venv that sees Debian's packages; returns the venv.
    A copy, because a build writes build/ and *.egg-info beside the sources."""
    source = tmp_path / "source"
    shutil.copytree(folder, source, ignore=shutil.ignore_patterns("__pycache__", "build", "*.egg-info"))
    venv = tmp_path / "venv"
    subprocess.run(["/usr/bin/python3", "-m", "venv", "--system-site-packages", str(venv)], check=True)
    install = subprocess.run(
        [str(venv / "bin" / "python"), "-m", "pip", "install", "--no-index", "--no-build-isolation", "--no-cache-dir", str(source)],
        capture_output=True,
        text=True,
    )
    assert install.returncode == 0, install.stdout + install.stderr
    return venv


def test_pip_installs_the_client_offline(tmp_path: Path):
    venv = install_offline(ROOT / "python", tmp_path)
    shown = subprocess.run(
        [str(venv / "bin" / "python"), "-c", "import central_hub, central_hub.client; print(central_hub.__file__, central_hub.__version__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
    )
    where, version = shown.stdout.split()
    assert where.startswith(str(venv)) and version == "0.1.0"
    assert (Path(where).parent / "py.typed").exists()


SEED_IMPORTS = """
from common.tick_data_pb2 import BatchTickData, MessageEnvelope
from trading.signals_pb2 import TradingSignal
from business.user_management_pb2 import UserContext
batch = BatchTickData(source="polygon-live-collector")
batch.ticks.add(symbol="EURUSD", bid=1.0851)
envelope = MessageEnvelope(message_type="tick_data", payload=batch.SerializeToString())
read = BatchTickData.FromString(MessageEnvelope.FromString(envelope.SerializeToString()).payload)
print(read.ticks[0].symbol, TradingSignal.DESCRIPTOR.full_name, UserContext.DESCRIPTOR.full_name)
"""
EXPECTED = "EURUSD aitrading.trading.TradingSignal aitrading.common.UserContext\n"


def generated() -> Path:
    assert (GENERATED / "common").is_dir(), f"no generated schemas in {GENERATED}: build the tree first, or set HUB_GENERATED_PYTHON"
    return GENERATED


def test_the_seeds_schema_imports_work_from_the_generated_folder(tmp_path: Path):
    # The seed's own way: sys.path.append('.../generated/python'), then import.
    script = f"import sys\nsys.path.append({str(generated())!r})\n" + SEED_IMPORTS
    shown = subprocess.run(["/usr/bin/python3", "-c", script], capture_output=True, text=True, cwd=tmp_path)
    assert shown.stdout == EXPECTED, shown.stderr


def test_the_generated_schemas_install_offline_as_a_package(tmp_path: Path):
    venv = install_offline(generated(), tmp_path)
    shown = subprocess.run([str(venv / "bin" / "python"), "-c", SEED_IMPORTS], capture_output=True, text=True, cwd=tmp_path)
    assert shown.stdout == EXPECTED, shown.stderr
    assert list(venv.glob("lib/python3*/site-packages/common/tick_data_pb2.pyi"))  # type hints ship too
