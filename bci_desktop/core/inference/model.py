"""Load an ONNX emotion model, check it, and run it (never unpickling anything)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnxruntime as ort

from bci_desktop.core.errors import ModelError
from bci_desktop.core.inference.channels import map_channels
from bci_desktop.core.inference.metadata import METADATA_KEY, ModelMetadata

logger = logging.getLogger(__name__)

#: How many leading bytes of a file are hashed per read.
_HASH_BLOCK = 1 << 20


def sha256_of(path: Path) -> str:
    """SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        while block := fh.read(_HASH_BLOCK):
            digest.update(block)
    return digest.hexdigest()


@dataclass(frozen=True)
class ChannelBinding:
    """Where a model's channels sit in a stream."""

    indices: tuple[int, ...]
    names: tuple[str, ...]


class EmotionModel:
    """An ONNX classifier with its embedded metadata, validated on load.

    Use :meth:`load`. One warm onnxruntime session is created and reused for every call;
    the input buffer is preallocated.
    """

    def __init__(
        self, session: ort.InferenceSession, metadata: ModelMetadata, path: Path, sha256: str
    ) -> None:
        self._session = session
        self.metadata = metadata
        self.path = path
        self.sha256 = sha256
        inp = session.get_inputs()[0]
        self._input_name = inp.name
        self._output_name = _probability_output(session, len(metadata.classes))
        self._input_shape = _declared_shape(metadata)
        self._buffer = np.zeros((1, *self._input_shape), dtype=np.float32)

    # -- construction ------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> EmotionModel:
        """Load and validate a model file.

        Raises
        ------
        ModelError
            If the file is missing, not ONNX, lacks or has invalid metadata, has an input or
            output that does not fit its metadata, or fails its own test vector.
        """
        path = Path(path)
        if not path.is_file():
            raise ModelError(f"Model file '{path}' does not exist.")
        try:
            opts = ort.SessionOptions()
            opts.intra_op_num_threads = 1
            opts.inter_op_num_threads = 1
            opts.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
            opts.log_severity_level = 3
            session = ort.InferenceSession(
                str(path), sess_options=opts, providers=["CPUExecutionProvider"]
            )
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(
                f"Model file '{path}' is not a readable ONNX model ({first[:200]})."
            ) from exc
        meta_map = session.get_modelmeta().custom_metadata_map
        if METADATA_KEY not in meta_map:
            raise ModelError(
                f"Model file '{path}' has no '{METADATA_KEY}' metadata; see docs/models.md "
                "for the metadata a BCI Desktop model must embed."
            )
        try:
            metadata = ModelMetadata.from_json(meta_map[METADATA_KEY])
        except ModelError as exc:
            raise ModelError(f"Model file '{path}': {exc}") from exc
        problems = _check_io(session, metadata)
        if problems:
            raise ModelError(
                f"Model file '{path}' does not fit its metadata: {'; '.join(problems)}."
            )
        model = cls(session, metadata, path, sha256_of(path))
        model.check_test_vector()
        logger.info("Loaded model %s from %s", metadata.label, path)
        return model

    # -- use -----------------------------------------------------------------------------
    @property
    def classes(self) -> tuple[str, ...]:
        """Class names, in the order of the probabilities."""
        return self.metadata.classes

    @property
    def input_shape(self) -> tuple[int, ...]:
        """Shape of one input (without the batch axis)."""
        return self._input_shape

    def predict_proba(self, x: np.ndarray) -> np.ndarray:
        """Probabilities (n_classes,) for one input of :attr:`input_shape`."""
        self._buffer[0] = x
        out = self._session.run([self._output_name], {self._input_name: self._buffer})[0]
        return out[0]

    def predict_proba_batch(self, x: np.ndarray) -> np.ndarray:
        """Probabilities (n, n_classes) for a batch of inputs."""
        x = np.ascontiguousarray(x, dtype=np.float32)
        return self._session.run([self._output_name], {self._input_name: x})[0]

    def bind(self, channel_names: Sequence[str]) -> ChannelBinding:
        """Find the model's channels in a stream; raise ChannelMismatchError if absent."""
        required = self.metadata.recipe.channels
        idx = map_channels(channel_names, required, what=f"Model '{self.metadata.label}'")
        return ChannelBinding(indices=idx, names=required)

    def check_test_vector(self) -> None:
        """Run the embedded test vector; raise :class:`ModelError` if outputs differ."""
        tv = self.metadata.test_vector
        x = np.asarray(tv.inputs, dtype=np.float32)
        expected = np.asarray(tv.probabilities, dtype=np.float64)
        if x.shape[1:] != (int(np.prod(self._input_shape)),) and x.shape[1:] != self._input_shape:
            raise ModelError(
                f"Model '{self.metadata.label}': its test vector has inputs of shape "
                f"{x.shape[1:]}, but the model takes {self._input_shape}."
            )
        x = x.reshape((x.shape[0], *self._input_shape))
        try:
            got = self.predict_proba_batch(x)
        except Exception as exc:
            raise ModelError(
                f"Model '{self.metadata.label}' failed on its own test vector: {exc}"
            ) from exc
        if got.shape != expected.shape:
            raise ModelError(
                f"Model '{self.metadata.label}': test vector expects output shape "
                f"{expected.shape}, the model gives {got.shape}."
            )
        err = float(np.max(np.abs(got - expected)))
        if not np.isfinite(err) or err > tv.atol:
            raise ModelError(
                f"Model '{self.metadata.label}' does not reproduce its test vector "
                f"(largest difference {err:.3g} > tolerance {tv.atol:g}); the file may be "
                "corrupt or was exported incorrectly."
            )


def _declared_shape(metadata: ModelMetadata) -> tuple[int, ...]:
    recipe = metadata.recipe
    if recipe.input_kind == "window":
        return (len(recipe.channels), recipe.window_samples)
    return (len(metadata.feature_names),)


def _probability_output(session: ort.InferenceSession, n_classes: int) -> str:
    outputs = session.get_outputs()
    for out in outputs:
        if out.name == "probabilities":
            return out.name
    for out in outputs:
        shape = out.shape
        if "float" in out.type and len(shape) == 2 and shape[-1] == n_classes:
            return out.name
    return outputs[-1].name


def _check_io(session: ort.InferenceSession, metadata: ModelMetadata) -> list[str]:
    problems: list[str] = []
    inputs = session.get_inputs()
    if len(inputs) != 1:
        problems.append(f"it has {len(inputs)} inputs, a model must have exactly one")
        return problems
    shape = _declared_shape(metadata)
    if metadata.recipe.input_kind == "features" and not metadata.feature_names:
        problems.append("'feature_names' is empty for a feature-vector model")
    got = list(inputs[0].shape[1:])
    if len(got) != len(shape) or any(
        isinstance(g, int) and g != s for g, s in zip(got, shape, strict=False)
    ):
        problems.append(
            f"its input has shape {inputs[0].shape} but the metadata declares "
            f"[batch, {', '.join(map(str, shape))}]"
        )
    if "float" not in inputs[0].type:
        problems.append(f"its input type is {inputs[0].type}, expected float")
    out_name = _probability_output(session, len(metadata.classes))
    out = next(o for o in session.get_outputs() if o.name == out_name)
    n_out = out.shape[-1] if out.shape else None
    if isinstance(n_out, int) and n_out != len(metadata.classes):
        problems.append(
            f"its output '{out_name}' has {n_out} columns but the metadata declares "
            f"{len(metadata.classes)} classes"
        )
    return problems
