"""The agent cards (app/agent_bars.py): the title row's name, *explored* badge and credit
never overlap, at the narrow width of an inspector beside the open settings panel too."""

from __future__ import annotations

import numpy as np
from PySide6.QtCore import QRectF

from app.agent_bars import AgentBars
from app.theme import app_font


def bars(width: int, scale: float = 1.0) -> AgentBars:
    widget = AgentBars()
    widget.setFont(app_font(scale))
    widget.scale = scale
    n, a = 3, 6
    qs = np.linspace(-1, 1, n * a).reshape(n, a)
    widget.set_data(qs, np.ones((n, a), bool), np.zeros(n, int), np.ones(n, int),
                    np.ones(n, bool), np.array([0.48, 0.7, 0.531]),
                    ("stay", "up", "down", "left", "right", "catch"), False)
    widget.resize(width, 600)
    return widget


def title_rects(widget: AgentBars) -> list[tuple[QRectF, dict]]:
    _row_h, title_h = widget._metrics()
    cols = widget.columns()
    gap = 10 * widget.scale
    card_w = (widget.width() - gap * (cols - 1)) / cols
    card = QRectF(0, 0, card_w, title_h + 200)
    return [(card, widget.title_layout(i, card, title_h)) for i in range(3)]


def test_badge_and_credit_never_overlap_and_the_credit_stays(qapp):
    for width, scale in ((560, 1.0), (420, 1.0), (230, 1.0), (900, 1.0), (640, 1.45)):
        widget = bars(width, scale)
        for card, lay in title_rects(widget):
            assert "badge" in lay and "credit" in lay, (width, scale)
            badge, credit, name = lay["badge"], lay["credit"], lay["name"]
            assert not badge.intersects(credit), (width, scale, badge, credit)
            assert not name.intersects(badge) and not name.intersects(credit)
            assert card.contains(credit) and card.contains(badge), (width, scale)
            assert lay["credit_text"].endswith(("0.48", "0.70", "0.53"))


def test_wide_card_keeps_one_title_line_narrow_card_moves_the_credit_down(qapp):
    wide = title_rects(bars(1400))[0][1]
    assert abs(wide["credit"].center().y() - wide["badge"].center().y()) < 1
    narrow = title_rects(bars(230))[0][1]
    assert narrow["credit"].top() >= narrow["badge"].bottom()


def test_painting_at_a_narrow_width_draws_the_credit(qapp):
    from PySide6.QtGui import QColor

    from app.theme import DARK

    widget = bars(420)
    image = widget.grab().toImage()
    _card, lay = title_rects(widget)[0]
    rect = lay["credit"].toRect()
    dim = QColor(DARK.text_dim)
    ink = sum(1 for x in range(rect.left(), rect.right()) for y in range(rect.top(),
              rect.bottom()) if abs(image.pixelColor(x, y).red() - dim.red()) < 30
              and abs(image.pixelColor(x, y).green() - dim.green()) < 30)
    assert ink > 20  # the credit's glyphs, where the layout put them
