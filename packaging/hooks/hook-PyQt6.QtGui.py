"""PyInstaller hook for PyQt6.QtGui: PyInstaller's own, minus the plug-ins the app never uses.

PyInstaller collects every plug-in of the types QtGui may load. Plug-ins that only serve
embedded or remote displays (eglfs, linuxfb, VNC, Vulkan display), image formats the app does
not read (PDF pulls in the 4.4 MB Qt PDF library; TIFF, WebP, TGA, WBMP, ICNS) and the GTK 3
platform theme (which pulls in GTK, cairo, pango and friends) are left out *before*
PyInstaller's dependency analysis, so the libraries only they need are not collected either.
The native Wayland plug-ins are left out too (see LEFT_OUT). Desktop platforms (xcb,
Windows, Cocoa), offscreen, SVG, JPEG, GIF, ICO and input methods stay.
"""

from pathlib import PurePath

from PyInstaller.utils.hooks.qt import add_qt6_dependencies

# (plug-in type, plug-in name without lib prefix and extension); any platform's file.
LEFT_OUT = {
    "platforms": {
        "qeglfs",
        "qlinuxfb",
        "qminimalegl",
        "qvnc",
        "qvkkhrdisplay",
        "qwayland",
        "qwayland-egl",
        "qwayland-generic",
    },
    # Native Wayland (2.1 MB with libQt6WaylandClient): on a Wayland desktop Qt falls back to
    # xcb through XWayland (checked with XDG_SESSION_TYPE=wayland), which keeps the bundle
    # under its size budget. Remove these three lines and "qwayland*" above to ship it.
    "wayland-decoration-client": None,
    "wayland-graphics-integration-client": None,
    "wayland-shell-integration": None,
    "platformthemes": {"qgtk3"},
    "imageformats": {"qpdf", "qtiff", "qwebp", "qtga", "qwbmp", "qicns"},
    "egldeviceintegrations": None,  # every one: eglfs only
    "generic": None,  # evdev and TUIO input: eglfs and linuxfb only
}


def _kept(src, dest):
    kind = PurePath(dest).name
    if PurePath(dest).parent.name != "plugins" or kind not in LEFT_OUT:
        return True
    names = LEFT_OUT[kind]
    stem = PurePath(src).name.split(".")[0].removeprefix("lib")
    return names is not None and stem not in names


hiddenimports, binaries, datas = add_qt6_dependencies(__file__)
binaries = [(src, dest) for src, dest in binaries if _kept(src, dest)]
