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

import shiboken6
from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import (QDialog, QDialogButtonBox, QLabel, QMainWindow, QMenu,
                               QMenuBar, QScrollArea, QSizePolicy, QToolBar, QToolButton,
                               QVBoxLayout, QWidget)

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
    per_key: bool = False  # each key triggers `slot(key)` on its own (arrows, digits)


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
    Action("export", "Export episode…", ("Ctrl+E",),
           "Export an episode as GIF or MP4: size, Q overlay, speed, which episode",
           "episode_export.ask"),
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
    Action("race", "Race…", ("F4",),
           "Race this run's algorithm against another (QMIX vs VDN) on the same scenario and "
           "seed, side by side", "open_race"),
    Action("take_over", "Take over agent", ("T",),
           "Control the selected agent yourself (A or a click selects it); T again releases it",
           "manual.toggle", checkable=True),
    Action("human_move", "Move the agent", ("Up", "Down", "Left", "Right"),
           "While you control an agent: move it (paused: one step per key; playing: its next "
           "step, 'stay' without a key)", "manual.move_key", per_key=True),
    Action("human_action", "Agent action by number", tuple(str(i) for i in range(1, 10)),
           "While you control an agent: its action number 1-9 (the scenario's action list, "
           "e.g. 6 = catch / load on the grid worlds)", "manual.number_key", per_key=True),
    Action("human_others_greedy", "Others act greedily", ("G",),
           "While you control an agent: the other agents act greedily (else ε-greedy)",
           "manual.toggle_others_greedy", checkable=True),
    Action("human_to_buffer", "Keep my steps in the buffer", ("B",),
           "Put the episodes you played into the replay buffer (default: kept out)",
           "manual.toggle_to_buffer", checkable=True),
    Action("whatif_nudge", "What-if: move the selected agent",
           ("Shift+Up", "Shift+Down", "Shift+Left", "Shift+Right"),
           "While paused: what if the selected agent stood one cell over? (the mouse drags "
           "agents, prey and food the same way)", "whatif.nudge", per_key=True),
    Action("whatif_undo", "Undo what-if move", ("Ctrl+Z",), "Take back the last what-if move",
           "whatif.undo"),
    Action("whatif_leave", "Leave what-if", ("Esc",),
           "Leave the what-if: the real state is back (Play and every step leave it too)",
           "whatif.leave"),
    Action("value_map", "Value map", ("M",),
           "The selected agent's value map on the picture: Q_tot if it stood on each cell "
           "(while paused; of the what-if state after a drag)", "views.toggle_value_map",
           checkable=True),
    Action("value_map_kind", "Value map: next value", ("Shift+M",),
           "Value map of Q_tot -> V(s) -> the agent's own max Q", "views.cycle_value_map"),
    Action("mixer_surface", "Mixer surface", ("X",),
           "Q_tot over the selected and the next agent's Q-values at the state on screen "
           "(contours, the current point)", "views.toggle_mixer", checkable=True),
    Action("editor", "World editor", ("W",),
           "Edit the world (pursuit, foraging): walls, agents, prey / food; W again "
           "leaves", "editor.toggle", checkable=True),
    Action("editor_tool", "Editor tool", ("Ctrl+1", "Ctrl+2", "Ctrl+3", "Ctrl+4"),
           "In the world editor: tool 1 wall, 2 erase, 3 add agent, 4 add prey / food "
           "(a click on a cell applies it)", "editor.tool_key", per_key=True),
    Action("editor_apply", "Apply edited world", ("Ctrl+Return", "Ctrl+Enter"),
           "Train on the edited world (or hear that a new run is needed)", "editor.apply"),
    Action("editor_save", "Save layout…", ("Ctrl+Shift+L",), "Save the edited world to a "
           "layout file", "editor.save"),
    Action("editor_load", "Load layout…", ("Ctrl+L",), "Load a layout file into the world "
           "editor", "editor.load"),
    Action("shortcuts", "Keyboard shortcuts", ("F1",), "List every keyboard shortcut",
           "show_shortcuts"),
    Action("quit", "Quit", ("Ctrl+Q",), "Close QMIX Studio", "close"),
    Action("replay", "Replay", ("Ctrl+R",),
           "Replay a finished episode step by step (pauses training; again: back to live)",
           "replay.toggle", checkable=True),
    Action("replay_back", "Replay: step back", (",",), "Replay: one step back",
           "replay.step_back"),
    Action("replay_forward", "Replay: step forward", (".",), "Replay: one step forward",
           "replay.step_forward"),
    Action("replay_start", "Replay: start", ("Home",), "Replay: jump to the episode's start",
           "replay.to_start"),
    Action("replay_end", "Replay: end", ("End",), "Replay: jump to the episode's end",
           "replay.to_end"),
)
REPLAY_STEPS = ("replay_back", "replay_forward", "replay_start", "replay_end")
"""Enabled only while replaying (app/replay_bar.py)."""

TOOLBAR = ("play", "step_env", "step_episode", "step_update", "evaluate", "|",
           "<speed_caption>", "<speed>", "<speed_label>", "|", "<scenario>", "<algo>", "reset",
           "<spacer>", "open", "save", "settings", "theme", "presentation")
