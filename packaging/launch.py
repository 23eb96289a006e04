"""Entry point for the PyInstaller build (the same as the ``bci-desktop`` script)."""

import multiprocessing

from bci_desktop.cli import main

if __name__ == "__main__":
    # A frozen app re-runs this file in every child process multiprocessing starts.
    multiprocessing.freeze_support()
    raise SystemExit(main())
