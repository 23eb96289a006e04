"""Dark, light and system themes: the Qt palette and the pyqtgraph plot colours.

:func:`apply_theme` sets the application palette (Fusion style for dark and light, so the
palette is honoured everywhere) and recolours every pyqtgraph view under a widget; it
also sets pyqtgraph's defaults so plots created later match.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import pyqtgraph as pg
from PyQt6.QtCore import Qt
from PyQt6.QtGui import QColor, QGuiApplication, QPainter, QPalette
from PyQt6.QtWidgets import QApplication, QProxyStyle, QStyle, QStyleOption, QWidget

from bci_desktop.core.settings import THEMES
from bci_desktop.core.validate import check_choice

__all__ = ["THEMES", "PlotColours", "apply_theme", "effective_theme", "plot_colours"]

logger = logging.getLogger(__name__)

_ORIGINAL: dict[str, object] = {}


@dataclass(frozen=True)
class PlotColours:
    """Background and foreground (axes, text) of the plots."""

    background: str
    foreground: str


_PLOT = {
    "dark": PlotColours(background="#16181d", foreground="#c8ccd4"),
    "light": PlotColours(background="#ffffff", foreground="#303438"),
}


#: Outline of check boxes and radio buttons on the dark theme.
_DARK_INDICATOR_OUTLINE = "#8b9099"


class _OutlinedIndicators(QProxyStyle):
    """Fusion with a light outline around check boxes and radio buttons: on a dark palette
    Fusion draws them dark on dark, and an unchecked box all but disappears."""

    def drawPrimitive(
        self,
        element: QStyle.PrimitiveElement,
        option: QStyleOption | None,
        painter: QPainter | None,
        widget: QWidget | None = None,
    ) -> None:
        """Draw as Fusion does, then outline the check box and radio button indicators."""
        super().drawPrimitive(element, option, painter, widget)
        pe = QStyle.PrimitiveElement
        if option is None or painter is None:
            return
        if element not in (pe.PE_IndicatorCheckBox, pe.PE_IndicatorRadioButton):
            return
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        painter.setPen(QColor(_DARK_INDICATOR_OUTLINE))
        painter.setBrush(Qt.BrushStyle.NoBrush)
        rect = option.rect.adjusted(0, 0, -1, -1)
        if element == pe.PE_IndicatorRadioButton:
            painter.drawEllipse(rect)
        else:
            painter.drawRoundedRect(rect, 2, 2)
        painter.restore()


def _dark_palette() -> QPalette:
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    colours = {
        role.Window: "#23262d",
        role.WindowText: "#e6e8eb",
        role.Base: "#1b1d22",
        role.AlternateBase: "#2a2d35",
        role.ToolTipBase: "#2f333b",
        role.ToolTipText: "#e6e8eb",
        role.PlaceholderText: "#8b9099",
        role.Text: "#e6e8eb",
        role.Button: "#2d3038",
        role.ButtonText: "#e6e8eb",
        role.BrightText: "#ff6b6b",
        role.Light: "#3a3e47",
        role.Midlight: "#33363e",
        role.Mid: "#272a31",
        role.Dark: "#15171b",
        role.Shadow: "#0b0c0e",
        role.Highlight: "#3d7bd9",
        role.HighlightedText: "#ffffff",
        role.Link: "#74b3ff",
        role.LinkVisited: "#b197fc",
    }
    for r, c in colours.items():
        p.setColor(r, QColor(c))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#7a7f88"))
    return p


def _light_palette() -> QPalette:
    p = QPalette()
    role, group = QPalette.ColorRole, QPalette.ColorGroup
    colours = {
        role.Window: "#f3f4f6",
        role.WindowText: "#1d2025",
        role.Base: "#ffffff",
        role.AlternateBase: "#eef0f3",
        role.ToolTipBase: "#ffffdc",
        role.ToolTipText: "#1d2025",
        role.PlaceholderText: "#80858d",
        role.Text: "#1d2025",
        role.Button: "#e8eaee",
        role.ButtonText: "#1d2025",
        role.BrightText: "#c92a2a",
        role.Light: "#ffffff",
        role.Midlight: "#f0f1f4",
        role.Mid: "#c4c8cf",
        role.Dark: "#9aa0a8",
        role.Shadow: "#5c6066",
        role.Highlight: "#2f6fd0",
        role.HighlightedText: "#ffffff",
        role.Link: "#1c5fc4",
        role.LinkVisited: "#6741d9",
    }
    for r, c in colours.items():
        p.setColor(r, QColor(c))
    for r in (role.WindowText, role.Text, role.ButtonText):
        p.setColor(group.Disabled, r, QColor("#9aa0a8"))
    return p


def effective_theme(name: str) -> str:
    """``"dark"`` or ``"light"``: what ``name`` means here (``"system"`` asks Qt)."""
    check_choice("theme", name, THEMES)
    if name != "system":
        return name
    hints = QGuiApplication.styleHints()
    scheme = hints.colorScheme() if hints is not None else Qt.ColorScheme.Unknown
    if scheme == Qt.ColorScheme.Dark:
        return "dark"
    if scheme == Qt.ColorScheme.Light:
        return "light"
    window = _ORIGINAL.get("palette")
    palette = window if isinstance(window, QPalette) else QGuiApplication.palette()
    return "dark" if palette.color(QPalette.ColorRole.Window).lightness() < 128 else "light"


def plot_colours(name: str) -> PlotColours:
    """Plot colours of a theme name (``"system"`` resolved with :func:`effective_theme`)."""
    return _PLOT[effective_theme(name)]


def apply_theme(app: QApplication, name: str, root: QWidget | None = None) -> str:
    """Apply a theme to the application and recolour the plots under ``root``.

    Parameters
    ----------
    app : QApplication
        The application.
    name : str
        ``"system"``, ``"dark"`` or ``"light"``.
    root : QWidget or None
        Widget whose pyqtgraph views are recoloured (plots created later take pyqtgraph's
        defaults, which are set here too).

    Returns
    -------
    str
        The effective theme, ``"dark"`` or ``"light"``.
    """
    check_choice("theme", name, THEMES)
    if "palette" not in _ORIGINAL:
        _ORIGINAL["palette"] = QPalette(app.palette())
        style = app.style()
        _ORIGINAL["style"] = style.name() if style is not None else ""
    if name == "system":
        original_style = str(_ORIGINAL.get("style") or "")
        if original_style:
            app.setStyle(original_style)
        palette = _ORIGINAL["palette"]
        assert isinstance(palette, QPalette)
        app.setPalette(palette)
    elif name == "dark":
        style = _OutlinedIndicators("Fusion")
        _ORIGINAL["dark_style"] = style  # Qt owns it; keep the Python wrapper alive too
        app.setStyle(style)
        app.setPalette(_dark_palette())
    else:
        app.setStyle("Fusion")
        app.setPalette(_light_palette())
    colours = plot_colours(name)
    pg.setConfigOptions(background=colours.background, foreground=colours.foreground)
    if root is not None:
        recolour_plots(root, colours)
    logger.debug("Theme %s (%s)", name, effective_theme(name))
    return effective_theme(name)


def recolour_plots(root: QWidget, colours: PlotColours) -> None:
    """Set the background, axis and text colours of every pyqtgraph view under ``root``."""
    fg = pg.mkColor(colours.foreground)
    legend_bg = pg.mkColor(colours.background)
    legend_bg.setAlpha(190)
    for view in root.findChildren(pg.GraphicsView):
        view.setBackground(colours.background)
        scene = view.scene()
        if scene is None:
            continue
        for item in scene.items():
            if isinstance(item, pg.AxisItem):
                item.setPen(fg)
                item.setTextPen(fg)
            elif isinstance(item, pg.LegendItem):
                item.setBrush(legend_bg)
                item.setLabelTextColor(fg)
            elif isinstance(item, pg.LabelItem) and not isinstance(
                item.parentItem(), pg.ItemSample | pg.LegendItem
            ):
                item.setText(item.text, color=colours.foreground)
