"""``bci-desktop lsl``: the Lab Streaming Layer streams visible on the network, and how the
``--board lsl``, ``--lsl`` and ``--lsl-markers`` options of ``run`` become a session."""

from __future__ import annotations

import argparse
import json
from typing import IO

from bci_desktop.cli.common import EXIT_OK, terminal_text
from bci_desktop.core.errors import ConfigError
from bci_desktop.core.lsl.discovery import StreamQuery, is_lsl_board
from bci_desktop.core.validate import check_positive

__all__ = ["cmd_lsl", "lsl_query", "marker_query"]


def lsl_query(args: argparse.Namespace) -> StreamQuery | None:
    """The stream ``--board lsl`` (or ``lsl:...``) with ``--lsl-stream``... names; ``None``
    for other boards.

    Raises
    ------
    ConfigError
        If ``--lsl-*`` options are given for another board, or no stream is named.
    """
    given = {
        "name": getattr(args, "lsl_stream", None),
        "type": getattr(args, "lsl_type", None),
        "source_id": getattr(args, "lsl_source_id", None),
    }
    given = {k: v for k, v in given.items() if v is not None}
    if not is_lsl_board(args.board):
        if given:
            raise ConfigError(
                "The --lsl-stream, --lsl-type and --lsl-source-id options choose the stream of "
                "--board lsl; add --board lsl."
            )
        return None
    if given:
        return StreamQuery(**given)
    return StreamQuery.parse(args.board)


def marker_query(args: argparse.Namespace) -> tuple[bool, StreamQuery | None]:
    """``--lsl-markers [STREAM]``: (follow markers, which streams; ``None`` for all)."""
    text = getattr(args, "lsl_markers", None)
    if text is None:
        return False, None
    return True, (StreamQuery.parse(text) if text.strip() else None)


def cmd_lsl(args: argparse.Namespace, out: IO[str]) -> int:
    """List the LSL streams visible on the network."""
    from bci_desktop.core.lsl.discovery import list_streams
    from bci_desktop.core.lsl.library import describe_library

    wait = check_positive("wait", args.wait, unit="seconds", maximum=60)
    streams = list_streams(wait)
    if args.json:
        rows = [
            {
                "name": s.name,
                "type": s.type,
                "channel_count": s.channel_count,
                "sample_rate": s.sample_rate,
                "channel_format": s.channel_format,
                "source_id": s.source_id,
                "hostname": s.hostname,
                "uid": s.uid,
                "bci_desktop": s.own,
            }
            for s in streams
        ]
        json.dump({"library": describe_library().text, "streams": rows}, out, indent=2)
        out.write("\n")
        return EXIT_OK
    out.write(f"# {describe_library().text}\n")
    if not streams:
        out.write(f"No LSL stream is visible (listened {wait:g} s).\n")
        return EXIT_OK
    head = f"{'NAME':<28}{'TYPE':<12}{'CH':>4}{'RATE':>9}  {'FORMAT':<9}{'HOST':<16}SOURCE ID"
    out.write(head + "\n")
    for s in streams:
        rate = f"{s.sample_rate:g}" if s.sample_rate > 0 else "irreg."
        line = (
            f"{s.name:<28}{s.type:<12}{s.channel_count:>4}{rate:>9}  {s.channel_format:<9}"
            f"{s.hostname:<16}{s.source_id}"
        )
        out.write(terminal_text(line) + "\n")
    return EXIT_OK
