"""A serial port the user may not open: the kernel really refuses, the app says what to do.

The port is a pseudo-terminal served by the Cyton emulator, given the owner and mode of a USB
dongle on Debian (``crw-rw---- nobody dialout``; a real dongle is owned by root, but root is
who runs these tests). The app then runs in a child process with the capabilities that let
root ignore file permissions (``CAP_DAC_OVERRIDE``, ``CAP_DAC_READ_SEARCH``) removed from its
bounding set by ``setpriv``: it is root outside the port's group, so opening the port fails
with ``EACCES`` exactly as it does for a user outside ``dialout``. BrainFlow's real Cyton
and Ganglion drivers open the port; nothing is mocked. The same child with the port's group
added to its groups (what ``usermod -aG dialout`` gives after logging in again) streams.
"""

from __future__ import annotations

import grp
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bci_desktop.core.sources.serial_access import (
    UDEV_RULE,
    serial_access_problem,
    shipped_udev_rule,
)
from tests.core.sources.cyton_emulator import CytonEmulator

NOBODY = 65534


def _serial_group() -> grp.struct_group | None:
    for name in ("dialout", "uucp"):
        try:
            return grp.getgrnam(name)
        except KeyError:
            continue
    return None


GROUP = _serial_group() if sys.platform.startswith("linux") else None
pytestmark = pytest.mark.skipif(
    not sys.platform.startswith("linux")
    or os.geteuid() != 0
    or shutil.which("setpriv") is None
    or GROUP is None,
    reason="needs Linux, root (to give the port away), setpriv and a dialout/uucp group",
)


def _denied(*, groups: tuple[int, ...] = ()) -> list[str]:
    """Run as root without the capabilities that bypass file permissions."""
    prefix = ["setpriv"]
    if groups:
        prefix += ["--groups", ",".join(str(g) for g in groups)]
    return [*prefix, "--bounding-set", "-dac_override,-dac_read_search", "--"]


def _cli(*args: str, groups: tuple[int, ...] = ()) -> subprocess.CompletedProcess:
    return subprocess.run(
        [*_denied(groups=groups), sys.executable, "-m", "bci_desktop", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def dongle(tmp_path: Path) -> str:
    """A Cyton on a port owned like a USB dongle: ``crw-rw---- nobody <serial group>``."""
    assert GROUP is not None
    with CytonEmulator(tmp_path / "ttyCYTON") as cyton:
        device = os.path.realpath(cyton.port)  # /dev/pts/N, as /dev/ttyUSB0 would be
        os.chown(device, NOBODY, GROUP.gr_gid)
        os.chmod(device, 0o660)
        yield device


def _assert_permission_message(line: str, port: str) -> None:
    assert GROUP is not None
    assert line.startswith(f"bci-desktop: error: Cannot open serial port '{port}'")
    assert "permission denied" in line
    assert f"group '{GROUP.gr_name}' that owns the port" in line
    assert f"sudo usermod -aG {GROUP.gr_name} " in line
    assert UDEV_RULE in line and str(shipped_udev_rule()) in line
    assert "log out and back in" in line
    assert "--" not in line  # the window shows the same words: no command-line flags
    assert "sudo/admin" not in line  # BrainFlow's own advice, running as root, is not ours


def test_cyton_port_without_permission_says_what_to_do(dongle: str) -> None:
    proc = _cli("run", "--board", "cyton", "--serial-port", dongle, "--no-reconnect")
    assert proc.returncode == 1, proc.stderr
    lines = proc.stderr.splitlines()
    assert len(lines) == 1, proc.stderr
    _assert_permission_message(lines[0], dongle)
    assert "UNABLE_TO_OPEN_PORT_ERROR" in lines[0]  # what BrainFlow really reported


def test_ganglion_dongle_without_permission_says_the_same(dongle: str) -> None:
    # BrainFlow's Ganglion driver reports a refused port as GENERAL_ERROR, not as a port
    # error: the app looks at the port itself.
    proc = _cli("run", "--board", "ganglion", "--serial-port", dongle, "--no-reconnect")
    assert proc.returncode == 1, proc.stderr
    _assert_permission_message(proc.stderr.strip(), dongle)
    assert "GENERAL_ERROR" in proc.stderr


def test_joining_the_ports_group_is_the_fix(dongle: str) -> None:
    assert GROUP is not None
    proc = _cli(
        "run", "--board", "cyton", "--serial-port", dongle, "--no-reconnect", "--no-model",
        "--duration", "2", "-q",
        groups=(GROUP.gr_gid,),
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    assert "error" not in proc.stderr.lower()


def test_an_installed_rule_is_not_asked_for_again(dongle: str, tmp_path: Path) -> None:
    rules = tmp_path / "rules.d"
    rules.mkdir()
    (rules / UDEV_RULE).write_text("# installed\n", encoding="utf-8")
    code = (
        "import json, sys\n"
        "from bci_desktop.core.sources.serial_access import serial_access_problem as p\n"
        "print(json.dumps([p(sys.argv[1]), p(sys.argv[1], rule_dirs=[sys.argv[2]])]))\n"
    )
    proc = subprocess.run(
        [*_denied(), sys.executable, "-c", code, dongle, str(rules)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    not_installed, installed = json.loads(proc.stdout)
    assert "udev rule" in not_installed
    assert installed.startswith("permission denied") and "udev rule" not in installed
    assert "usermod -aG" in installed and "log out and back in" in installed


def test_an_open_port_or_a_missing_one_is_not_a_permission_problem(
    dongle: str, tmp_path: Path
) -> None:
    assert serial_access_problem(dongle) is None  # root with all its capabilities may
    assert serial_access_problem(str(tmp_path / "ttyNOPE")) is None
