"""Read an EDF/BDF file for replay, after checking that its header tells the truth.

An EDF header is a few hundred bytes of text that says how much data follows: the number of
signals, samples per record, record duration and count. A header that lies (9,999 signals,
a record of 0 or NaN seconds, more records than the file holds) made the reader allocate
gigabytes or fail deep inside with ``ZeroDivisionError``. :func:`check_edf_header` reads the
fixed-width header itself and compares what it declares with the file's real size and with
:mod:`bci_desktop.core.limits` before edfio reads anything; :func:`read_edf_file` then reads
the file through one descriptor opened as a regular file.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING, BinaryIO

from bci_desktop.core.limits import MAX_CHANNELS, MAX_REPLAY_BYTES, MAX_SAMPLE_RATE

if TYPE_CHECKING:
    from edfio import Bdf, Edf

__all__ = ["EdfHeader", "EdfProblem", "check_edf_header", "read_edf_file"]

_MAIN = 256
_PER_SIGNAL = 256
_ANNOTATION_LABELS = ("EDF Annotations", "BDF Annotations")


class EdfProblem(ValueError):
    """What is wrong with an EDF/BDF file, as a phrase ("the file is truncated ...")."""


@dataclass(frozen=True)
class EdfHeader:
    """What the fixed part of an EDF/BDF header declares, checked against the file."""

    bdf: bool
    n_signals: int
    header_bytes: int
    n_records: int
    record_duration: float
    samples_per_record: tuple[int, ...]
    labels: tuple[str, ...]

    @property
    def bytes_per_sample(self) -> int:
        """2 (EDF) or 3 (BDF)."""
        return 3 if self.bdf else 2

    @property
    def record_bytes(self) -> int:
        """Bytes of one data record."""
        return sum(self.samples_per_record) * self.bytes_per_sample


def _text(raw: bytes, what: str) -> str:
    try:
        return raw.decode("ascii").strip()
    except UnicodeDecodeError:
        raise EdfProblem(f"its header field '{what}' is not ASCII text") from None


def _int(raw: bytes, what: str) -> int:
    text = _text(raw, what)
    try:
        return int(text)
    except ValueError:
        raise EdfProblem(f"its header field '{what}' is not a whole number") from None


def _float(raw: bytes, what: str) -> float:
    text = _text(raw, what)
    try:
        value = float(text)
    except ValueError:
        raise EdfProblem(f"its header field '{what}' is not a number") from None
    return value


def check_edf_header(fh: BinaryIO, size: int) -> EdfHeader:
    """Read and check the header of an open EDF/BDF file of ``size`` bytes.

    Raises
    ------
    EdfProblem
        If the header is not EDF/BDF, declares no signals or more than
        :data:`~bci_desktop.core.limits.MAX_CHANNELS`, a record duration that is not a
        positive number, a sample rate above
        :data:`~bci_desktop.core.limits.MAX_SAMPLE_RATE`, more data than the file holds,
        or more than :data:`~bci_desktop.core.limits.MAX_REPLAY_BYTES` once decoded.
    """
    fh.seek(0)
    main = fh.read(_MAIN)
    if len(main) < _MAIN:
        raise EdfProblem("the file is too short to be EDF/BDF")
    bdf = main[:1] == b"\xff"
    if not bdf and main[:8] != b"0       ":
        raise EdfProblem("it is not an EDF/BDF file (it does not start like one)")
    header_bytes = _int(main[184:192], "number of bytes in header")
    n_records = _int(main[236:244], "number of data records")
    duration = _float(main[244:252], "duration of a data record")
    ns = _int(main[252:256], "number of signals")
    if ns < 1:
        raise EdfProblem(f"its header declares {ns} signals: there is nothing to replay")
    if ns > MAX_CHANNELS:
        raise EdfProblem(f"its header declares {ns} signals, more than the {MAX_CHANNELS} read")
    if header_bytes != _MAIN + _PER_SIGNAL * ns or header_bytes > size:
        raise EdfProblem(
            f"its header declares {header_bytes} header bytes for {ns} signals (expected "
            f"{_MAIN + _PER_SIGNAL * ns}, and the file has {size})"
        )
    if not (math.isfinite(duration) and duration > 0):
        raise EdfProblem(
            f"its data records last {duration:g} s: a record must last a positive number of "
            "seconds"
        )
    rest = fh.read(header_bytes - _MAIN)
    labels = tuple(
        _text(rest[16 * i : 16 * (i + 1)], "label") for i in range(ns)
    )  # fmt: skip
    spr_at = ns * (16 + 80 + 8 * 5 + 80)  # label, transducer, 5 numbers, prefiltering
    spr = tuple(
        _int(rest[spr_at + 8 * i : spr_at + 8 * (i + 1)], "samples per record") for i in range(ns)
    )
    if any(n < 1 for n in spr):
        raise EdfProblem("a signal declares fewer than one sample per data record")
    for label, n in zip(labels, spr, strict=True):
        if label not in _ANNOTATION_LABELS and n / duration > MAX_SAMPLE_RATE:
            raise EdfProblem(
                f"signal {label[:16]!r} runs at {n / duration:.4g} Hz ({n} samples per "
                f"{duration:g} s record), above the {MAX_SAMPLE_RATE:g} Hz read"
            )
    header = EdfHeader(bdf, ns, header_bytes, n_records, duration, spr, labels)
    room = size - header_bytes
    if n_records == -1:  # unknown (a recording in progress): what the file holds
        n_records = room // header.record_bytes
    elif n_records < 0:
        raise EdfProblem(f"its header declares {n_records} data records")
    if n_records * header.record_bytes > room:
        raise EdfProblem(
            f"the file is truncated (its header announces {n_records} data records, it holds "
            f"{room // header.record_bytes} whole ones of {header.record_bytes} bytes)"
        )
    if n_records == 0:
        raise EdfProblem("it holds no data records")
    decoded = n_records * sum(spr) * 8
    if decoded > MAX_REPLAY_BYTES:
        raise EdfProblem(
            f"it would take {decoded / 1e9:.1f} GB of memory to replay, more than the "
            f"{MAX_REPLAY_BYTES / 1e9:.1f} GB allowed; cut it into shorter files"
        )
    return header


def read_edf_file(fh: BinaryIO, header: EdfHeader) -> Edf | Bdf:
    """Read a file whose header :func:`check_edf_header` accepted, with edfio.

    Raises
    ------
    EdfProblem
        If edfio cannot read it (the reason names no file content).
    """
    import edfio

    fh.seek(0)
    with warnings.catch_warnings(record=True):
        warnings.simplefilter("always")  # edfio warns about odd but readable fields
        try:
            return edfio.read_bdf(fh) if header.bdf else edfio.read_edf(fh, lazy_load_data=False)
        except (ValueError, IndexError, OSError, UnicodeDecodeError, ZeroDivisionError) as exc:
            kind = "BDF" if header.bdf else "EDF"
            raise EdfProblem(
                f"it is not a valid {kind} file ({type(exc).__name__} in its header or "
                "annotations)"
            ) from exc
