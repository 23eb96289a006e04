"""Shadow trials: a candidate runs beside the model in use on the simulated subject; it is
judged, kept in the registry's history, and never touches the active predictions."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bci_desktop.cli import main
from bci_desktop.core.errors import BCIError, ConfigError
from bci_desktop.core.inference.registry import ModelRegistry
from bci_desktop.core.inference.trial import (
    TrialFigures,
    TrialRequest,
    TrialThresholds,
    Verdict,
    decide,
)
from bci_desktop.core.inference.trial_log import TrialLog, TrialRecord
from bci_desktop.core.recording import read_session
from bci_desktop.core.session import (
    ModelRequest,
    RecordRequest,
    SessionOptions,
    SimulatedSpec,
    StreamSession,
    TrialEnded,
    TrialStatus,
)
from tests.core.trial_models import FaultyModel, renamed_default, swapped_model

#: Stream minutes of each trial: the default script shows every state once in 4 minutes.
MINUTES = 4.5


@pytest.fixture
def registry(tmp_path: Path) -> ModelRegistry:
    return ModelRegistry(tmp_path / "registry", include_brainflow=False, runs=20)


def _session(registry, *, model=None, minutes=MINUTES, seed=5, record=None):
    messages: list = []
    predictions: list = []
    options = SessionOptions(
        model=ModelRequest(model), duration_s=minutes * 60 + 10.0, record=record
    )
    session = StreamSession(
        SimulatedSpec(speed=None, seed=seed),
        options,
        on_message=messages.append,
        registry=registry,
    )
    return session, messages, predictions


def _run(session, predictions) -> None:
    session.run(
        lambda: False, lambda ups: predictions.extend(p for u in ups for p in u.predictions)
    )
    session.stop()


def _keys(predictions):
    """Everything of each prediction but its timing (stream times from the first one: the
    simulated subject stamps samples from the wall clock at its start)."""
    t0 = predictions[0].t
    return [
        (
            round(p.t - t0, 6),
            p.index,
            p.label,
            p.probabilities,
            p.withheld,
            p.truth,
            p.drift,
            p.drift_alarm,
            p.model,
        )
        for p in predictions
    ]


def _ended(messages) -> TrialEnded:
    ended = [m for m in messages if isinstance(m, TrialEnded)]
    assert len(ended) == 1, ended
    return ended[0]


def test_a_worse_model_is_discarded_with_its_figures(registry, tmp_path):
    worse = swapped_model(tmp_path)
    session, messages, predictions = _session(
        registry, record=RecordRequest(subject="S1", folder=str(tmp_path / "sessions"))
    )
    session.start()
    label = session.watch.start_trial(TrialRequest(str(worse), MINUTES))
    assert label == "emotion-swapped@1.0.0"
    _run(session, predictions)

    record = _ended(messages).record
    f = record.figures
    assert record.verdict is Verdict.DISCARD
    assert record.why_ended == f"{MINUTES:g} min of stream done"
    assert f.hops == round(MINUTES * 60 / 0.25)
    assert f.truth_source == "simulated subject's true state"
    assert f.candidate_accuracy < 0.65 < 0.85 < f.active_accuracy  # wrong on calm and happy
    assert f.agreement < 0.7
    assert f.candidate_p99_ms is not None and f.stopped is None
    assert sum(f.candidate_histogram) == f.hops - round(f.candidate_withheld * f.hops)
    assert any(not ok and text.startswith("accuracy") for text, ok in record.decision.checks)
    assert any(isinstance(m, TrialStatus) for m in messages)  # said live, too
    # Kept in the registry's history, and in the recording.
    kept = TrialLog(registry.root).records()
    assert [r.figures for r in kept] == [f]
    rec = read_session(next((tmp_path / "sessions").iterdir()))
    kinds = [e["kind"] for e in rec.events]
    assert "shadow_trial_start" in kinds and "shadow_trial_end" in kinds
    end = next(e for e in rec.events if e["kind"] == "shadow_trial_end")
    assert "discard" in end["detail"]


def test_a_better_model_is_promoted(registry, tmp_path):
    worse = swapped_model(tmp_path)
    session, messages, predictions = _session(registry, model=str(worse))
    session.start()
    session.watch.start_trial(TrialRequest("emotion-default", MINUTES))
    _run(session, predictions)
    record = _ended(messages).record
    assert record.figures.candidate == "emotion-default@1.0.0"
    assert record.figures.active == "emotion-swapped@1.0.0"
    assert record.verdict is Verdict.PROMOTE, record.decision.checks
    assert record.figures.candidate_accuracy > record.figures.active_accuracy + 0.3


def test_active_predictions_are_identical_with_and_without_the_shadow(registry, tmp_path):
    worse = swapped_model(tmp_path)
    plain, _, alone = _session(registry, minutes=3)
    plain.start()
    _run(plain, alone)

    shadowed, messages, beside = _session(registry, minutes=3)
    shadowed.start()
    shadowed.watch.start_trial(TrialRequest(str(worse), None))
    _run(shadowed, beside)

    assert len(alone) > 3 * 60 * 4 - 20  # one per hop once the first 4 s window is full
    assert _keys(beside) == _keys(alone)
    record = _ended(messages).record  # the stream stopped: the trial ended with it
    assert record.why_ended == "the stream stopped"
    assert record.figures.hops == len(beside)


@pytest.mark.parametrize(
    ("mode", "kwargs", "reason", "calls"),
    [
        pytest.param("raise", {"after": 30}, "it raised RuntimeError", 31, id="raises"),
        pytest.param("nan", {"after": 30}, "NaN or infinite", 31, id="nan"),
        pytest.param("no-softmax", {"after": 30}, "sum to", 31, id="not-summing-to-one"),
        # the latency guard judges from 100 calls on (a quarter of its 400-call window)
        pytest.param(
            "slow",
            {"sleep_s": 0.002, "latency_budget_ms": 0.5},
            "over its budget of 0.5 ms",
            100,
            id="over-budget",
        ),
    ],
)
def test_a_failing_candidate_is_stopped_and_never_touches_the_stream(
    registry, mode, kwargs, reason, calls
):
    plain, _, alone = _session(registry, minutes=1.5)
    plain.start()
    _run(plain, alone)

    candidate = FaultyModel(mode, **kwargs)
    session, messages, predictions = _session(registry, minutes=1.5)
    session.start()
    session.watch.start_trial(TrialRequest("faulty", 1.0), model=candidate)
    _run(session, predictions)

    record = _ended(messages).record
    assert record.verdict is Verdict.DISCARD
    assert reason in record.figures.stopped
    assert record.why_ended.startswith("the candidate was stopped")
    assert not record.decision.checks[0][1]
    assert _keys(predictions) == _keys(alone)
    assert candidate.calls == calls  # never asked again once stopped
    assert record.figures.hops < len(predictions)


def test_a_single_call_far_over_budget_stops_the_candidate_at_once(registry):
    candidate = FaultyModel("slow", after=20, sleep_s=0.3, latency_budget_ms=5.0)
    session, messages, predictions = _session(registry, minutes=0.5)
    session.start()
    session.watch.start_trial(TrialRequest("slow", None), model=candidate)
    _run(session, predictions)
    record = _ended(messages).record
    assert "one call took" in record.figures.stopped
    assert candidate.calls == 21


def test_refusals_say_why(registry, tmp_path):
    session, _, _ = _session(registry, minutes=0.2)
    session.start()
    watch = session.watch
    with pytest.raises(ConfigError, match="is the model in use"):
        watch.start_trial(TrialRequest("emotion-default"))
    with pytest.raises(BCIError, match="No model 'nope'"):
        watch.start_trial(TrialRequest("nope"))
    other = renamed_default(tmp_path, "emotion-other", classes=["a", "b", "c", "d"])
    with pytest.raises(ConfigError, match="same classes"):
        watch.start_trial(TrialRequest(str(other)))
    watch.start_trial(TrialRequest(str(swapped_model(tmp_path))))
    with pytest.raises(ConfigError, match="already running"):
        watch.start_trial(TrialRequest(str(swapped_model(tmp_path))))
    session.stop()
    with pytest.raises(ConfigError, match="minutes"):
        TrialRequest("x", -1.0)
    with pytest.raises(ConfigError, match="min-agreement"):
        TrialThresholds(min_agreement=1.5)


def test_the_decision_follows_the_thresholds_the_user_sets():
    figures = TrialFigures(
        candidate="new@1",
        active="old@1",
        hops=1000,
        compared=900,
        agreement=0.85,
        labelled=900,
        truth_source="calibration labels",
        active_accuracy=0.80,
        candidate_accuracy=0.785,
        active_withheld=0.1,
        candidate_withheld=0.1,
        candidate_p99_ms=1.0,
    )
    assert decide(figures, TrialThresholds()).verdict is Verdict.DISCARD  # 1.5 points lower
    loose = TrialThresholds(max_accuracy_loss=0.02)
    assert decide(figures, loose).verdict is Verdict.PROMOTE
    strict = TrialThresholds(max_accuracy_loss=0.02, min_compared=1000)
    assert decide(figures, strict).failed == ("900 hops compared (at least 1000 needed)",)
    unlabelled = TrialFigures(
        candidate="new@1",
        active="old@1",
        hops=1000,
        compared=900,
        agreement=0.79,
        active_withheld=0.1,
        candidate_withheld=0.1,
    )
    assert "no truth known" in decide(unlabelled, TrialThresholds()).failed[0]
    assert decide(unlabelled, TrialThresholds(min_agreement=0.75)).verdict is Verdict.PROMOTE


def test_the_trial_history_survives_a_damaged_line(tmp_path, caplog):
    log = TrialLog(tmp_path)
    figures = TrialFigures(candidate="a@1", active="b@1", hops=10)
    first = TrialRecord.now(figures, TrialThresholds(), why_ended="test")
    log.append(first)
    hostile = first.to_dict()
    hostile["figures"]["hops"] = "a lot"
    with open(log.path, "a", encoding="utf-8") as fh:
        fh.write("{not json\n")
        fh.write(json.dumps(hostile) + "\n")
    log.append(TrialRecord.now(figures, TrialThresholds(), why_ended="again"))
    kept = log.records()
    assert [r.why_ended for r in kept] == ["test", "again"]
    assert kept[0] == first  # read back exactly
    assert "Skipped line 2" in caplog.text
    assert "Skipped line 3" in caplog.text and "expected a number, got 'a lot'" in caplog.text


def test_cli_trial_discards_then_promotes_and_models_list_shows_it(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BCI_DESKTOP_DATA_DIR", str(tmp_path / "data"))
    worse = swapped_model(tmp_path)
    common = ["--board", "simulated", "--speed", "max", "--minutes", "4.5", "-q"]
    assert main(["models", "import", str(worse)]) == 0
    capsys.readouterr()

    assert main(["models", "trial", "emotion-swapped", *common]) == 0
    out = capsys.readouterr().out
    assert "Decision: DISCARD" in out and "[NO] accuracy" in out
    assert main(["models", "list"]) == 0
    listing = capsys.readouterr().out
    assert "* emotion-default@1.0.0" in listing
    assert "last shadow trial: discard" in listing

    assert main(["models", "activate", "emotion-swapped"]) == 0
    capsys.readouterr()
    assert main(["models", "trial", "emotion-default", *common, "--json"]) == 0
    captured = capsys.readouterr()
    record = json.loads(captured.out)
    assert record["verdict"] == "promote"
    assert record["figures"]["candidate"] == "emotion-default@1.0.0"
    assert "Promoted: emotion-default@1.0.0" in captured.err
    assert main(["models", "list", "--json"]) == 0
    rows = {r["label"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["emotion-default@1.0.0"]["active"]
    assert rows["emotion-default@1.0.0"]["last_trial"]["verdict"] == "promote"
    assert rows["emotion-swapped@1.0.0"]["last_trial"]["verdict"] == "discard"


def test_cli_trial_refuses_in_one_line(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BCI_DESKTOP_DATA_DIR", str(tmp_path / "data"))
    code = main(
        [
            "models",
            "trial",
            "emotion-default",
            "--board",
            "simulated",
            "--speed",
            "max",
            "--minutes",
            "1",
        ]
    )
    err = capsys.readouterr().err
    assert code == 2
    assert err.count("\n") == 1 and "is the model in use" in err
    code = main(["models", "trial", "x", "--board", "simulated", "--min-agreement", "150"])
    assert code == 2 and "min-agreement" in capsys.readouterr().err
