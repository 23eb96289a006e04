"""Allow ``python -m bci_desktop.cli`` (as ``python -m bci_desktop``)."""

from bci_desktop.cli import main

raise SystemExit(main())
