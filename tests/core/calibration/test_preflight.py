"""Everything that could make a calibration fail is found before Start."""

from __future__ import annotations

import subprocess
from dataclasses import replace
from pathlib import Path

import pytest

from bci_desktop.core.calibration.preflight import preflight, trainer_problem
from bci_desktop.core.calibration.protocol import StateInduction, default_protocol
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.session import RecordRequest, SimulatedSpec, StreamSession
from bci_desktop.core.sources.simulated import SimulatedSubject


def _info(channels=16):
    return SimulatedSubject(speed=None, channels=channels).info


def test_a_good_setup_passes_and_says_what_it_will_compute(tmp_path: Path) -> None:
    checked = preflight(
        default_protocol(), _info(), sessions_dir=tmp_path / "s", models_dir=tmp_path / "m",
        simulated=True,
    )  # fmt: skip
    assert checked.ok, checked.problems
    assert checked.recipe is not None and checked.recipe.channels[:2] == ("F7", "F3")
    assert 1e6 < checked.needed_bytes < 1e8  # 12 blocks of 16 channels at 250 Hz, doubled
    assert trainer_problem() is None


def test_channels_without_electrode_names_are_found(tmp_path: Path) -> None:
    info = SimulatedSubject(speed=None, channels=("X1", "X2", "X3")).info
    checked = preflight(default_protocol(), info, sessions_dir=tmp_path, models_dir=tmp_path)
    assert any("no electrode names" in p for p in checked.problems)


def test_a_missing_stimulus_is_named_even_before_a_stream_is_there(tmp_path: Path) -> None:
    states = (StateInduction.of("calm", stimuli=("pics/sea.png",)), StateInduction.of("sad"))
    protocol = replace(default_protocol(), states=states, base_dir=tmp_path)
    checked = preflight(protocol, None, sessions_dir=tmp_path, models_dir=tmp_path)
    assert checked.problems == [
        f"Stimulus of calm: 'pics/sea.png' does not exist ({tmp_path}/pics/sea.png)."
    ]


def test_the_simulated_subject_cannot_follow_states_it_does_not_know(tmp_path: Path) -> None:
    states = (StateInduction.of("calm"), StateInduction.of("focused", instructions="Count."))
    protocol = replace(default_protocol(), states=states)
    checked = preflight(protocol, _info(), sessions_dir=tmp_path, models_dir=tmp_path,
                        simulated=True)  # fmt: skip
    assert (
        checked.ok
        and "during blocks of focused it is in no particular state" in checked.warnings[0]
    )


def test_a_folder_that_is_a_file_is_found(tmp_path: Path) -> None:
    blocker = tmp_path / "sessions"
    blocker.write_text("a file where the sessions folder should be")
    checked = preflight(default_protocol(), _info(), sessions_dir=blocker, models_dir=tmp_path)
    assert any(
        p.startswith(f"The sessions folder {blocker} cannot be written") for p in checked.problems
    )


@pytest.fixture
def tiny_disk(tmp_path: Path):
    """A real 256 kB file system."""
    mount = tmp_path / "tiny"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=256k", "tmpfs", str(mount)],
                          capture_output=True, check=False)  # fmt: skip
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", str(mount)], check=False)


def test_a_disk_too_small_for_the_recording_is_found_before_start(tiny_disk: Path) -> None:
    checked = preflight(default_protocol(), _info(), sessions_dir=tiny_disk / "sessions",
                        models_dir=tiny_disk.parent / "models")  # fmt: skip
    (problem,) = checked.problems
    assert problem.startswith("Not enough disk space for the sessions: about ")
    assert f"needed in {tiny_disk / 'sessions'}" in problem and "0 MB free" in problem


def test_a_recording_attachment_is_written_with_the_session(tmp_path: Path) -> None:
    session = StreamSession(SimulatedSpec(speed=None))
    session.start()
    try:
        status = session.start_recording(
            RecordRequest(folder=str(tmp_path), attachments=(("calibration.json", "{}\n"),))
        )
    finally:
        session.stop()
    saved = Path(status.folder) / "calibration.json"
    assert saved.read_text() == "{}\n" and oct(saved.stat().st_mode & 0o777) == "0o600"
    for bad in ("../x.json", "session.json", ""):
        with pytest.raises(ConfigError, match="Cannot attach"):
            RecordRequest(attachments=((bad, "{}"),))
