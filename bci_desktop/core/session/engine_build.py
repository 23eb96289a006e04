"""The engine of a stream session: the chosen model with the filters asked for."""

from __future__ import annotations

from collections.abc import Callable

from bci_desktop.core.engine import Engine, EngineConfig
from bci_desktop.core.errors import ChannelMismatchError, ConfigError
from bci_desktop.core.lsl.clock import LslClock
from bci_desktop.core.session.models import ResolvedModel
from bci_desktop.core.session.options import FilterOverrides, SessionOptions
from bci_desktop.core.session.status import NoticeLevel
from bci_desktop.core.stream import StreamInfo

__all__ = ["build_engine"]


def build_engine(
    info: StreamInfo,
    options: SessionOptions,
    resolved: ResolvedModel,
    clock: LslClock | None,
    notice: Callable[[str, NoticeLevel], None],
) -> Engine:
    """The engine for the stream ``info`` with the resolved model and the options' filters.

    Filter overrides apply to the model's filters; filters that cannot run at the stream's
    rate fall back to the model's when the options allow it (with a ``notice``).

    Raises
    ------
    ConfigError
        If the model the user named does not fit the montage and must not run unfit.
    """
    model = resolved.model
    base = model.metadata.recipe.filters if model is not None else None
    filters = options.filters
    if isinstance(filters, FilterOverrides):
        from bci_desktop.core.dsp.filters import FilterSettings

        filters = filters.apply(base or FilterSettings())
    if filters is not None and options.keep_model_filters_if_invalid:
        try:
            filters.validate(info.sample_rate)
        except ConfigError as exc:
            notice(f"{exc} Using the model's filters instead.", NoticeLevel.WARNING)
            filters = None
    strict = resolved.explicit and options.refuse_unfit_model
    config = EngineConfig(filters, strict_channels=strict, source_clock=clock and clock.now)
    try:
        return Engine(info, model=model, config=config)
    except ChannelMismatchError as exc:
        raise ConfigError(f"{exc} Choose a model made for this montage.") from exc
