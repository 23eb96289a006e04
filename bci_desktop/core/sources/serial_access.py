"""Why this user may not open a serial port, and what to do about it.

On Linux a USB serial dongle (``/dev/ttyUSB0``, ``/dev/ttyACM0``) belongs to ``root`` and a
group (``dialout`` on Debian, Ubuntu and Fedora, ``uucp`` on Arch), mode ``0660``: a user
outside that group cannot open it, and BrainFlow then reports only that the port could not
be opened (and suggests running as root, which nobody should). :func:`serial_access_problem`
checks the port itself and returns the steps that fix it, in words that fit the window and
the command line alike.

BCI Desktop ships a udev rule (``resources/udev/60-bci-desktop.rules``) that gives the
logged-in user access to the common EEG dongles; the ``.deb`` installs it.
"""

from __future__ import annotations

import getpass
import logging
import os
import stat
import sys
from collections.abc import Sequence
from pathlib import Path

from bci_desktop.core.resources import shipped_dir

logger = logging.getLogger(__name__)

__all__ = ["UDEV_RULE", "UDEV_RULE_DIRS", "serial_access_problem", "shipped_udev_rule"]

#: File name of the udev rule BCI Desktop ships for EEG serial dongles.
UDEV_RULE = "60-bci-desktop.rules"
#: Folders udev reads rules from (an installed rule is in one of them).
UDEV_RULE_DIRS: tuple[str, ...] = (
    "/etc/udev/rules.d",
    "/usr/lib/udev/rules.d",
    "/lib/udev/rules.d",
)


def shipped_udev_rule() -> Path:
    """The udev rule file that comes with the app."""
    return shipped_dir("resources") / "udev" / UDEV_RULE


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no name for this uid (e.g. in a container)
        logger.debug("No user name for uid %d", os.getuid(), exc_info=True)
        return "$USER"


def _group_name(gid: int) -> str | None:
    import grp  # POSIX only

    try:
        return grp.getgrgid(gid).gr_name
    except KeyError:
        logger.debug("No group name for gid %d", gid)
        return None


def serial_access_problem(
    port: str, *, rule_dirs: Sequence[str | os.PathLike[str]] = UDEV_RULE_DIRS
) -> str | None:
    """Say how to get access to ``port`` when this process may not read and write it.

    Parameters
    ----------
    port : str
        Path of the serial port, e.g. ``/dev/ttyUSB0``.
    rule_dirs : sequence of path-like
        Where an installed udev rule would be (to say whether it still needs installing).

    Returns
    -------
    str or None
        ``None`` when the port does not exist or may be opened (the problem is something
        else); otherwise a sentence starting with "permission denied" and the steps to take.
    """
    try:
        st = os.stat(port)
    except OSError:
        return None
    if os.access(port, os.R_OK | os.W_OK):
        return None
    if not sys.platform.startswith("linux"):
        return "permission denied: your user account is not allowed to use this port"
    steps: list[str] = []
    group = _group_name(st.st_gid) if st.st_gid != 0 else None
    if group is not None and stat.S_IMODE(st.st_mode) & 0o060 == 0o060:
        steps.append(
            f"add your user to the group '{group}' that owns the port (in a terminal: "
            f"sudo usermod -aG {group} {_user()})"
        )
    rule = shipped_udev_rule()
    if not any((Path(d) / UDEV_RULE).is_file() for d in rule_dirs):
        steps.append(
            f"install the udev rule for EEG dongles that comes with BCI Desktop (sudo cp "
            f"'{rule}' /etc/udev/rules.d/; the .deb package installs it)"
        )
    if not steps:
        steps.append("ask the administrator to give your user access to the port")
    return (
        "permission denied: your user may not use this port. To allow it, "
        + ", or ".join(steps)
        + ", then log out and back in and plug the dongle in again"
    )
