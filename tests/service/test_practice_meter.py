"""The live listening meter's server side: ``advice_early`` from ``/practice/<id>/next``.

Real Flask test client, the shipped cue model, the bundled relapse-shame scenario; replies as text.
"""

from __future__ import annotations

import json

import pytest

from tests.web_fixtures import app, instance, login, world


def _ask(client, said, text="", replies=None):
    data = {"said": json.dumps(said), "text": text}
    if replies is not None:
        data["replies"] = json.dumps(replies)
    r = client.post("/practice/relapse-shame/next", data=data)
    return r.status_code, r.get_json()


@pytest.fixture
def client(app, world):
    c = app.test_client()
    login(c, "alice")
    return c


def test_advice_first_is_marked_early_and_a_reflection_is_not(client):
    status, j = _ask(client, ["opening"], "You should just call your sponsor tonight.")
    assert status == 200 and j["advice_early"] is True and j["line_id"] == "sister-yes-but"
    status, j = _ask(client, ["opening"], "You feel like everyone can see it on you.")
    assert status == 200 and j["advice_early"] is False and j["line_id"] == "sister-deeper"
    # the opening itself answers no reply: never marked
    assert _ask(client, [])[1]["advice_early"] is False


def test_advice_after_exploring_is_not_early(client):
    reflection = "It sounds like you're carrying a lot of shame, and you still came today."
    advice = "You should just call your sponsor tonight."
    # the same advice, after a reflection earlier in this practice: the helper has explored
    status, j = _ask(client, ["opening", "sister-deeper"], advice, replies=[reflection])
    assert status == 200 and j["advice_early"] is False
    # ...but after a closed question only, it is still early
    status, j = _ask(client, ["opening", "sister-short"], advice, replies=["Did you use on Saturday?"])
    assert status == 200 and j["advice_early"] is True


def test_bad_replies_field_is_a_clear_400(client):
    status, j = _ask(client, ["opening"], "ok", replies="not a list")
    assert status == 400 and "replies" in j["message"]
    status, j = _ask(client, ["opening"], "ok", replies=["a", "b"])  # more replies than lines said
    assert status == 400


def test_practice_page_carries_the_reports_talk_share_band(client):
    from analysis.report.glossary import BANDS

    low, high, _ = BANDS["talk_share"]
    html = client.get("/practice/relapse-shame").get_data(as_text=True)
    assert f'data-low="{round(low)}"' in html and f'data-high="{round(high)}"' in html
    assert 'id="meter-on"' in html and 'id="live-meter" class="live-meter" hidden' in html
