"""An OpenBCI Cyton on a pseudo-terminal, for testing the real BrainFlow Cyton driver.

:class:`CytonEmulator` opens a pty pair and speaks the Cyton's serial protocol on the master
side, so ``BoardShim(BoardIds.CYTON_BOARD, serial_port=<port>)`` connects to it exactly as
it would to a dongle. The port is a stable symlink (``port``) that points at the current
pty slave, so a test can unplug the device (the master is closed and the symlink removed:
the port vanishes mid-stream, as when a USB dongle is pulled) and plug it back (a new pty
pair behind the same path).

What BrainFlow's driver does with it (``openbci_serial_board.cpp``, ``cyton.cpp``):

- opens the path, sets the port raw with ``VMIN=0, VTIME=10`` (reads time out after 1 s;
  the baud rate is meaningless on a pty), flushes, and sends ``v``;
- reads byte by byte until it sees ``$$$`` (giving up after 5 empty reads);
- sends ``d`` and reads the reply until the line is quiet for 1 s (so every connection
  takes a little over a second); a reply starting with ``Failure`` is an error;
- ``start_stream`` sends ``b``; its read thread looks for ``0xA0``, reads 32 more bytes,
  checks the end byte ``0xC0..0xC6``; EEG = 24-bit big-endian signed counts times
  4.5 V / 24 / (2^23 - 1), in microvolts;
- ``stop_stream`` sends ``s``.

Each channel is a pure sine whose value depends only on the packet's sample number
(``0..255``), so a test can check every received sample exactly: see
:meth:`CytonEmulator.expected_uv`. Alternatively the emulator plays a given signal
(``signal_uv``, 8 channels in microvolts, repeated when it ends), e.g. the simulated subject
on the Cyton's montage, so the real driver carries EEG-like data.

Usage::

    with CytonEmulator(tmp_path / "ttyCYTON") as cyton:
        board = BrainFlowSource("cyton", ConnectionParams(serial_port=str(cyton.port)))
        ...
        cyton.unplug()
        cyton.replug()
"""

from __future__ import annotations

import contextlib
import logging
import os
import pty
import select
import threading
import time
import tty
from pathlib import Path
from types import TracebackType

import numpy as np

logger = logging.getLogger(__name__)

#: Microvolts per count at the default gain of 24 (BrainFlow's ``eeg_scale`` for the Cyton).
UV_PER_COUNT = 4.5 / 24 / (2**23 - 1) * 1e6
SAMPLE_RATE = 250.0
N_CHANNELS = 8
#: What the Cyton prints after a soft reset (``v``); BrainFlow waits for the ``$$$``.
BANNER = (
    b"OpenBCI V3 8-16 channel\n"
    b"On Board ADS1299 Device ID: 0x3E\n"
    b"LIS3DH Device ID: 0x33\n"
    b"Firmware: v3.1.2\n"
    b"$$$"
)
#: Amplitude (uV) and cycles per 256 samples of each channel's sine.
AMPLITUDES_UV = tuple(20.0 * (i + 1) for i in range(N_CHANNELS))
CYCLES = tuple(8 + 3 * i for i in range(N_CHANNELS))

_START, _END = 0xA0, 0xC0
_PACKET = 33
_CHANNEL_COMMAND_LEN = 9  # x, channel, power down, gain, input type, bias, SRB2, SRB1, X


def _sine_counts() -> np.ndarray:
    """Counts of every channel at each sample number 0..255, shape (8, 256)."""
    n = np.arange(256)
    amp = np.asarray(AMPLITUDES_UV)[:, None] / UV_PER_COUNT
    cyc = np.asarray(CYCLES)[:, None]
    return np.round(amp * np.sin(2 * np.pi * cyc * n / 256)).astype(np.int64)