MENUS = (
    ("&File", ("open", "open_study", "<recent>", "|", "save", "save_as", "<save_buffer>",
               "<autosave>", "|", "export", "|", "quit")),
    ("&Run", ("play", "step_env", "step_episode", "step_update", "evaluate", "|", "faster",
              "slower", "|", "reset", "race")),
    ("&View", ("study", "settings", "theme", "presentation", "next_agent",
               "leave_presentation", "|", "replay", "replay_back", "replay_forward",
               "replay_start", "replay_end")),
    ("&Control", ("take_over", "human_move", "human_action", "human_others_greedy",
                  "human_to_buffer", "|", "whatif_nudge", "whatif_undo", "whatif_leave",
                  "value_map", "value_map_kind", "mixer_surface", "|",
                  "editor", "editor_tool", "editor_apply", "editor_save", "editor_load")),
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
        self.per_key: dict[str, list[QAction]] = {}  # a per_key row's one action per key
        for spec in table:
            action = QAction(spec.text, window)
            action.setObjectName(spec.name)
            if spec.per_key:
                self.per_key[spec.name] = self._key_actions(window, spec)
            else:
                action.setShortcuts([QKeySequence(k) for k in spec.keys])
            action.setShortcutContext(Qt.WindowShortcut)
            keys = key_text(spec.keys, " / ")
            action.setToolTip(f"{spec.tooltip} ({keys})" if keys else spec.tooltip)
            action.setStatusTip(spec.tooltip)
            action.setCheckable(spec.checkable)
            if not spec.per_key:  # a per_key row's menu entry stands for its keys (above)
                action.triggered.connect(slot_of(window, spec.slot))
            window.addAction(action)  # shortcuts keep working with menus/toolbar hidden
            self.by_name[spec.name] = action

    @staticmethod
    def _key_actions(window: QWidget, spec: Action) -> list[QAction]:
        """One hidden QAction per key of a per_key row, each calling `slot(key)`."""
        slot = slot_of(window, spec.slot)
        actions = []
        for key in spec.keys:
            action = QAction(f"{spec.text} {key}", window)
            action.setObjectName(f"{spec.name}:{key}")
            action.setShortcut(QKeySequence(key))
            action.setShortcutContext(Qt.WindowShortcut)
            action.triggered.connect(lambda _=False, k=key: slot(k))
            window.addAction(action)
            actions.append(action)
        return actions

    def set_enabled(self, name: str, on: bool) -> None:
        """Enable a row's action and, for a per_key row, every one of its keys."""
        self[name].setEnabled(on)
        for action in self.per_key.get(name, ()):
            action.setEnabled(on)

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

    def set_replaying(self, on: bool) -> None:
        """Replay's step keys work only in replay; the Replay entry shows whether it is on."""
        self["replay"].setChecked(on)
        for name in REPLAY_STEPS:
            self[name].setEnabled(on)

    def apply_icons(self, toolbar: QToolBar, colour: str, scale: float) -> None:
        for spec in self.table:
            if spec.icon:
                self[spec.name].setIcon(make_icon(spec.icon, colour))
        toolbar.setIconSize(QSize(round(20 * scale), round(20 * scale)))

    def shortcut_rows(self) -> list[tuple[str, str]]:
        """(keys, what it does) for every control, in table order: the F1 list."""
        return [(key_text(spec.keys, ", "), spec.tooltip) for spec in self.table if spec.keys]

    def show_shortcuts(self, parent: QWidget) -> "ShortcutsBox":
        """The F1 list: one dialog, made once and shown again (one per press was never
        deleted: ~1.1 MB each); training pauses while it is open (app/modal.py)."""
        box = getattr(self, "_shortcuts_box", None)
        if box is None or not shiboken6.isValid(box):
            cells = [f"<td><b>{keys}</b></td><td>{what}&nbsp;&nbsp;&nbsp;</td>"
                     for keys, what in self.shortcut_rows()]
            half = (len(cells) + 1) // 2  # two columns: the list fits a 1000-pixel-high screen
            rows = "".join(f"<tr>{cells[i]}{cells[i + half] if i + half < len(cells) else ''}"
                           "</tr>" for i in range(half))
            box = ShortcutsBox(parent, f"<table cellspacing='4'>{rows}</table>")
            self._shortcuts_box = box
        open_dialog(box, parent)
        return box


class ShortcutsBox(QDialog):
    """The F1 list: a wide dialog (a message box would not grow to two columns)."""

    def __init__(self, parent: QWidget, html: str) -> None:
        super().__init__(parent)
        self.setWindowTitle("Keyboard shortcuts")
        layout = QVBoxLayout(self)
        self.label = QLabel(html)
        self.label.setTextFormat(Qt.RichText)
        self.label.setWordWrap(True)
        self.label.setMinimumWidth(1150)
        self.label.setMinimumHeight(self.label.heightForWidth(1150) + 8)  # no row cut off
        # the list outgrows a 1000-pixel screen: it scrolls, the OK button stays in view
        self.scroll = QScrollArea()
        self.scroll.setWidget(self.label)
        self.scroll.setWidgetResizable(True)
        self.scroll.setFrameShape(QScrollArea.NoFrame)
        self.scroll.setHorizontalScrollBarPolicy(Qt.ScrollBarAlwaysOff)
        layout.addWidget(self.scroll)
        buttons = QDialogButtonBox(QDialogButtonBox.Ok)
        buttons.accepted.connect(self.accept)
        layout.addWidget(buttons)
        screen = (parent.screen() if parent is not None else None) or self.screen()
        room = screen.availableGeometry().height() - 120  # title bar, margins, the button
        self.scroll.setMinimumWidth(1150 + self.scroll.verticalScrollBar().sizeHint().width())
        self.scroll.setMinimumHeight(min(self.label.minimumHeight(), max(300, room)))

    def text(self) -> str:
        return self.label.text()
