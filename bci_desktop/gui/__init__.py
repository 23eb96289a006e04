"""Qt user interface of BCI Desktop (the only place Qt is imported)."""
