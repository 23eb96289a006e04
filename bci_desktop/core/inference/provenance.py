"""Where a model's training data came from, as far as the window must tell its users.

Every model shipped with the app is a demonstration trained on the app's simulated subject:
its model card and its metadata say so (``provenance["trained_on"]`` names the simulated
subject, ``provenance["validated_on_humans"]`` is false). On the simulated subject such a
model is in its element; on anyone's real EEG its labels have never been checked, so the
window says so beside them (:data:`DEMO_MODEL_TEXT`) until the person is calibrated.
"""

from __future__ import annotations

from typing import Any

from bci_desktop.core.stream import StreamInfo

__all__ = ["DEMO_MODEL_TEXT", "demo_model_applies", "simulated_stream", "trained_on_simulated"]

#: What the window shows while a demonstration model classifies real EEG.
DEMO_MODEL_TEXT = "Demo model: trained on simulated EEG, not validated on people"

#: Words of ``provenance["trained_on"]`` that mean the app's simulated subject.
_SIMULATED = "simulated subject"


def trained_on_simulated(metadata: Any) -> bool:
    """True when a model says it was trained on the app's simulated subject.

    Parameters
    ----------
    metadata : ModelMetadata or None
        The model's metadata (anything with a ``provenance`` mapping).

    Returns
    -------
    bool
        True when ``provenance["trained_on"]`` is a text naming the simulated subject and
        the model does not claim to be validated on people (``validated_on_humans`` true).
        A calibrated model (``trained_on`` lists the person's sessions), BrainFlow's own
        classifiers and a model that says nothing are not demonstrations.
    """
    provenance = getattr(metadata, "provenance", None)
    if not isinstance(provenance, dict):
        return False
    trained_on = provenance.get("trained_on")
    if not isinstance(trained_on, str) or _SIMULATED not in trained_on.lower():
        return False
    return provenance.get("validated_on_humans") is not True


def simulated_stream(info: StreamInfo | None) -> bool:
    """True when a stream is the simulated subject (live, or a recording of it).

    Only the simulated subject knows its true state: a stream that reports true states
    (:attr:`StreamInfo.states`) is the simulated subject or a recording made from it.
    """
    return info is not None and bool(info.states)


def demo_model_applies(model_trained_on_simulated: bool, info: StreamInfo | None) -> bool:
    """Whether the window must label the predictions as a demonstration model's.

    Parameters
    ----------
    model_trained_on_simulated : bool
        :func:`trained_on_simulated` of the model in use.
    info : StreamInfo or None
        The stream classified (``None``: no stream, nothing to label).
    """
    return bool(model_trained_on_simulated) and info is not None and not simulated_stream(info)
