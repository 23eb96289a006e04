"""The cases of ``hostile_inputs.py``: issue 12's bad inputs, built as real files.

Each :class:`Case` is one ``bci-desktop`` command (or, for the settings file the window
reads at start-up, the settings loader in a fresh interpreter) with what it must do.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tests.core import hostile

BCI = [sys.executable, "-m", "bci_desktop.cli"]


@dataclass
class Case:
    """One bad input: the command, and what it must do.

    ``expect_exit``: the exit code required (``None``: any code but 0); ``check`` returns a
    problem or ``None``; ``before`` runs just before the command (e.g. fill a disk).
    """

    item: str
    name: str
    argv: list[str]
    expect_exit: int | None = 2
    check: Callable[[Any], str | None] | None = None
    phase2: bool = False
    env: dict[str, str] = field(default_factory=dict)
    skip: str | None = None
    before: Callable[[], None] | None = None


def _cli(env: dict[str, str], *args: str) -> subprocess.CompletedProcess:
    done = subprocess.run([*BCI, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"setup failed: bci-desktop {' '.join(args)}: {done.stderr}")
    return done


def _record(env: dict[str, str], where: Path, *args: str) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    before = set(where.iterdir())
    _cli(env, "run", "--board", "simulated", "--speed", "max", "-q", "--record", str(where),
         *args)  # fmt: skip
    (folder,) = set(where.iterdir()) - before
    return folder


def _copy_session(good: Path, dest: Path, edit: Callable[[dict], None] | None = None) -> Path:
    shutil.copytree(good, dest)
    if edit is not None:
        meta_path = dest / "session.json"
        meta = json.loads(meta_path.read_text())
        edit(meta)
        meta_path.write_text(json.dumps(meta))
    return dest


def _absent(path: Path, what: str) -> Callable[[Any], str | None]:
    return lambda r: f"{what} exists" if path.exists() or path.is_symlink() else None


def _no_tmp(folder: Path) -> str | None:
    tmp = [p.name for p in folder.iterdir() if p.name.endswith(".tmp")]
    return f"temporary files left: {tmp}" if tmp else None


def _all(*checks: Callable[[Any], str | None]) -> Callable[[Any], str | None]:
    def check(result: Any) -> str | None:
        for c in checks:
            problem = c(result)
            if problem:
                return problem
        return None

    return check


def _strict_json_lines(result: Any) -> str | None:
    for line in result.stdout.splitlines():
        try:
            json.loads(line, parse_constant=lambda c: (_ for _ in ()).throw(ValueError(c)))
        except ValueError as exc:
            return f"--jsonl line is not strict JSON ({exc})"
    return None


def _mount_skip(mount: Path | None) -> str | None:
    return None if mount is not None else "mounting a tmpfs is not permitted here"


def build_cases(work: Path, env: dict[str, str], stack: ExitStack) -> list[Case]:
    """Build every input under ``work`` and return the cases (mounts stay until ``stack``
    closes)."""
    inp = work / "inputs"
    inp.mkdir(parents=True, exist_ok=True)
    sessions = work / "sessions"
    good = _record(env, sessions, "--duration", "30", "--subject", "S-good")
    train = _record(env, work / "train", "--no-model", "--duration", "80",
                    "--script", "calm:20,happy:20,calm:20,happy:20")  # fmt: skip
    cases: list[Case] = []
    add = cases.append

    # -- item 1: export onto a nearly full disk ------------------------------------------
    full = stack.enter_context(hostile.small_tmpfs("1m"))
    skip = _mount_skip(full)
    if full is not None:
        hostile.fill_disk(full, leave=200_000)
    for fmt in ("csv", "edf"):
        out = (full or work) / f"export.{fmt}"
        add(Case("1", f"export --format {fmt} onto a disk with 200 kB free", [
            *BCI, "export", str(good), "--format", fmt, "-o", str(out)],
            expect_exit=1, check=_all(_absent(out, str(out.name)),
                                      lambda r, f=full: _no_tmp(f) if f else None),
            skip=skip))  # fmt: skip

    # -- item 2: tracebacks ----------------------------------------------------------------
    for label, kwargs in [
        ("record duration 0", {"duration": "0"}),
        ("record duration 1e-9", {"duration": "1e-9"}),
        ("record duration nan", {"duration": "nan"}),
        ("0 signals", {"n_signals": 0}),
    ]:
        path = hostile.write_edf(inp / f"{label.replace(' ', '_')}.edf", **kwargs)
        add(Case("2", f"replay EDF with {label}", [*BCI, "replay", str(path), "--speed", "max"]))
    sim = [*BCI, "run", "--board", "simulated", "-q"]
    add(Case("2", "run --speed 1e308", [*sim, "--speed", "1e308", "--duration", "2"]))
    add(Case("2", "run --duration 1e308", [*sim, "--speed", "max", "--duration", "1e308"]))
    add(Case("2", "run --subject-seed -1", [*sim, "--subject-seed", "-1", "--duration", "2"]))
    for label, meta in [("sample rate 1e308", {"sample_rate": 1e308}),
                        ("window 1e12 s", {"window_s": 1e12})]:  # fmt: skip
        path = hostile.model_with_metadata(inp / f"{label.replace(' ', '_')}.onnx", **meta)
        add(Case("2", f"models validate: model metadata with {label}",
                 [*BCI, "models", "validate", str(path)]))  # fmt: skip
        add(Case("2", f"run --model: model metadata with {label}",
                 [*sim, "--speed", "max", "--duration", "2", "--model", str(path)]))  # fmt: skip
    tiny = _copy_session(good, work / "bad" / "tiny-rate",
                         lambda m: m.update(sample_rate=1e-300))  # fmt: skip
    add(
        Case(
            "2",
            "export a session whose sample rate is 1e-300",
            [*BCI, "export", str(tiny), "--format", "edf", "-o", str(work / "tiny.edf")],
        )
    )
    a_file = inp / "a-file"
    a_file.write_text("x")
    add(Case("2", "train -o into a folder that cannot exist (under a file)",
             [*BCI, "train", str(train), "-o", str(a_file / "m.onnx")]))  # fmt: skip

    # -- item 3: NaN outputs -------------------------------------------------------------
    nan_all = hostile.nan_model(inp / "nan-beside-test-vector.onnx")
    add(Case("3", "models validate: NaN for every input but the test vector",
             [*BCI, "models", "validate", str(nan_all)]))  # fmt: skip
    nan_live = hostile.nan_model(inp / "nan-when-feature-high.onnx", threshold=4.7)

    def withheld_not_labelled(result: Any) -> str | None:
        lines = [json.loads(x) for x in result.stdout.splitlines() if x.strip()]
        bad = [x for x in lines if x["label"] is not None and None in x["probabilities"].values()]
        held = [x for x in lines if x["withheld"] and "gave no probabilities" in x["withheld"]]
        if bad:
            return f"{len(bad)} predictions labelled from NaN"
        return None if held else "no prediction withheld for its NaN output"

    add(Case("3", "run a model that gives NaN on live features (--jsonl -)",
             [*sim, "--speed", "max", "--duration", "30", "--model", str(nan_live),
              "--jsonl", "-"], expect_exit=0, check=withheld_not_labelled))  # fmt: skip

    # -- item 4: models the engine cannot run -------------------------------------------
    for label, meta in [
        ("notch 1e9 Hz, order 1000", {"filters": {"notch_hz": 1e9, "order": 1000}}),
        ("hop 1e-9 s", {"hop_s": 1e-9}),
        ("latency budget NaN", {"latency_budget_ms": float("nan")}),
    ]:
        path = hostile.model_with_metadata(inp / f"m4-{len(cases)}.onnx", **meta)
        add(Case("4", f"models import: {label}", [*BCI, "models", "import", str(path)]))
    for label, atol in (("NaN", float("nan")), ("inf", float("inf"))):
        from tests.core.modelfiles import fitted, metadata_dict

        clf, x = fitted(44)
        meta = metadata_dict(clf, x)
        meta["test_vector"]["atol"] = atol
        path = hostile.model_with_raw_metadata(inp / f"atol-{label}.onnx", json.dumps(meta))
        add(Case("4", f"models import: test-vector tolerance {label}",
                 [*BCI, "models", "import", str(path)]))  # fmt: skip
    add(
        Case(
            "4",
            "models list afterwards: the default is still active",
            [*BCI, "models", "list"],
            expect_exit=0,
            check=lambda r: None if "* emotion-default" in r.stdout else "active changed",
        )
    )

    # -- item 5: hangs and unbounded memory ------------------------------------------------
    for name in ("fifo.csv", "fifo.edf"):
        path = hostile.make_fifo(inp / name)
        add(Case("5", f"replay a FIFO named {name}", [*BCI, "replay", str(path)]))
    for name in ("zero.csv", "zero.edf"):
        path = hostile.symlink_to_zero(inp / name)
        add(Case("5", f"replay a symlink to /dev/zero named {name}", [*BCI, "replay", str(path)]))
    loop = hostile.loop_model(inp / "loop-1e12.onnx")
    add(Case("5", "models import: a Loop of 10^12 iterations",
             [*BCI, "models", "import", str(loop)]))  # fmt: skip
    big = hostile.memory_model(inp / "constant-40GB.onnx")
    add(Case("5", "models import: a ConstantOfShape of 40 GB",
             [*BCI, "models", "import", str(big)]))  # fmt: skip
    fifo_cfg = work / "config-fifo"
    fifo_cfg.mkdir()
    hostile.make_fifo(fifo_cfg / "settings.json")
    load = [sys.executable, "-c",
            "from bci_desktop.core.settings import load_settings; s, w = load_settings(); "
            "print(len(w), 'warning(s)')"]  # fmt: skip
    add(
        Case(
            "5",
            "settings.json is a FIFO (the settings loader the window starts with)",
            load,
            expect_exit=0,
            env={"BCI_DESKTOP_CONFIG_DIR": str(fifo_cfg)},
        )
    )

    # -- item 6: small files, huge allocations ---------------------------------------------
    many = hostile.write_edf(inp / "9999-signals.edf", n_signals=9999, samples_per_record=4,
                             n_records=1000)  # fmt: skip
    add(Case("6", f"replay an EDF of {many.stat().st_size / 1e6:.0f} MB declaring 9,999 signals",
             [*BCI, "replay", str(many), "--speed", "max"]))  # fmt: skip
    lying = hostile.write_edf(inp / "declares-1e6-records.edf", n_signals=64,
                              samples_per_record=256, n_records=10**6,
                              data_records_written=600)  # fmt: skip
    add(Case("6", f"replay an EDF of {lying.stat().st_size / 1e6:.0f} MB declaring 10^6 records",
             [*BCI, "replay", str(lying), "--speed", "max"]))  # fmt: skip
    wide = hostile.write_edf(inp / "1000-signals-22MB.edf", n_signals=1000,
                             samples_per_record=256, n_records=43)  # fmt: skip
    add(Case("6", f"replay an EDF of {wide.stat().st_size / 1e6:.0f} MB with 1,000 signals "
             "(valid: plays)", [*BCI, "replay", str(wide), "--speed", "max", "--no-model",
                               "--duration", "5", "-q"], expect_exit=0))  # fmt: skip

    # -- item 7: a read-only data folder ---------------------------------------------------
    ro = stack.enter_context(hostile.small_tmpfs("8m"))
    ro_skip = _mount_skip(ro)
    if ro is not None:
        ro_env = {**env, "BCI_DESKTOP_DATA_DIR": str(ro)}
        path = hostile.model_with_metadata(inp / "lab.onnx", name="lab")
        _cli(ro_env, "models", "import", str(path), "--activate")
        if not hostile.remount_read_only(ro):
            ro_skip = "remounting read-only is not permitted here"
    ro_env = {"BCI_DESKTOP_DATA_DIR": str(ro or work)}
    add(Case("7", "models list on a read-only data folder", [*BCI, "models", "list"],
             expect_exit=0, env=ro_env, skip=ro_skip))  # fmt: skip
    add(Case("7", "run on a read-only data folder",
             [*sim, "--speed", "max", "--duration", "3"], expect_exit=0, env=ro_env,
             skip=ro_skip))  # fmt: skip

    # -- item 8 (phase 2): a failing --jsonl stops only itself -----------------------------
    jfull = stack.enter_context(hostile.small_tmpfs("256k"))
    rec8 = work / "rec8"

    def whole_recording(result: Any) -> str | None:
        folders = list(rec8.iterdir()) if rec8.is_dir() else []
        if len(folders) != 1:
            return "no recording"
        meta = json.loads((folders[0] / "session.json").read_text())
        n = meta.get("n_samples") or 0
        return None if n >= 29 * 250 else f"recording stopped at {n / 250:.1f} s of 30"

    add(Case("8", "run --jsonl onto a full disk while recording elsewhere",
             [*sim, "--speed", "max", "--duration", "30", "--record", str(rec8),
              "--jsonl", str((jfull or work) / "p.jsonl")], expect_exit=None,
             check=whole_recording, phase2=True, skip=_mount_skip(jfull),
             before=lambda: jfull and hostile.fill_disk(jfull)))  # fmt: skip

    # -- item 9: JSON nested 100,000 deep --------------------------------------------------
    deep = hostile.deep_json(100_000)
    listing = work / "listing"
    _copy_session(good, listing / "20250101-000000")
    (_copy_session(good, listing / "20250102-000000") / "session.json").write_text(deep)
    add(Case("9", "sessions: one session.json nested 100,000 deep among good ones",
             [*BCI, "sessions", "--dir", str(listing)], expect_exit=0,
             check=lambda r: None if "20250101-000000" in r.stdout and "broken" in r.stdout
             else "the good session is not listed"))  # fmt: skip
    dp = _copy_session(good, work / "bad" / "deep-predictions")
    with open(dp / "predictions.jsonl", "a") as fh:
        fh.write(deep + "\n")
    add(Case("9", "export a session whose predictions.jsonl has a 100,000-deep line",
             [*BCI, "export", str(dp), "--format", "predictions", "-o",
              str(work / "deep-pred.csv")], expect_exit=0))  # fmt: skip
    add(Case("9", "replay that session", [*BCI, "replay", str(dp), "--speed", "max", "-q",
                                          "--duration", "5"], expect_exit=0))  # fmt: skip
    deep_model = hostile.model_with_raw_metadata(inp / "deep-metadata.onnx", deep)
    add(Case("9", "models validate: metadata nested 100,000 deep",
             [*BCI, "models", "validate", str(deep_model)]))  # fmt: skip
    add(Case("9", "run --model: metadata nested 100,000 deep",
             [*sim, "--duration", "2", "--model", str(deep_model)]))  # fmt: skip
    deep_cfg = work / "config-deep"
    deep_cfg.mkdir()
    (deep_cfg / "settings.json").write_text(deep)
    add(Case("9", "settings.json nested 100,000 deep (the settings loader)", load,
             expect_exit=0, env={"BCI_DESKTOP_CONFIG_DIR": str(deep_cfg)}))  # fmt: skip

    # -- item 10: temporary files at guessable names ---------------------------------------
    t10 = work / "t10"
    t10.mkdir()
    victim = t10 / "victim.txt"
    victim.write_text("precious\n")
    for name in ("personal.onnx.tmp", ".personal.onnx.tmp"):
        (t10 / name).symlink_to(victim)
    target = t10 / "personal.onnx"

    def model_written_victim_kept(result: Any) -> str | None:
        if victim.read_text() != "precious\n":
            return "the symlink's target was overwritten"
        if target.is_symlink() or not target.is_file():
            return "the model is not a regular file"
        return None

    add(Case("10", "train -o MODEL.onnx with symlinks planted at MODEL.onnx.tmp",
             [*BCI, "train", str(train), "-o", str(target)], expect_exit=0,
             check=model_written_victim_kept))  # fmt: skip
    out10 = t10 / "out.edf"
    for pid in range(os.getpid(), os.getpid() + 200):
        (t10 / f".out.edf.{pid}.tmp").symlink_to(victim)
    add(
        Case(
            "10",
            "export with symlinks planted at .NAME.PID.tmp for 200 next pids",
            [*BCI, "export", str(good), "--format", "edf", "-o", str(out10)],
            expect_exit=0,
            check=lambda r: (
                None
                if victim.read_text() == "precious\n"
                and out10.is_file()
                and not out10.is_symlink()
                else "the symlink's target was overwritten"
            ),
        )
    )

    # -- item 11: privacy --------------------------------------------------------------------
    rec11 = work / "rec11"
    log11 = work / "log11"

    def private(result: Any) -> str | None:
        (folder,) = list(rec11.iterdir())
        if "Alice" in folder.name:
            return f"the subject is in the folder name {folder.name}"
        if stat.S_IMODE(folder.stat().st_mode) != 0o700:
            return f"folder mode {oct(stat.S_IMODE(folder.stat().st_mode))}"
        loose = [p.name for p in folder.iterdir() if stat.S_IMODE(p.stat().st_mode) != 0o600]
        if loose:
            return f"files not 0600: {loose}"
        log = log11 / "bci-desktop.log"
        if stat.S_IMODE(log.stat().st_mode) != 0o600:
            return f"log mode {oct(stat.S_IMODE(log.stat().st_mode))}"
        if "Alice" in log.read_text():
            return "the subject is in the log"
        return None

    add(Case("11", "run --record --subject 'Alice Smith': modes and names",
             [*BCI, "--log-level", "debug", "run", "--board", "simulated", "-q", "--speed",
              "max", "--duration", "5", "--record", str(rec11), "--subject", "Alice Smith"],
             expect_exit=0, check=private,
             env={"BCI_DESKTOP_LOG_DIR": str(log11)}))  # fmt: skip

    # -- item 12: escape injection ---------------------------------------------------------
    esc = work / "escapes"
    _copy_session(
        good,
        esc / "20250103-000000",
        lambda m: m.update(
            subject="\x1b[2J\x1b[31mEVIL\nfake row", source_name="board\r\x1b]0;title\x07"
        ),
    )
    add(Case("12", "sessions: subject and source name with ANSI escapes and newlines",
             [*BCI, "sessions", "--dir", str(esc)], expect_exit=0,
             check=lambda r: "raw control characters printed" if re.search(
                 r"[\x00-\x08\x0b-\x1f\x7f]", r.stdout) or r.stdout.count("\n") != 2
             else None))  # fmt: skip

    # -- item 13: exit codes ---------------------------------------------------------------
    garbage = inp / "garbage.csv"
    garbage.write_text("this is not\ta BrainFlow file\n")
    add(Case("13", "replay a corrupt CSV", [*BCI, "replay", str(garbage)]))
    broken = _copy_session(good, work / "bad" / "broken")
    (broken / "session.json").write_text("{ not json")
    add(
        Case(
            "13",
            "export a broken session folder",
            [*BCI, "export", str(broken), "--format", "edf", "-o", str(work / "b.edf")],
        )
    )
    add(Case("13", "replay a broken session folder", [*BCI, "replay", str(broken)]))
    rfull = stack.enter_context(hostile.small_tmpfs("256k"))
    add(Case("13", "run --record onto a 256 kB disk (recording stops)",
             [*sim, "--speed", "max", "--duration", "20", "--record", str(rfull or work)],
             expect_exit=None, phase2=True, skip=_mount_skip(rfull)))  # fmt: skip
    binary = inp / "binary.csv"
    binary.write_bytes(os.urandom(20_000))
    add(Case("13", "playback-file board fed a binary file",
             ["bci-desktop" if shutil.which("bci-desktop") else BCI[0], *([] if shutil.which(
                 "bci-desktop") else BCI[1:]), "run", "--board", "playback_file", "--file",
              str(binary), "--master-board", "synthetic", "--duration", "3", "-q"],
             expect_exit=None, phase2=True))  # fmt: skip

    # -- item 14 (phase 2): --jsonl is strict JSON ------------------------------------------
    nan_ts = _copy_session(good, work / "bad" / "nan-timestamps")
    import numpy as np

    meta = json.loads((nan_ts / "session.json").read_text())
    raw = np.fromfile(nan_ts / "samples.f64", dtype="<f8").reshape(-1, len(meta["rows"]))
    raw[:, meta["timestamp_row"]] = np.nan
    raw.tofile(nan_ts / "samples.f64")
    add(
        Case(
            "14",
            "replay with NaN timestamps --jsonl -: strict JSON",
            [
                *BCI,
                "replay",
                str(nan_ts),
                "--speed",
                "max",
                "--duration",
                "10",
                "--jsonl",
                "-",
                "-q",
            ],
            expect_exit=0,
            check=_strict_json_lines,
            phase2=True,
        )
    )

    # -- item 15: the smaller ones ---------------------------------------------------------
    exists = inp / "exists.onnx"
    exists.write_bytes(b"old")
    add(Case("15", "train -o an existing file: names --overwrite",
             [*BCI, "train", str(train), "-o", str(exists)],
             check=lambda r: None if "--overwrite" in r.stderr and "--force" not in r.stderr
             else "does not name --overwrite"))  # fmt: skip
    folder15 = work / "a-folder"
    folder15.mkdir()
    add(Case("15", "train -o DIR --overwrite", [*BCI, "train", str(train), "-o", str(folder15),
                                                "--overwrite"],
             check=lambda r: _no_tmp(work)))  # fmt: skip
    rec15 = stack.enter_context(hostile.small_tmpfs("256k"))
    skip15 = _mount_skip(rec15)
    if rec15 is not None:
        crashed = _record({**env, "BCI_DESKTOP_DATA_DIR": str(rec15)}, rec15, "--no-model",
                          "--duration", "2")  # fmt: skip
        meta_path = crashed / "session.json"
        meta = json.loads(meta_path.read_text())
        meta.update(status="recording", n_samples=None, ended=None)
        meta_path.write_text(json.dumps(meta))
        (crashed / "events.jsonl").write_text("")
    else:
        crashed = work / "none"

    def once_recovered(result: Any) -> str | None:
        events = (crashed / "events.jsonl").read_text().count('"recovered"')
        if events != 1:
            return f"{events} 'recovered' events"
        return _no_tmp(crashed)

    add(Case("15", "sessions --recover on a full disk", [*BCI, "sessions", "--dir", str(rec15),
                                                         "--recover"], expect_exit=1,
             check=lambda r: _no_tmp(crashed), skip=skip15,
             before=lambda: rec15 and hostile.fill_disk(rec15)))  # fmt: skip
    add(
        Case(
            "15",
            "sessions --recover again once there is room",
            [*BCI, "sessions", "--dir", str(rec15), "--recover"],
            expect_exit=0,
            check=once_recovered,
            skip=skip15,
            before=lambda: rec15 and (rec15 / "filler").unlink(missing_ok=True),
        )
    )
    hz1 = hostile.write_edf(inp / "1-hz.edf", samples_per_record=1, n_records=60)
    add(
        Case(
            "15",
            "replay a 1 Hz EDF (filters off, no model): no 'chunk_s' message",
            [
                *BCI,
                "replay",
                str(hz1),
                "--speed",
                "max",
                "--no-model",
                "--notch",
                "off",
                "--bandpass",
                "off",
                "-q",
            ],
            check=lambda r: "internal message" if "chunk_s" in r.stderr else None,
        )
    )
    secret = inp / "secret.csv"
    secret.write_text("1\t2\nSECRET-PATIENT-NAME\x1b[2J\t3\n")
    add(
        Case(
            "15",
            "replay a CSV: the error quotes no file content",
            [*BCI, "replay", str(secret)],
            check=lambda r: "content quoted" if "SECRET" in r.stderr else None,
        )
    )
    add(Case("15", "sessions --dir /nonexistent", [*BCI, "sessions", "--dir", "/nonexistent"]))
    return cases
