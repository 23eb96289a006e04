"""Write a linear softmax classifier as an ONNX file, with no ONNX library at all.

A personal model is ``probabilities = softmax(x @ W + b)`` (a standardised logistic
regression, the standardisation folded into ``W`` and ``b``). That graph is two operators:
``Gemm`` and ``Softmax``. Writing it needs only the protocol-buffer wire format of ONNX's
``ModelProto`` (https://github.com/onnx/onnx/blob/main/onnx/onnx.proto), which is short:
varints, length-delimited fields and little-endian floats. Doing it here keeps training in
the default install and in the stand-alone app, which leave the ``onnx`` package (and
scikit-learn and skl2onnx) out; onnxruntime loads the result like any other model file, and
the tests check it with ``onnx.checker`` where the package is installed.
"""

from __future__ import annotations

import struct
from collections.abc import Iterable, Mapping

import numpy as np

__all__ = ["IR_VERSION", "OPSET", "linear_softmax_onnx"]

#: ONNX IR version 8 goes with opset 17, which every onnxruntime the app supports runs.
IR_VERSION = 8
OPSET = 17

# Wire types of the protocol-buffer encoding.
_VARINT, _LEN, _FIXED32 = 0, 2, 5
# TensorProto.DataType and AttributeProto.AttributeType values used here.
_FLOAT = 1
_ATTR_FLOAT, _ATTR_INT = 1, 2


def _varint(value: int) -> bytes:
    if value < 0:
        value += 1 << 64  # int64 fields: two's complement, ten bytes
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def _key(field: int, wire: int) -> bytes:
    return _varint((field << 3) | wire)


def _int(field: int, value: int) -> bytes:
    return _key(field, _VARINT) + _varint(int(value))


def _bytes(field: int, value: bytes) -> bytes:
    return _key(field, _LEN) + _varint(len(value)) + value


def _str(field: int, value: str) -> bytes:
    return _bytes(field, value.encode("utf-8"))


def _float(field: int, value: float) -> bytes:
    return _key(field, _FIXED32) + struct.pack("<f", float(value))


def _tensor(name: str, array: np.ndarray) -> bytes:
    """TensorProto: dims (1), data_type (2), name (8), raw_data (9, little-endian)."""
    data = np.ascontiguousarray(array, dtype="<f4")
    out = b"".join(_int(1, d) for d in data.shape)
    return out + _int(2, _FLOAT) + _str(8, name) + _bytes(9, data.tobytes())


def _value_info(name: str, dims: Iterable[int | str]) -> bytes:
    """ValueInfoProto of a float tensor; a ``str`` dimension is symbolic (the batch)."""
    shape = b"".join(
        _bytes(1, _str(2, d) if isinstance(d, str) else _int(1, d)) for d in dims
    )  # TensorShapeProto.dim: dim_value (1) or dim_param (2)
    tensor_type = _int(1, _FLOAT) + _bytes(2, shape)  # TypeProto.Tensor: elem_type, shape
    return _str(1, name) + _bytes(2, _bytes(1, tensor_type))  # name, type.tensor_type


def _attribute(name: str, value: int | float) -> bytes:
    """AttributeProto: name (1), f (2) or i (3), type (20)."""
    if isinstance(value, float):
        return _str(1, name) + _float(2, value) + _int(20, _ATTR_FLOAT)
    return _str(1, name) + _int(3, value) + _int(20, _ATTR_INT)


def _node(
    op: str, inputs: Iterable[str], outputs: Iterable[str], name: str, **attrs: int | float
) -> bytes:
    """NodeProto: input (1), output (2), name (3), op_type (4), attribute (5)."""
    out = b"".join(_str(1, i) for i in inputs) + b"".join(_str(2, o) for o in outputs)
    out += _str(3, name) + _str(4, op)
    return out + b"".join(_bytes(5, _attribute(k, v)) for k, v in attrs.items())


def linear_softmax_onnx(
    weights: np.ndarray,
    bias: np.ndarray,
    *,
    input_name: str = "features",
    metadata: Mapping[str, str] | None = None,
    doc: str = "",
    producer: str = "bci-desktop",
    producer_version: str = "",
) -> bytes:
    """The bytes of an ONNX model computing ``softmax(x @ weights + bias)``.

    Parameters
    ----------
    weights : ndarray, shape (n_features, n_classes)
    bias : ndarray, shape (n_classes,)
    input_name : str
        Name of the one input, float32 ``[batch, n_features]``.
    metadata : mapping of str to str
        ``metadata_props`` entries (the app's JSON goes under ``"bci_desktop"``).
    doc : str
        The model's ``doc_string``.

    Returns
    -------
    bytes
        A serialised ``ModelProto`` whose output ``probabilities`` is float32
        ``[batch, n_classes]``.
    """
    w = np.asarray(weights, dtype=np.float64)
    b = np.asarray(bias, dtype=np.float64)
    if w.ndim != 2 or b.shape != (w.shape[1],) or w.shape[1] < 2 or w.shape[0] < 1:
        raise ValueError(
            f"weights must be (n_features, n_classes >= 2) and bias (n_classes,), got "
            f"{w.shape} and {b.shape}"
        )
    if not (np.isfinite(w).all() and np.isfinite(b).all()):
        raise ValueError("weights and bias must be finite")
    n_features, n_classes = w.shape
    graph = b"".join(
        (
            _bytes(1, _node("Gemm", (input_name, "W", "B"), ("logits",), "linear")),
            _bytes(1, _node("Softmax", ("logits",), ("probabilities",), "softmax", axis=1)),
            _str(2, "linear_softmax"),
            _bytes(5, _tensor("W", w)),
            _bytes(5, _tensor("B", b)),
            _bytes(11, _value_info(input_name, ("batch", n_features))),
            _bytes(12, _value_info("probabilities", ("batch", n_classes))),
        )
    )
    model = _int(1, IR_VERSION)
    model += _str(2, producer)
    if producer_version:
        model += _str(3, producer_version)
    if doc:
        model += _str(6, doc)
    model += _bytes(7, graph)
    model += _bytes(8, _str(1, "") + _int(2, OPSET))  # OperatorSetIdProto: default domain
    for key, value in (metadata or {}).items():
        model += _bytes(14, _str(1, key) + _str(2, value))  # StringStringEntryProto
    return model
