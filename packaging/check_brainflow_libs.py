"""Load every BrainFlow library of a bundle, as its board controller would (smoke test).

    python packaging/check_brainflow_libs.py dist/bci-desktop

BrainFlow's board controller loads the per-board libraries from its own folder only when a
board that needs one is opened. This opens each file in the bundle's ``brainflow/lib`` with
the dynamic loader (in a child process whose library path is the bundle's, as in the app)
and checks that the folder holds every library of this system that the wheel has. A library
may fail only for want of a system library listed in ``OPTIONAL`` (see packaging/README.md).
Then BrainFlow's own Python code, pointed at the bundle's folder, opens a Ganglion and a
Muse on a port that does not exist: its log must show that the board controller loaded
``libGanglionLib.so`` and ``libMuseLib.so`` from the bundle, the run-time path static
analysis cannot see.
"""

from __future__ import annotations

import ctypes
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from native_libs import select_libraries

#: System libraries the bundle does not carry; boards using them need them installed.
OPTIONAL = ("libbluetooth.so.3", "libusb-1.0.so.0")
#: Left out on purpose (packaging/hooks/hook-brainflow.py).
LEFT_OUT = {"libonnxruntime_x64.so", "libonnxruntime_arm64.dylib"}


def _load_all(folder: Path) -> int:
    failed = 0
    for lib in sorted(folder.iterdir()):
        try:
            ctypes.CDLL(str(lib))
        except OSError as exc:
            optional = next((o for o in OPTIONAL if o in str(exc)), None)
            if optional:
                print(f"  {lib.name}: needs {optional} from the system (optional)")
            else:
                print(f"  {lib.name}: FAILED: {exc}")
                failed += 1
        else:
            print(f"  {lib.name}: loads")
    return failed


RUNTIME_CHECK = """
import sys
from brainflow.board_shim import BoardIds, BoardShim, BrainFlowInputParams
from brainflow.exit_codes import BrainFlowError
BoardShim.set_log_file(sys.argv[1])
BoardShim.enable_dev_board_logger()
for board in (BoardIds.GANGLION_BOARD, BoardIds.MUSE_2_BLED_BOARD):
    params = BrainFlowInputParams()
    params.serial_port = "/dev/no-such-port"
    try:
        BoardShim(board.value, params).prepare_session()
    except BrainFlowError:
        pass  # no device: expected; the log tells whether the library loaded
"""


def _runtime_loads(bundle: Path, env: dict[str, str]) -> int:
    import brainflow

    with tempfile.TemporaryDirectory() as tmp:
        package = Path(tmp) / "brainflow"
        package.mkdir()
        for source in Path(brainflow.__file__).parent.glob("*.py"):
            shutil.copy2(source, package)
        (package / "lib").symlink_to(bundle / "_internal" / "brainflow" / "lib")
        log = Path(tmp) / "brainflow.log"
        subprocess.run(
            [sys.executable, "-c", RUNTIME_CHECK, str(log)],
            env={**env, "PYTHONPATH": tmp},
            check=True,
            capture_output=True,
        )
        text = log.read_text(encoding="utf-8", errors="replace")
    failed = 0
    for name in ("libGanglionLib.so", "libMuseLib.so"):
        if f"Loaded BrainFlow native library {package / 'lib' / name}" in text:
            print(f"  board controller loaded {name} from the bundle")
        else:
            print(f"  board controller did NOT load {name}:\n{text[-2000:]}")
            failed += 1
    return failed


def main(bundle: Path) -> int:
    import brainflow

    folder = bundle / "_internal" / "brainflow" / "lib"
    wheel = {p.name for p in select_libraries(Path(brainflow.__file__).parent / "lib")}
    have = {p.name for p in folder.iterdir()}
    if wheel - LEFT_OUT - have:
        print(f"missing from the bundle: {sorted(wheel - LEFT_OUT - have)}")
        return 1
    if have - wheel:
        print(f"not for this system, yet in the bundle: {sorted(have - wheel)}")
        return 1
    env = {**os.environ, "LD_LIBRARY_PATH": str(bundle / "_internal")}
    child = subprocess.run([sys.executable, __file__, "--load", str(folder)], env=env, check=False)
    if child.returncode != 0:
        return child.returncode
    if not sys.platform.startswith("linux"):
        return 0
    return 1 if _runtime_loads(bundle.resolve(), env) else 0


if __name__ == "__main__":
    if sys.argv[1:2] == ["--load"]:
        raise SystemExit(1 if _load_all(Path(sys.argv[2])) else 0)
    raise SystemExit(main(Path(sys.argv[1])))
