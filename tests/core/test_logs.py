"""The console shows one line per log record; tracebacks go to the log file only."""

from __future__ import annotations

import logging

from bci_desktop.core.logs import ROOT, setup_logging


def test_console_lines_carry_no_traceback_the_log_file_does(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("BCI_DESKTOP_LOG_DIR", str(tmp_path / "logs"))
    path = setup_logging(logging.WARNING)
    try:
        log = logging.getLogger(f"{ROOT}.test")
        try:
            raise OSError("the disk is full")
        except OSError:
            log.exception("Saving failed")
        log.info("Model switched to x@1.")  # informational: not on the console
        log.warning("Board 'cyton' needs a serial port.")
        err = capsys.readouterr().err.splitlines()
        assert err == [
            "bci-desktop: ERROR: Saving failed",
            "bci-desktop: WARNING: Board 'cyton' needs a serial port.",
        ]
        for handler in logging.getLogger(ROOT).handlers:
            handler.flush()
        text = path.read_text(encoding="utf-8")
        assert "Traceback (most recent call last)" in text and "the disk is full" in text
        assert "Model switched to x@1." in text
    finally:
        setup_logging(logging.WARNING, console=False)
