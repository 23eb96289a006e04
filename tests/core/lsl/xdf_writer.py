"""A small XDF writer for tests, written from the XDF 1.0 specification
(https://github.com/sccn/xdf/wiki/Specifications): the magic code ``XDF:``, then chunks of
``[NumLengthBytes][Length][Tag][Content]`` (little-endian): FileHeader (tag 1),
StreamHeader (2), Samples (3), ClockOffset (4), Boundary (5), StreamFooter (6). Samples carry
``[NumSampleBytes][NumSamples]`` and per sample ``[TimeStampBytes: 8][TimeStamp]`` and the
values (numbers little-endian; a string as ``[NumLengthBytes][Length][bytes]``)."""

from __future__ import annotations

import struct
from dataclasses import dataclass, field
from pathlib import Path
from xml.sax.saxutils import escape

import numpy as np

_FORMATS = {"float32": "<f4", "double64": "<f8", "int32": "<i4", "int16": "<i2", "int8": "<i1"}


def _varlen(n: int) -> bytes:
    if n < 256:
        return struct.pack("<BB", 1, n)
    if n < 2**32:
        return struct.pack("<BI", 4, n)
    return struct.pack("<BQ", 8, n)


def _chunk(tag: int, content: bytes) -> bytes:
    body = struct.pack("<H", tag) + content
    return _varlen(len(body)) + body


@dataclass
class XdfStream:
    """One stream to write: header fields, channels and samples (values, time stamps)."""

    stream_id: int
    name: str
    type: str
    channel_format: str
    nominal_srate: float
    values: list  # numeric: array (n, ch); string: list of lists of str
    stamps: np.ndarray
    labels: list[str] = field(default_factory=list)
    units: list[str] = field(default_factory=list)
    types: list[str] = field(default_factory=list)
    source_id: str = ""
    clock_offsets: list[tuple[float, float]] = field(default_factory=list)

    @property
    def channel_count(self) -> int:
        if self.channel_format == "string":
            return len(self.values[0]) if len(self.values) else 1
        return int(np.asarray(self.values).shape[1])

    def header_xml(self) -> bytes:
        chans = "".join(
            f"<channel><label>{escape(lab)}</label><type>{escape(t)}</type>"
            f"<unit>{escape(u)}</unit></channel>"
            for lab, t, u in zip(self.labels, self.types or [""] * len(self.labels),
                                 self.units or [""] * len(self.labels), strict=True)
        )  # fmt: skip
        desc = f"<desc><channels>{chans}</channels></desc>" if self.labels else "<desc/>"
        return (
            '<?xml version="1.0"?><info>'
            f"<name>{escape(self.name)}</name><type>{escape(self.type)}</type>"
            f"<channel_count>{self.channel_count}</channel_count>"
            f"<nominal_srate>{self.nominal_srate}</nominal_srate>"
            f"<channel_format>{self.channel_format}</channel_format>"
            f"<source_id>{escape(self.source_id)}</source_id><version>1.1</version>"
            f"<created_at>100.0</created_at><uid>uid-{self.stream_id}</uid>"
            f"<session_id>default</session_id><hostname>test</hostname>"
            f"{desc}</info>"
        ).encode()

    def samples_chunk(self, start: int, stop: int) -> bytes:
        n = stop - start
        out = bytearray(struct.pack("<I", self.stream_id))
        out += _varlen(n)
        for i in range(start, stop):
            out += struct.pack("<Bd", 8, float(self.stamps[i]))
            if self.channel_format == "string":
                for text in self.values[i]:
                    raw = text.encode("utf-8")
                    out += _varlen(len(raw)) + raw
            else:
                out += np.asarray(self.values[i], dtype=_FORMATS[self.channel_format]).tobytes()
        return _chunk(3, bytes(out))


def write_xdf(path: Path, streams: list[XdfStream], *, chunk: int = 100,
              datetime: str = "2026-11-30T10:00:00+0100") -> Path:  # fmt: skip
    """Write ``streams`` to ``path`` as an XDF 1.0 file (samples interleaved by chunk)."""
    data = bytearray(b"XDF:")
    header = (
        f'<?xml version="1.0"?><info><version>1.0</version><datetime>{datetime}</datetime></info>'
    )
    data += _chunk(1, header.encode())
    for s in streams:
        data += _chunk(2, struct.pack("<I", s.stream_id) + s.header_xml())
    longest = max(len(s.stamps) for s in streams)
    for start in range(0, longest, chunk):
        for s in streams:
            stop = min(start + chunk, len(s.stamps))
            if start < stop:
                data += s.samples_chunk(start, stop)
        for s in streams:
            for t, offset in s.clock_offsets:
                if start <= 0:
                    data += _chunk(4, struct.pack("<Idd", s.stream_id, t, offset))
    for s in streams:
        footer = (
            '<?xml version="1.0"?><info>'
            f"<first_timestamp>{s.stamps[0] if len(s.stamps) else 0}</first_timestamp>"
            f"<last_timestamp>{s.stamps[-1] if len(s.stamps) else 0}</last_timestamp>"
            f"<sample_count>{len(s.stamps)}</sample_count></info>"
        )
        data += _chunk(6, struct.pack("<I", s.stream_id) + footer.encode())
    path.write_bytes(bytes(data))
    return path