def _packet_table(counts: np.ndarray) -> np.ndarray:
    """One packet of 33 bytes per sample (sample number byte: the index modulo 256)."""
    n = counts.shape[1]
    table = np.zeros((n, _PACKET), dtype=np.uint8)
    table[:, 0] = _START
    table[:, 1] = np.arange(n) % 256
    raw = counts & 0xFFFFFF  # two's complement in 24 bits
    for ch in range(N_CHANNELS):
        col = 2 + 3 * ch
        table[:, col] = (raw[ch] >> 16) & 0xFF
        table[:, col + 1] = (raw[ch] >> 8) & 0xFF
        table[:, col + 2] = raw[ch] & 0xFF
    # bytes 26..31: accelerometer, left at 0 (BrainFlow then keeps its last value)
    table[:, 32] = _END
    return table


class CytonEmulator:
    """A Cyton board behind a pseudo-terminal, reachable at :attr:`port`.

    Parameters
    ----------
    port : str | os.PathLike
        Path of the symlink that stands for the serial port (e.g. ``tmp_path / "ttyCYTON"``).
        It must not exist yet; it is created by :meth:`start` and :meth:`replug`.
    sample_rate : float
        Packets per second while streaming.
    signal_uv : ndarray of shape (8, n) or None
        Samples to play (in microvolts, looped) instead of the sines.
    """

    def __init__(
        self,
        port: str | os.PathLike[str],
        *,
        sample_rate: float = SAMPLE_RATE,
        signal_uv: np.ndarray | None = None,
    ) -> None:
        self.port = Path(port)
        self.sample_rate = float(sample_rate)
        if signal_uv is None:
            self.counts = _sine_counts()
        else:
            full_scale = 2**23 - 1
            counts = np.round(np.asarray(signal_uv, dtype=np.float64) / UV_PER_COUNT)
            self.counts = np.clip(counts, -full_scale, full_scale).astype(np.int64)
            assert self.counts.shape[0] == N_CHANNELS, "signal_uv needs 8 channels"
        self._table = _packet_table(self.counts)
        self._lock = threading.Lock()
        self._master: int | None = None
        self._slave: int | None = None
        self._thread: threading.Thread | None = None
        self._quit = threading.Event()
        self._streaming = False
        self._stream_t0 = 0.0
        self._sent = 0  # packets since 'b'
        self._next_sample = 0  # row of the next packet in the table (wraps at its end)
        self.commands: list[str] = []
        self.packets_sent = 0
        self.connections = 0  # number of 'v' handshakes answered
        self.plugged = False

    # ------------------------------------------------------------------ lifecycle
    def start(self) -> CytonEmulator:
        """Plug the device in: open a pty pair, point :attr:`port` at it, start answering."""
        self.replug()
        return self

    def close(self) -> None:
        """Unplug and stop the thread; safe to call twice."""
        self.unplug()

    def __enter__(self) -> CytonEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def unplug(self) -> None:
        """Pull the cable: stop sending, close the pty master, remove the port's path.

        A program holding the slave open now gets end-of-file/``EIO`` on every read and an
        error on every write; opening :attr:`port` fails because it no longer exists.
        """
        thread, self._thread = self._thread, None
        self._quit.set()
        if thread is not None:
            thread.join(timeout=5.0)
        with self._lock:
            self._streaming = False
            for fd in (self._master, self._slave):
                if fd is not None:
                    os.close(fd)
            self._master = self._slave = None
            self.plugged = False
        with contextlib.suppress(FileNotFoundError):
            self.port.unlink()
        logger.debug("Cyton emulator unplugged")

    def replug(self) -> None:
        """Plug the device back in: a new pty pair behind the same :attr:`port` path.

        The board comes back idle (not streaming), as after a power cycle.
        """
        if self._thread is not None:
            self.unplug()
        master, slave = pty.openpty()
        tty.setraw(slave)  # raw until the driver sets its own (also raw) settings
        os.set_blocking(master, False)
        name = os.ttyname(slave)
        tmp = self.port.with_name(self.port.name + ".new")
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        tmp.symlink_to(name)
        tmp.replace(self.port)  # atomic re-point
        with self._lock:
            # The emulator keeps the slave open too: the pty pair then survives the driver
            # closing and reopening the port (reads on the master would fail otherwise).
            self._master, self._slave = master, slave
            self._streaming = False
            self.plugged = True
        self._quit = threading.Event()
        self._thread = threading.Thread(
            target=self._serve, args=(master, self._quit), name="cyton-emulator", daemon=True
        )
        self._thread.start()
        logger.debug("Cyton emulator plugged in at %s -> %s", self.port, name)

    # ------------------------------------------------------------------ expected data
    def expected_uv(self, sample_numbers: np.ndarray) -> np.ndarray:
        """Microvolts BrainFlow should report for packets with these sample numbers.

        Parameters
        ----------
        sample_numbers : ndarray of int
            BrainFlow's package-number row (0..255). Only for the sines (the default), whose
            table repeats every 256 samples.

        Returns
        -------
        ndarray, shape (8, n)
        """
        idx = np.asarray(sample_numbers).astype(np.int64) % 256
        return self.counts[:, idx] * UV_PER_COUNT

    @property
    def streaming(self) -> bool:
        """True between ``b`` and ``s`` (or an unplug)."""
        return self._streaming

    # ------------------------------------------------------------------ protocol
    def _serve(self, master: int, quit_event: threading.Event) -> None:
        pending = b""
        while not quit_event.is_set():
            try:
                ready, _, _ = select.select([master], [], [], 0.004)
            except (OSError, ValueError):
                return  # closed under us by unplug()
            if ready:
                try:
                    data = os.read(master, 4096)
                except BlockingIOError:
                    data = b""
                except OSError:
                    return
                pending = self._handle(master, pending + data)
            if self._streaming:
                self._send_due(master)

    def _handle(self, master: int, buf: bytes) -> bytes:
        """Act on every complete command in ``buf``; return what is left (a partial one)."""
        i = 0
        while i < len(buf):
            c = chr(buf[i])
            if c == "x":
                if len(buf) - i < _CHANNEL_COMMAND_LEN:
                    return buf[i:]
                cmd = buf[i : i + _CHANNEL_COMMAND_LEN].decode("ascii", "replace")
                self.commands.append(cmd)
                self._reply(master, f"Success: Channel set for {cmd[1]}$$$".encode())
                i += _CHANNEL_COMMAND_LEN
                continue
            if c == "~":
                if len(buf) - i < 2:
                    return buf[i:]
                self.commands.append(buf[i : i + 2].decode("ascii", "replace"))
                self._reply(master, f"Success: Sample rate is {self.sample_rate:g}Hz$$$".encode())
                i += 2
                continue
            self.commands.append(c)
            if c == "v":
                self._streaming = False
                self.connections += 1
                self._reply(master, BANNER)
            elif c == "d":
                self._reply(master, b"updating channel settings to default$$$")
            elif c == "b":
                self._streaming = True
                self._stream_t0 = time.monotonic()
                self._sent = 0
            elif c == "s":
                self._streaming = False
            elif c == "?":
                self._reply(master, b"Board ADS Registers\nID, 0x00, 0x3E\n$$$")
            i += 1
        return b""

    def _reply(self, master: int, text: bytes) -> None:
        self._write(master, text)

    def _send_due(self, master: int) -> None:
        due = int((time.monotonic() - self._stream_t0) * self.sample_rate) - self._sent
        if due <= 0:
            return
        due = min(due, 64)  # a burst after a hiccup stays small; the clock catches up
        n = len(self._table)
        idx = (self._next_sample + np.arange(due)) % n
        if self._write(master, self._table[idx].tobytes()):
            self.packets_sent += due
        self._next_sample = int((self._next_sample + due) % n)
        self._sent += due

    def _write(self, master: int, data: bytes) -> bool:
        """Write to the master; data nobody reads is dropped, as a device would."""
        view = memoryview(data)
        while view:
            try:
                n = os.write(master, view)
            except BlockingIOError:
                return False
            except OSError:
                return False
            view = view[n:]
        return True


__all__ = ["AMPLITUDES_UV", "BANNER", "CYCLES", "UV_PER_COUNT", "CytonEmulator"]
