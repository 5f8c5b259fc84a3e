"""The report's captions (WebVTT from its turns) and the timeline's sentence: known answers, access like the audio."""

from __future__ import annotations

from service.store.storage import import_session
from service.web.report_text import timeline_summary, vtt_time, webvtt
from tests.web_fixtures import JFK, app, instance, login, make_report, world  # noqa: F401 (fixtures)

TURNS = [
    {"i": 0, "who": "Helper", "role": "helper", "start": 0.5, "end": 3.25, "text": "How  are you\nfeeling?"},
    {"i": 1, "who": "Client", "role": "client", "start": 3.4, "end": 3661.0, "text": "Tired --> <b>low</b> & sad"},
    {"i": 2, "who": "Client", "role": "client", "start": None, "end": None, "text": "untimed"},
    {"i": 3, "who": "Helper", "role": "helper", "start": 5.0, "end": 6.0, "text": "   "},
]


def test_vtt_time():
    assert vtt_time(0) == "00:00:00.000"
    assert vtt_time(3661.0005) == "01:01:01.000"
    assert vtt_time(59.9996) == "00:01:00.000"


def test_webvtt_one_cue_per_timed_turn_with_text():
    assert webvtt(TURNS) == (
        "WEBVTT\n\n"
        "00:00:00.500 --> 00:00:03.250\n<v Helper>How are you feeling?\n\n"
        "00:00:03.400 --> 01:01:01.000\n<v Client>Tired -> &lt;b>low&lt;/b> &amp; sad\n"
    )


def test_timeline_summary_counts_turns_talk_and_events():
    data = {"turns": [
        {"who": "Helper", "start": 0.0, "end": 30.0}, {"who": "Client", "start": 30.0, "end": 40.0},
        {"who": "Helper", "start": 40.0, "end": 50.0}, {"who": "Client", "start": None, "end": None}],
        "overlaps": [{}], "interruptions": [{}, {}], "client_interruptions": []}
    assert timeline_summary(data) == ("Helper: 2 turns, 80 % of the talk; Client: 1 turn, 20 % of the talk; "
                                      "1 time both talking; 2 interruptions by the helper.")


def test_captions_route_serves_the_turns_and_checks_access(app, world, instance):
    report = make_report(70.0)
    report["turns"] = [{"speaker": "A", "role": "helper", "start": 1.0, "end": 2.5, "text": "What brings you here?"},
                       {"speaker": "B", "role": "client", "start": 2.6, "end": 4.0, "text": "My sister."}]
    sid = import_session(instance, "alice", JFK, report, source="test", title="with turns")
    c = app.test_client()
    assert c.get(f"/sessions/{sid}/captions.vtt").status_code in (302, 401)  # logged out
    login(c, "bob")
    assert c.get(f"/sessions/{sid}/captions.vtt").status_code == 404  # not bob's: the same answer as missing
    c = app.test_client()
    login(c, "alice")
    r = c.get(f"/sessions/{sid}/captions.vtt")
    assert r.status_code == 200 and r.mimetype == "text/vtt"
    assert r.get_data(as_text=True) == ("WEBVTT\n\n00:00:01.000 --> 00:00:02.500\n<v Helper>What brings you here?\n\n"
                                        "00:00:02.600 --> 00:00:04.000\n<v Client>My sister.\n")
    page = c.get(f"/sessions/{sid}").get_data(as_text=True)
    assert f'src="/sessions/{sid}/captions.vtt"' in page and 'kind="captions"' in page
    assert "Helper: 1 turn, 52 % of the talk; Client: 1 turn, 48 % of the talk." in page
    sup = app.test_client()
    login(sup, "sup1")
    assert sup.get(f"/sessions/{sid}/captions.vtt").status_code == 200  # alice's supervisor
    assert sup.get("/sessions/9999/captions.vtt").status_code == 404
