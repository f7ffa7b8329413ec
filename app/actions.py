"""Every control of the window, declared once: `ACTIONS` (name, text, keys, tooltip, icon,
slot), and where each one sits: `TOOLBAR` and `MENUS`. From these, `Actions` builds the
QActions with their shortcuts, the toolbar, the menu bar and the F1 shortcut list.

To add a control: one `Action` row (its `slot` names a method of `MainWindow` or of one of
its parts), its name in a menu of `MENUS`, and in `TOOLBAR` if it gets a button. `<name>`
entries are widgets or menus that the window and the run file (app/session.py) supply; `|` is
a separator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QMainWindow, QMenu, QMenuBar, QMessageBox, QSizePolicy,
                               QToolBar, QToolButton, QWidget)

from app.icons import make_icon
from app.modal import open_dialog


@dataclass(frozen=True)
class Action:
    name: str  # object name, also how TOOLBAR and MENUS refer to it
    text: str
    keys: tuple[str, ...]
    tooltip: str  # also the status tip and the F1 list's description
    slot: str  # what it triggers: a MainWindow method, or one of its parts' ("session.save")
    icon: str | None = None  # assets/icons/<icon>.svg
    checkable: bool = False
    icon_only: bool = False  # toolbar button without text
    presenting: bool = True  # its toolbar button stays in presentation mode (minimal chrome)


ACTIONS: tuple[Action, ...] = (
    Action("play", "Play", ("Space",), "Train continuously / pause", "toggle_play", "play",
           checkable=True),
    Action("step_env", "Step", ("N", "Right"),
           "One env step of every copy (the view shows copy 0); no update",
           "controller.step_env", "step_env"),
    Action("step_episode", "Episode", ("E",), "Play until the current episodes end; no update",
           "controller.step_episode", "step_episode"),
    Action("step_update", "Update", ("U",), "Exactly one gradient update on a replay batch",
           "controller.step_update", "step_update"),
    Action("evaluate", "Evaluate", ("V",),
           "Watch one greedy episode (ε = 0) on a separate env copy", "controller.evaluate",
           "evaluate"),
    Action("reset", "Reset", ("R",),
           "Start a new run with the chosen scenario, algorithm and settings", "reset_run",
           "reset"),
    Action("faster", "Faster", ("+", "=", "Ctrl++"), "Increase the speed",
           "speed_control.faster"),
    Action("slower", "Slower", ("-", "Ctrl+-"), "Decrease the speed", "speed_control.slower"),
    Action("save", "Save", ("Ctrl+S",), "Save the whole run to its file", "session.save",
           "save", icon_only=True, presenting=False),
    Action("save_as", "Save As…", ("Ctrl+Shift+S",), "Save the whole run to a new file",
           "session.save_as"),
    Action("open", "Open…", ("Ctrl+O",), "Open a saved run", "session.open_file", "open",
           icon_only=True, presenting=False),
    Action("open_study", "Open Study…", ("Ctrl+Shift+O",),
           "Open a study folder (./studio sweep --out): curves and table over seeds, live",
           "open_study"),
    Action("study", "Study", ("F3",), "Switch between the open study and the run",
           "toggle_study", checkable=True),
    Action("presentation", "Present", ("F11",),
           "Full screen, large type, minimal chrome (Esc leaves)", "toggle_presentation",
           "present", checkable=True, icon_only=True),
    Action("leave_presentation", "Leave presentation", ("Esc",), "Leave presentation mode",
           "leave_presentation"),
    Action("theme", "Theme", ("Ctrl+T",), "Switch between dark and light theme",
           "toggle_theme", "theme", icon_only=True, presenting=False),
    Action("settings", "Settings", ("F2",),
           "Show the run settings (hyperparameters, applied on Reset)", "toggle_settings",
           "settings", checkable=True, icon_only=True, presenting=False),
    Action("next_agent", "Select next agent", ("A",), "Select the next agent in the inspector",
           "next_agent"),
    Action("shortcuts", "Keyboard shortcuts", ("F1",), "List every keyboard shortcut",
           "show_shortcuts"),
    Action("quit", "Quit", ("Ctrl+Q",), "Close QMIX Studio", "close"),
)

TOOLBAR = ("play", "step_env", "step_episode", "step_update", "evaluate", "|",
           "<speed_caption>", "<speed>", "<speed_label>", "|", "<scenario>", "<algo>", "reset",
           "<spacer>", "open", "save", "settings", "theme", "presentation")
MENUS = (
    ("&File", ("open", "open_study", "<recent>", "|", "save", "save_as", "<save_buffer>",
               "<autosave>", "|", "quit")),
    ("&Run", ("play", "step_env", "step_episode", "step_update", "evaluate", "|", "faster",
              "slower", "|", "reset")),
    ("&View", ("study", "settings", "theme", "presentation", "next_agent",
               "leave_presentation")),
    ("&Help", ("shortcuts",)),
)


def slot_of(window: QWidget, path: str) -> Any:
    """The callable `path` names on `window`: "reset_run" or "session.save"."""
    target: Any = window
    for name in path.split("."):
        target = getattr(target, name)
    return target


def key_text(keys: tuple[str, ...], sep: str) -> str:
    return sep.join(QKeySequence(k).toString(QKeySequence.NativeText) for k in keys)


class Actions:
    """The QActions of `window`, one per `ACTIONS` row, by name."""

    def __init__(self, window: QWidget, table: tuple[Action, ...] = ACTIONS) -> None:
        self.table = table
        self.by_name: dict[str, QAction] = {}
        for spec in table:
            action = QAction(spec.text, window)
            action.setObjectName(spec.name)
            action.setShortcuts([QKeySequence(k) for k in spec.keys])
            action.setShortcutContext(Qt.WindowShortcut)
            keys = key_text(spec.keys, " / ")
            action.setToolTip(f"{spec.tooltip} ({keys})" if keys else spec.tooltip)
            action.setStatusTip(spec.tooltip)
            action.setCheckable(spec.checkable)
            action.triggered.connect(slot_of(window, spec.slot))
            window.addAction(action)  # shortcuts keep working with menus/toolbar hidden
            self.by_name[spec.name] = action

    def __getitem__(self, name: str) -> QAction:
        return self.by_name[name]

    def _fill(self, target: QToolBar | QMenu, names: tuple[str, ...], extras: dict[str, Any],
              add_other: Any) -> None:
        """Add `names` to a toolbar or menu: actions, `|` separators, `<extra>` items (widgets,
        submenus) through `add_other`."""
        for name in names:
            if name == "|":
                target.addSeparator()
            elif not name.startswith("<"):
                target.addAction(self.by_name[name])
            elif isinstance(extras[name[1:-1]], QAction):
                target.addAction(extras[name[1:-1]])
            else:
                add_other(extras[name[1:-1]])

    def build_toolbar(self, window: QMainWindow, widgets: dict[str, QWidget]) -> QToolBar:
        """The window's toolbar, laid out as `TOOLBAR` says (`<spacer>` pushes the rest to
        the right end)."""
        toolbar = QToolBar("Controls")
        toolbar.setObjectName("controls")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        toolbar.setIconSize(QSize(20, 20))
        window.addToolBar(Qt.TopToolBarArea, toolbar)
        spacer = QWidget()
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        self._fill(toolbar, TOOLBAR, {**widgets, "spacer": spacer}, toolbar.addWidget)
        toolbar.widgetForAction(self["play"]).setObjectName("playButton")
        for spec in self.table:
            button = toolbar.widgetForAction(self[spec.name])
            if button is not None and spec.icon_only:
                button.setToolButtonStyle(Qt.ToolButtonIconOnly)
        for button in toolbar.findChildren(QToolButton):
            button.setFocusPolicy(Qt.NoFocus)
        return toolbar

    def build_menus(self, bar: QMenuBar, extras: dict[str, Any]) -> None:
        for title, names in MENUS:
            menu = bar.addMenu(title)
            self._fill(menu, names, extras, menu.addMenu)

    def set_presenting(self, toolbar: QToolBar, on: bool) -> None:
        """Minimal chrome: hide the toolbar buttons a talk does not need."""
        for spec in self.table:
            button = toolbar.widgetForAction(self[spec.name])
            if button is not None and not spec.presenting:
                button.setVisible(not on)
        self["leave_presentation"].setEnabled(on)

    def apply_icons(self, toolbar: QToolBar, colour: str, scale: float) -> None:
        for spec in self.table:
            if spec.icon:
                self[spec.name].setIcon(make_icon(spec.icon, colour))
        toolbar.setIconSize(QSize(round(20 * scale), round(20 * scale)))

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(keys, what it does) for every control, in table order: the F1 list."""
        return [(key_text(spec.keys, ", "), spec.tooltip) for spec in self.table if spec.keys]

    def show_shortcuts(self, parent: QWidget) -> QMessageBox:
        """The F1 list: one dialog, made once and shown again (one per press was never
        deleted: ~1.1 MB each); training pauses while it is open (app/modal.py)."""
        box = getattr(self, "_shortcuts_box", None)
        if box is None:
            rows = "".join(f"<tr><td><b>{keys}</b></td><td>&nbsp;&nbsp;{what}</td></tr>"
                           for keys, what in self.shortcut_rows())
            box = QMessageBox(parent)
            box.setWindowTitle("Keyboard shortcuts")
            box.setText(f"<table>{rows}</table>")
            self._shortcuts_box = box
        open_dialog(box, parent)
        return box
