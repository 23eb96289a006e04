"""The latency fallback: which model the engine runs, the chosen one or a faster one.

Every model the engine runs gets a :class:`~bci_desktop.core.inference.latency_guard.LatencyGuard`
that compares its measured p99 latency with the budget in its metadata. When the model the
user chose (the *primary*) goes over its budget, the engine warns once; when a fallback
model for the same classes is armed (``EngineConfig.fallback_model``,
:meth:`Engine.set_fallback_model`), predictions come from the fallback until, after
``latency_retry_s`` of stream, the primary is tried again (the wait doubles each time it
trips again, up to 16 times).

:class:`LatencyFallback` is that state machine. It decides *when* to switch; the engine
owns the models and does the switching (planning the model on the stream, keeping its
buffers), through the ``switch`` callable it hands in.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from bci_desktop.core.errors import ConfigError
from bci_desktop.core.inference.latency_guard import LatencyGuard

if TYPE_CHECKING:
    from bci_desktop.core.prediction import Classifier

logger = logging.getLogger(__name__)

__all__ = ["LatencyFallback"]


class LatencyFallback:
    """The primary model, the fallback, and when predictions come from which.

    Parameters
    ----------
    switch : callable
        ``switch(model)`` makes the engine run ``model`` from the next hop on and returns
        True; when the model cannot run on the stream it logs why, returns False, and the
        engine keeps the model it had.
    latency_window : int
        Predictions over which each model's p99 latency is compared with its budget.
    retry_hops : int
        Hops on the fallback before the primary is tried again the first time.

    Notes
    -----
    The engine tells it what happened: :meth:`committed` whenever it starts running a model
    (each gets a fresh latency guard), :meth:`chose` / :meth:`cleared` when the user picks
    a model or none, and :meth:`after_prediction` once per prediction.
    """

    def __init__(
        self,
        switch: Callable[[Classifier], bool],
        *,
        latency_window: int,
        retry_hops: int,
    ) -> None:
        self._switch = switch
        self._latency_window = latency_window
        self._retry_base = retry_hops
        self._primary: Classifier | None = None
        self._fallback: Classifier | None = None
        self._active = False
        self._fallback_hops = 0
        self._retry_hops = 0
        self._guard: LatencyGuard | None = None
        self._primary_guard: LatencyGuard | None = None
        self._warned: set[str] = set()

    @property
    def primary(self) -> Classifier | None:
        """The model the user chose (the engine's model differs while on the fallback)."""
        return self._primary

    @property
    def fallback(self) -> Classifier | None:
        """The model used while the primary one is over its latency budget."""
        return self._fallback

    @property
    def active(self) -> bool:
        """True while predictions come from the fallback model."""
        return self._active

    @property
    def primary_guard(self) -> LatencyGuard | None:
        """The latency guard of the primary model."""
        return self._primary_guard

    # -- what the engine did -------------------------------------------------------------
    def committed(self, model: Classifier | None) -> None:
        """The engine now runs ``model`` (``None``: features only): a fresh guard measures it."""
        self._guard = None
        if model is not None:
            self._guard = LatencyGuard(
                model.metadata.latency_budget_ms, window=self._latency_window
            )

    def chose(self, model: Classifier) -> None:
        """The user chose ``model``, which the engine has just committed: it is the primary."""
        self._primary = model
        self._primary_guard = self._guard
        self._active = False
        self._retry_hops = self._retry_base

    def cleared(self) -> None:
        """The user chose no model: nothing is measured and nothing falls back."""
        self._primary = None
        self._guard = self._primary_guard = None
        self._active = False

    # -- the fallback --------------------------------------------------------------------
    def check_fallback(self, model: Classifier) -> None:
        """Raise if ``model`` cannot stand in for the primary model.

        Raises
        ------
        ConfigError
            If it predicts other classes than the primary model.
        """
        primary = self._primary
        if primary is not None and tuple(model.classes) != tuple(primary.classes):
            raise ConfigError(
                f"The fallback model '{model.metadata.label}' predicts "
                f"{', '.join(model.classes)}, but '{primary.metadata.label}' predicts "
                f"{', '.join(primary.classes)}: a fallback must predict the same classes."
            )

    def set_fallback(self, model: Classifier | None, *, current: Classifier | None) -> None:
        """Arm ``model`` as the fallback (``None``: disarm, back to the primary at once).

        ``current`` is the model the engine runs now; ``model`` has been checked with
        :meth:`check_fallback` and the engine's own checks.
        """
        if model is None and self._active and self._primary is not None:
            self._use(self._primary, self._primary_guard)
            self._active = False
        self._fallback = model
        guard = self._primary_guard
        if (
            model is not None
            and not self._active
            and current is self._primary
            and guard is not None
            and guard.over_budget
        ):  # armed while the primary is already over budget: no new trip will come
            self._start_fallback(model, self._primary.metadata.label, logger.warning)

    def after_prediction(self, model: Classifier, latency_ms: float, *, labelled: bool) -> None:
        """Account for one prediction of ``model`` (``labelled``: it gave a label).

        Only predictions with a label are measured; one from the fallback brings the retry
        of the primary model nearer.
        """
        if labelled:
            self._watch_latency(model, latency_ms)
        if self._active and model is self._fallback:
            self._fallback_hops += 1
            if self._fallback_hops >= self._retry_hops and self._primary is not None:
                self._retry_primary()

    # -- switching -----------------------------------------------------------------------
    def _use(self, model: Classifier, guard: LatencyGuard | None) -> None:
        """Switch the model in use (fallback or back to the primary) without raising."""
        if self._switch(model) and guard is not None:
            self._guard = guard

    def _watch_latency(self, model: Classifier, latency_ms: float) -> None:
        guard = self._guard
        if guard is None or not guard.add(latency_ms):
            return
        label = model.metadata.label
        first = label not in self._warned
        self._warned.add(label)
        log = logger.warning if first else logger.info
        log(
            "Model %s: p99 latency %.3f ms over the last %d predictions exceeds its budget of "
            "%g ms on this machine.",
            label,
            guard.p99,
            min(guard.count, guard.window),
            guard.budget_ms,
        )
        if model is not self._primary or self._active:
            return
        fallback = self._fallback
        if fallback is None or fallback is model:
            return
        if tuple(fallback.classes) != tuple(model.classes):
            log("No latency fallback: %s predicts other classes.", fallback.metadata.label)
            return
        self._start_fallback(fallback, label, log)

    def _start_fallback(self, fallback: Classifier, label: str, log: Callable) -> None:
        log("Switching to the faster model %s until %s is within its budget again.",
            fallback.metadata.label, label)  # fmt: skip
        self._active = True
        self._fallback_hops = 0
        self._use(fallback, None)

    def _retry_primary(self) -> None:
        primary = self._primary
        logger.info(
            "Trying model %s again after %d hops on the fallback.",
            primary.metadata.label,
            self._fallback_hops,
        )
        self._active = False
        self._retry_hops = min(self._retry_hops * 2, 16 * self._retry_base)
        self._use(primary, None)
        self._primary_guard = self._guard
