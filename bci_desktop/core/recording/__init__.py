"""Session recording, readers and exporters."""
