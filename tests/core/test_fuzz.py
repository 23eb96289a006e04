"""Fuzzing every reader the app exposes to user files (settings, session metadata,
EDF/BDF and CSV import, model files and their metadata).

Each bad input must end in the app's own error type with a message (never another
exception, never a hang), and nothing already stored may change.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bci_desktop.core.errors import BCIError
from bci_desktop.core.inference.metadata import ModelMetadata
from bci_desktop.core.inference.model import EmotionModel
from bci_desktop.core.recording import SessionRecorder, read_session
from bci_desktop.core.recording.export import export_session
from bci_desktop.core.recording.session import META_FILE, SessionError, SessionMeta, read_meta
from bci_desktop.core.resources import default_model_path
from bci_desktop.core.settings import AppSettings, load_settings, save_settings
from bci_desktop.core.sources.replay import ReplaySource
from bci_desktop.core.sources.simulated import SimulatedSubject

FUZZ = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

scalars = st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20)
json_values = st.recursive(
    scalars,
    lambda kids: (
        st.lists(kids, max_size=5) | st.dictionaries(st.text(max_size=10), kids, max_size=5)
    ),
    max_leaves=20,
)


def _mutate(data: bytes, cuts: list[tuple[int, int]]) -> bytes:
    """Flip bytes at positions / truncate: a damaged copy of a real file."""
    buf = bytearray(data)
    for pos, value in cuts:
        if value < 0:
            del buf[pos % max(len(buf), 1) :]
        elif buf:
            buf[pos % len(buf)] = value
    return bytes(buf)


mutations = st.lists(
    st.tuples(st.integers(0, 10**7), st.integers(-1, 255)), min_size=1, max_size=8
)


# -- settings --------------------------------------------------------------------------
@FUZZ
@given(content=st.binary(max_size=400) | json_values.map(lambda v: json.dumps(v).encode()))
def test_settings_never_crash_and_keep_the_bad_file(tmp_path_factory, content):
    folder = tmp_path_factory.mktemp("cfg")
    path = folder / "settings.json"
    path.write_bytes(content)
    loaded, warnings = load_settings(path)
    assert isinstance(loaded, AppSettings)
    assert all(isinstance(w, str) and w for w in warnings)
    if warnings and loaded == AppSettings():
        # the user's file is never lost: it is kept aside (or still in place)
        kept = [p for p in folder.iterdir() if p.read_bytes() == content]
        assert kept, "the unreadable settings file was lost"


@FUZZ
@given(doc=st.dictionaries(st.sampled_from(list(AppSettings().to_dict())), json_values))
def test_settings_fields_of_any_type_fall_back_per_field(tmp_path_factory, doc):
    path = tmp_path_factory.mktemp("cfg") / "settings.json"
    path.write_text(json.dumps(doc))
    loaded, _ = load_settings(path)
    save_settings(loaded, path)  # whatever was loaded can be saved and read back
    again, warnings = load_settings(path)
    assert again == loaded and not warnings


# -- session metadata ------------------------------------------------------------------
@pytest.fixture(scope="module")
def session_dir(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("sessions")
    sim = SimulatedSubject(speed=None, seed=3, chunk_s=1.0)
    rec = SessionRecorder.create(root, sim.info, subject="F1")
    sim.start()
    for _ in range(6):
        chunk = sim.read()
        rec.append(chunk)
    sim.stop()
    rec.stop()
    return rec.folder


@FUZZ
@given(raw=json_values)
def test_session_metadata_of_any_shape(raw):
    try:
        meta = SessionMeta.from_dict(raw)
    except SessionError as exc:
        assert str(exc)
    else:
        assert meta.sample_rate > 0 and meta.eeg_rows


@FUZZ
@given(cuts=mutations)
def test_damaged_session_json_is_refused_and_samples_are_untouched(
    tmp_path_factory, session_dir, cuts
):
    folder = tmp_path_factory.mktemp("s") / "copy"
    shutil.copytree(session_dir, folder)
    samples_before = (folder / "samples.f64").read_bytes()
    meta_path = folder / META_FILE
    meta_path.write_bytes(_mutate(meta_path.read_bytes(), cuts))
    try:
        read_meta(folder)
        data = read_session(folder)
        assert data.samples.shape[0] == len(data.meta.rows)
        ReplaySource(folder, speed=None).info  # noqa: B018
    except BCIError as exc:
        assert str(exc)
    assert (folder / "samples.f64").read_bytes() == samples_before


# -- EDF / BDF / CSV import ------------------------------------------------------------
@pytest.fixture(scope="module")
def exported(session_dir, tmp_path_factory) -> dict[str, Path]:
    """Paths, not bytes: hypothesis may print its arguments, and 900 kB of bytes make it
    warn ("overly large repr"), which fails the test under ``-W error``."""
    out = tmp_path_factory.mktemp("exp")
    return {
        fmt: export_session(session_dir, out / f"s.{fmt}", format=fmt)
        for fmt in ("edf", "bdf", "csv")
    }


@FUZZ
@given(fmt=st.sampled_from(["edf", "bdf", "csv"]), cuts=mutations)
def test_damaged_recordings_fail_cleanly_on_import(tmp_path_factory, exported, fmt, cuts):
    path = tmp_path_factory.mktemp("imp") / f"x.{fmt}"
    path.write_bytes(_mutate(exported[fmt].read_bytes(), cuts))
    try:
        src = ReplaySource(path, speed=None)
        src.start()
        n = 0
        while (chunk := src.read()) is not None and n < 10_000:
            assert chunk.eeg.ndim == 2
            n += chunk.n_samples
        src.stop()
    except BCIError as exc:
        assert str(exc)


def test_truncated_edf_is_refused_with_its_name(tmp_path, exported):
    path = tmp_path / "cut.edf"
    good = exported["edf"].read_bytes()
    path.write_bytes(good[: len(good) // 2])
    with pytest.raises(BCIError, match=r"cut\.edf"):
        ReplaySource(path, speed=None).start()


# -- models ----------------------------------------------------------------------------
@FUZZ
@given(raw=json_values)
def test_model_metadata_of_any_shape(raw):
    try:
        ModelMetadata.from_json(json.dumps(raw))
    except BCIError as exc:
        assert str(exc)


@settings(max_examples=40, deadline=None)
@given(cuts=mutations)
def test_damaged_model_files_are_refused(tmp_path_factory, cuts):
    path = tmp_path_factory.mktemp("m") / "m.onnx"
    path.write_bytes(_mutate(default_model_path().read_bytes(), cuts))
    try:
        model = EmotionModel.load(path)
    except BCIError as exc:
        assert str(exc)
    else:  # a harmless change (e.g. in a doc string): the model still passes its test vector
        p = model.predict_proba(np.zeros(model.input_shape, dtype=np.float32))
        assert p.sum() == pytest.approx(1.0, abs=1e-4)
