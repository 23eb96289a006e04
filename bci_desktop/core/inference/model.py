"""Load an ONNX emotion model, check it, and run it (never unpickling anything)."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

import numpy as np
import onnxruntime as ort

from bci_desktop.core.errors import ModelError
from bci_desktop.core.inference.metadata import ModelMetadata
from bci_desktop.core.inference.validation import (
    ModelValidationError,
    ValidationReport,
    declared_input_shape,
    io_problems,
    open_session,
    output_problems,
    probability_output,
    read_metadata,
    read_model_bytes,
)

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
        self._output_name = probability_output(session, len(metadata.classes))
        self._input_shape = declared_input_shape(metadata)
        self._buffer = np.zeros((1, *self._input_shape), dtype=np.float32)

    # -- construction ------------------------------------------------------------------
    @classmethod
    def load(cls, path: str | Path) -> EmotionModel:
        """Load and validate a model file.

        The file is validated exactly as the registry validates it (every check of
        :mod:`.validation` but the latency measurement), in a child process with a time and
        memory limit (:mod:`.sandbox`); only bytes that passed are opened here.

        Raises
        ------
        ModelValidationError
            If the file is missing, not a regular file, not ONNX, lacks or has invalid
            metadata, has an input or output that does not fit its metadata, fails its own
            test vector or its probes (outputs not finite probabilities, or not the expected
            ones), or runs longer or needs more memory than a model may. The message lists
            every problem found.
        """
        from bci_desktop.core.inference.sandbox import validate_isolated

        path = Path(path)
        try:
            data, sha = read_model_bytes(path)
        except ModelError as exc:
            report = ValidationReport(path, False, (str(exc),))
            raise ModelValidationError(str(exc), report) from exc
        report = validate_isolated(data, path, sha256=sha, runs=0)
        if not report.ok:
            reasons = "; ".join(r.rstrip(".") for r in report.reasons)
            raise ModelValidationError(f"Model file '{path}' was refused: {reasons}.", report)
        session = open_session(data, path)
        metadata = read_metadata(session, path)
        model = cls(session, metadata, path, sha)
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

    def check_test_vector(self) -> None:
        """Run the embedded test vector; raise :class:`ModelError` if outputs are wrong."""
        problems = output_problems(self._session, self.metadata)
        if problems:
            raise ModelError(f"Model '{self.metadata.label}': {'; '.join(problems)}.")

    @property
    def latency_budget_ms(self) -> float:
        """The model's latency budget per prediction (ms)."""
        return self.metadata.latency_budget_ms


# Kept for callers of the former private helpers.
_declared_shape = declared_input_shape
_probability_output = probability_output
_check_io = io_problems
