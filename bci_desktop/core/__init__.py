"""Headless core of BCI Desktop: no Qt import anywhere below this package."""
