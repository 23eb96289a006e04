"""Test-wide settings.

Hypothesis runs derandomized by default (the ``repeatable`` profile): the fuzz tests try the
same inputs on every run, so CI and the README's test command pass or fail
reproducibly. ``HYPOTHESIS_PROFILE=explore python -m pytest tests/core/test_fuzz.py
--hypothesis-seed N`` draws new inputs (that is how the float32 test-vector overflow and
BrainFlow's abort on ``1e999`` were found); a failure it finds becomes a regular test.
"""

from __future__ import annotations

import os

from hypothesis import settings

settings.register_profile("repeatable", derandomize=True, database=None)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))
