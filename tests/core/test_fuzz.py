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


# -- issue 12: hostile headers, deep JSON, numbers a model may declare, text to print ---------
edf_durations = st.sampled_from(["0", "-1", "nan", "inf", "1e-9", "1e308", "0.5", "1", "x"]) | (
    st.floats(allow_nan=True, allow_infinity=True).map(lambda v: repr(v)[:8])
)


@FUZZ
@given(
    n_signals=st.integers(-2, 1500),
    spr=st.integers(-1, 400),
    duration=edf_durations,
    declared=st.integers(-3, 10**7),
    written=st.integers(0, 4),
    header_bytes=st.none() | st.integers(-10, 10**6),
)
def test_edf_headers_that_lie_never_crash_or_allocate_blindly(
    tmp_path_factory, n_signals, spr, duration, declared, written, header_bytes
):
    import tracemalloc

    from tests.core.hostile import edf_bytes

    ns, n = max(n_signals, 0), max(spr, 0)
    if ns * n * written > 2_000_000:  # keep the files small: the header is what lies
        written = 0
    path = tmp_path_factory.mktemp("edf") / "h.edf"
    path.write_bytes(
        edf_bytes(n_signals=n_signals, samples_per_record=spr, duration=duration,
                  n_records=written, declared_records=declared, header_bytes=header_bytes)
    )  # fmt: skip
    tracemalloc.start()
    try:
        src = ReplaySource(path, speed=None)
        src.start()
        while src.read() is not None:
            pass
    except BCIError as exc:
        assert str(exc)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    # memory follows what the file holds, not what its header claims
    assert peak < 64e6 + 40 * path.stat().st_size


@FUZZ
@given(levels=st.integers(60, 200_000), where=st.sampled_from(["session", "settings", "model"]))
def test_json_nested_any_depth_is_refused_with_a_message(tmp_path_factory, levels, where):
    from tests.core.hostile import deep_json

    text = deep_json(levels)
    folder = tmp_path_factory.mktemp("deep")
    if where == "session":
        (folder / META_FILE).write_text(text)
        with pytest.raises(SessionError):
            read_meta(folder)
    elif where == "settings":
        (folder / "settings.json").write_text(text)
        loaded, warnings = load_settings(folder / "settings.json")
        assert loaded == AppSettings() and warnings
    else:
        with pytest.raises(BCIError, match="nested deeper"):
            ModelMetadata.from_json(text)


@FUZZ
@given(
    rate=st.floats(allow_nan=True, allow_infinity=True),
    window_s=st.floats(allow_nan=True, allow_infinity=True),
    hop_s=st.floats(allow_nan=True, allow_infinity=True),
    atol=st.floats(allow_nan=True, allow_infinity=True),
    budget=st.floats(allow_nan=True, allow_infinity=True),
    notch=st.sampled_from([None, 50.0, 60.0, 1e9, float("nan")]),
    order=st.integers(-5, 2000),
)
def test_model_metadata_the_registry_accepts_is_metadata_the_engine_runs(
    rate, window_s, hop_s, atol, budget, notch, order
):
    from bci_desktop.core.engine import Engine, EngineConfig
    from bci_desktop.core.stream import ChannelInfo, StreamInfo
    from tests.core.modelfiles import fitted, metadata_dict

    clf, x = fitted(44)
    meta = metadata_dict(clf, x)
    meta.update(sample_rate=rate, window_s=window_s, hop_s=hop_s, latency_budget_ms=budget)
    meta["filters"] = {"notch_hz": notch, "bandpass": [1.0, 45.0], "order": order}
    meta["test_vector"]["atol"] = atol
    try:
        parsed = ModelMetadata.from_json(json.dumps(meta))
    except BCIError as exc:
        assert str(exc)
        return
    recipe = parsed.recipe
    info = StreamInfo(
        source_name="fuzz",
        board_id=None,
        sample_rate=recipe.sample_rate,
        eeg=tuple(ChannelInfo(c, "eeg", "uV") for c in recipe.channels),
    )
    engine = Engine(info, recipe=recipe, config=EngineConfig(display_s=1.0))
    assert engine.window_samples >= 1 and engine.hop_samples >= 1


@FUZZ
@given(text=st.text())
def test_printed_text_never_holds_a_control_character(text):
    import unicodedata

    from bci_desktop.core.terminal import printable

    shown = printable(text)
    assert not [c for c in shown if unicodedata.category(c) in ("Cc", "Cf", "Zl", "Zp")]
    if text.isprintable() and "\\" not in text:
        assert shown == text


@FUZZ
@given(
    t=st.floats(allow_nan=True, allow_infinity=True),
    probs=st.lists(st.floats(allow_nan=True, allow_infinity=True), min_size=2, max_size=2),
)
def test_prediction_json_is_always_strict_json(t, probs):
    from bci_desktop.core.jsonsafe import prediction_json
    from bci_desktop.core.prediction import Prediction

    p = Prediction(t=t, index=1, classes=("a", "b"), label="a", probabilities=tuple(probs),
                   confidence=probs[0], latency_ms=0.1, withheld=None, truth=None)  # fmt: skip

    def refuse(token):
        raise ValueError(token)

    record = json.loads(prediction_json(p), parse_constant=refuse)
    assert record["t"] is None or np.isfinite(record["t"])
