"""Entry point for the PyInstaller build (the same as the ``bci-desktop`` script)."""

from bci_desktop.cli import main

raise SystemExit(main())
