"""The controls are declared once (app/actions.py): every action has a text, its keys, a
tooltip and a slot, sits in a menu and in the F1 list; the toolbar and the menus name only
what exists; every icon is a file. On a window whose engine never starts (no TensorFlow)."""

from __future__ import annotations

import pytest
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QMenu
from studio_helpers import bare_window, close_window

import assets
from app.actions import ACTIONS, MENUS, TOOLBAR, slot_of

# action object name -> the shortcuts the README promises
SHORTCUTS = {
    "play": ["Space"], "step_env": ["N", "Right"], "step_episode": ["E"], "step_update": ["U"],
    "evaluate": ["V"], "reset": ["R"], "faster": ["+"], "slower": ["-"], "save": ["Ctrl+S"],
    "save_as": ["Ctrl+Shift+S"], "open": ["Ctrl+O"], "open_study": ["Ctrl+Shift+O"],
    "study": ["F3"], "presentation": ["F11"],
    "theme": ["Ctrl+T"], "settings": ["F2"], "shortcuts": ["F1"], "quit": ["Ctrl+Q"],
}


@pytest.fixture(scope="module")
def window(qapp, tmp_path_factory):
    window = bare_window(tmp_path_factory.mktemp("actions"))
    window.resize(1600, 980)
    window.show()
    yield window
    close_window(window)


def action(window, name):
    for act in window.actions():
        if act.objectName() == name:
            return act
    raise KeyError(name)


def test_every_control_has_a_tooltip_and_its_shortcut(window):
    for name, keys in SHORTCUTS.items():
        act = action(window, name)
        assert act.toolTip(), name
        bound = [s.toString() for s in act.shortcuts()]
        for key in keys:
            assert QKeySequence(key).toString() in bound, (name, key, bound)


def menu_actions(window):
    """Every action reachable from the menu bar, submenus included."""
    found = []

    def walk(menu: QMenu) -> None:
        for act in menu.actions():
            if act.menu() is not None:
                walk(act.menu())
            else:
                found.append(act)

    for act in window.menuBar().actions():
        walk(act.menu())
    return found


def test_every_action_has_text_keys_tooltip_a_slot_a_menu_and_an_f1_row(window):
    in_menus = {act.objectName() for act in menu_actions(window)}
    f1 = window.acts.shortcut_rows()
    described = {what for _, what in f1}
    for spec in ACTIONS:
        assert spec.text and spec.keys and spec.tooltip, spec.name
        assert callable(slot_of(window, spec.slot)), spec.name
        assert spec.name in in_menus, f"{spec.name} is in no menu"
        assert spec.tooltip in described, f"{spec.name} is not in the F1 list"
        act = window.acts[spec.name]
        assert act.text() == spec.text or spec.name == "play"  # Play reads Pause while training
        # a per_key row's keys are one action each (its menu entry has none of its own)
        bound = [a.shortcut() for a in window.acts.per_key[spec.name]] if spec.per_key \
            else act.shortcuts()
        assert [s.toString() for s in bound] == [QKeySequence(k).toString() for k in spec.keys]
        assert act.toolTip().startswith(spec.tooltip) and act.statusTip() == spec.tooltip
    assert len(f1) == len(ACTIONS)  # one row each, in table order
    assert [what for _, what in f1] == [spec.tooltip for spec in ACTIONS]


def test_the_f1_box_lists_every_key(window):
    box = window.acts.show_shortcuts(window)
    try:
        for keys, what in window.acts.shortcut_rows():
            assert keys in box.text() and what in box.text()
        # however long the list, the dialog and its OK button fit the screen (it scrolls)
        box.adjustSize()
        assert box.height() <= box.screen().availableGeometry().height()
    finally:
        box.done(0)  # kept: F1 shows the same dialog again


def test_toolbar_and_menus_name_only_what_exists(window):
    names = {spec.name for spec in ACTIONS}
    widgets = {"speed_caption", "speed", "speed_label", "scenario", "algo", "spacer"}
    for entry in TOOLBAR:
        assert entry == "|" or entry in names or entry.strip("<>") in widgets, entry
    files = set(window.session.menu_items())
    for _, entries in MENUS:
        for entry in entries:
            assert entry == "|" or entry in names or entry.strip("<>") in files, entry
    assert len({n for n in TOOLBAR if n in names}) == sum(n in names for n in TOOLBAR)


def test_every_icon_is_an_svg_file(window):
    for spec in ACTIONS:
        if spec.icon:
            assert "<svg" in assets.read_text("icons", f"{spec.icon}.svg"), spec.icon
            assert not window.acts[spec.name].icon().isNull(), spec.name


def test_presentation_hides_the_chrome_buttons_and_enables_esc(window):
    tb = window.toolbar
    chrome = [spec.name for spec in ACTIONS if not spec.presenting
              and tb.widgetForAction(window.acts[spec.name]) is not None]
    assert chrome and not window.acts["leave_presentation"].isEnabled()
    window.acts.set_presenting(tb, True)
    try:
        assert all(not tb.widgetForAction(window.acts[n]).isVisibleTo(window) for n in chrome)
        assert tb.widgetForAction(window.acts["presentation"]).isVisibleTo(window)
        assert window.acts["leave_presentation"].isEnabled()
    finally:
        window.acts.set_presenting(tb, False)
