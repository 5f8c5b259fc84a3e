"""Issue 21: "voicing one 40-line scenario held its request for 100 s; ten at once held ``GET /login``
for 92 s."

Against a real ``listenwell serve`` (waitress, the default job runner, real Piper): adding a
scenario answers at once with a voicing job to follow, the job voices it outside the request while
``/login`` keeps answering within a second, and a voicing cut off by SIGKILL leaves nothing
half-stored and runs again after the restart. Before the fix the request voiced every line itself:
17 s for 40 lines here, and ten at once held ``/login`` for 68 s.
"""

from __future__ import annotations

import json
import re
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
import requests

from tests.security.live import log_in, make_users, start_server
from tests.security.load import LatencyProbe

pytest.importorskip("piper")

_OPEN = ["I keep thinking about", "My sister keeps asking about", "I haven't told anyone about", "I lie awake over",
         "Nobody at work knows about", "I get angry when I think about", "I feel stupid about", "I'm scared of"]
_WHAT = ["the meeting last week", "the phone call from my dad", "what happened at the clinic", "the money I lost",
         "the night I used again"]


def scenario_text(sid: str, n: int, title: str | None = None) -> str:
    """A format-1 scenario of ``n`` different client lines (none alike, so every one is voiced afresh)."""
    lines = [{"id": f"l{i:02d}", "text": f"{_OPEN[i % 8]} {_WHAT[i // 8 % 5]}, {sid.replace('-', ' ')}, day {i + 2}."}
             for i in range(n)]
    return json.dumps({"id": sid, "title": title or f"Scenario {sid}", "profile": "A client who worries.",
                       "feelings": ["worried"], "good_listening": ["reflect"], "lines": lines})


def _job(s: requests.Session, url: str, job_id: int) -> dict:
    return s.get(f"{url}/api/jobs/{job_id}", timeout=10).json()


def _wait_job(s, url, job_id, timeout=300.0, stages: list[str] | None = None) -> dict:
    end = time.monotonic() + timeout
    while (job := _job(s, url, job_id))["status"] not in ("done", "failed"):
        assert time.monotonic() < end, job
        if stages is not None and (not stages or stages[-1] != job["stage"]):
            stages.append(job["stage"])
        time.sleep(0.3)
    return job


@pytest.fixture
def server(tmp_path):
    instance = tmp_path / "instance"
    make_users(instance)
    live = start_server(instance)  # one job worker, as `listenwell serve` starts
    yield live
    live.stop()


def test_a_40_line_scenario_is_voiced_in_a_job_while_login_answers_within_a_second(server, capsys):
    sup = log_in(server.url, "sup1")
    with LatencyProbe(server.url + "/login", every=0.5) as probe:
        t0 = time.perf_counter()
        r = sup.post(server.url + "/scenarios/add", data={"text": scenario_text("forty-lines", 40, "Forty lines")},
                     allow_redirects=False, timeout=60)
        answered = time.perf_counter() - t0
        assert r.status_code == 302, r.text[:500]
        assert answered < 2.0, answered  # before: the request voiced all 40 lines (17-100 s)
        follow = server.url + r.headers["Location"]
        job_id = int(re.search(r"job=(\d+)", follow).group(1))
        page = sup.get(follow, timeout=10).text
        assert "Voicing “Forty lines”" in page and f"/api/jobs/{job_id}" in page
        stages: list[str] = []
        job = _wait_job(sup, server.url, job_id, stages=stages)
        voiced_in = time.perf_counter() - t0
    with capsys.disabled():
        print(f"\n40-line voicing: answered in {1000 * answered:.0f} ms, voiced in {voiced_in:.1f} s; "
              f"/login during it: {probe.summary()}")
    assert job["status"] == "done" and job["kind"] == "voicing", job
    assert probe.statuses == {200} and len(probe.times) >= 5
    assert max(probe.times) < 1.0, probe.summary()
    # the page followed it line by line
    numbers = [int(m.group(1)) for s in stages if (m := re.fullmatch(r"Voicing line (\d+) of 40", s))]
    assert len(numbers) >= 3 and numbers == sorted(numbers), stages
    # stored whole, listed, practised
    page = sup.get(follow, timeout=10).text
    assert "Added “Forty lines”: 40 client lines voiced" in page and "Voicing “Forty lines”" not in page
    assert 'id="scenario-forty-lines"' in page and "added by sup1" in page
    folder = server.instance / "scenarios" / "forty-lines"
    assert len(list(folder.glob("*.flac"))) == 40 and (folder / "scenario.json").is_file()
    assert list((server.instance / "tmp").glob("scenario-*")) == []
    trainee = log_in(server.url, "alice")
    assert "Forty lines" in trainee.get(server.url + "/practice/", timeout=10).text
    line = trainee.get(server.url + "/practice/forty-lines/lines/39", timeout=10)
    assert line.status_code == 200 and len(line.content) > 5000
    # a trainee cannot follow (or learn of) a supervisor's voicing job
    assert trainee.get(f"{server.url}/api/jobs/{job_id}", timeout=10).status_code == 404


def test_ten_adds_at_once_answer_at_once_and_login_stays_fast(server, capsys):
    """The issue's second probe: ten supervisors' adds at once. Three are queued (the per-user limit on
    scenarios waiting to be voiced), seven refused at once with the reason; /login never waits."""
    sup = log_in(server.url, "sup1")

    def add(i: int):
        t0 = time.perf_counter()
        r = sup.post(server.url + "/scenarios/add", data={"text": scenario_text(f"ten-{i}", 6)},
                     allow_redirects=False, timeout=60)
        return r.status_code, time.perf_counter() - t0, r.text

    with LatencyProbe(server.url + "/login", every=0.5) as probe:
        with ThreadPoolExecutor(10) as pool:
            answers = list(pool.map(add, range(10)))
        queued = [i for i, (status, _, _) in enumerate(answers) if status == 302]
        end = time.monotonic() + 240
        while not all((server.instance / "scenarios" / f"ten-{i}" / "scenario.json").is_file() for i in queued):
            assert time.monotonic() < end
            time.sleep(0.3)
    with capsys.disabled():
        print(f"\nten adds at once: answered in at most {max(t for _, t, _ in answers):.2f} s "
              f"({len(queued)} queued); /login: {probe.summary()}")
    assert sorted(status for status, _, _ in answers) == [302] * 3 + [429] * 7
    assert all(t < 5.0 for _, t, _ in answers), [round(t, 2) for _, t, _ in answers]
    refused = next(text for status, _, text in answers if status == 429)
    assert "You have 3 scenarios waiting to be voiced; add this one when one of them is done." in refused
    assert max(probe.times) < 1.0, probe.summary()


def test_a_voicing_killed_midway_leaves_nothing_and_runs_again_after_restart(tmp_path):
    instance = tmp_path / "instance"
    make_users(instance)
    server = start_server(instance)
    try:
        sup = log_in(server.url, "sup1")
        r = sup.post(server.url + "/scenarios/add", data={"text": scenario_text("cut-off", 12, "Cut off")},
                     allow_redirects=False, timeout=60)
        job_id = int(re.search(r"job=(\d+)", r.headers["Location"]).group(1))
        end = time.monotonic() + 120
        while not re.fullmatch(r"Voicing line ([4-9]|1[01]) of 12", _job(sup, server.url, job_id)["stage"]):
            assert time.monotonic() < end, _job(sup, server.url, job_id)
            time.sleep(0.05)
        server.stop(signal.SIGKILL)  # mid-voicing
        assert not (instance / "scenarios" / "cut-off").exists()  # nothing half-stored in the list
        half = list((instance / "tmp").glob("scenario-*"))
        assert half and 0 < len(list(half[0].glob("*.flac"))) < 12  # the half-voiced work folder

        server = start_server(instance)
        assert not half[0].exists()  # swept at start-up
        sup = log_in(server.url, "sup1")
        job = _wait_job(sup, server.url, job_id, timeout=180)
        assert job["status"] == "done" and job["attempts"] == 2, job
        assert len(list((instance / "scenarios" / "cut-off").glob("*.flac"))) == 12
        assert list((instance / "tmp").glob("scenario-*")) == []
        assert "Cut off" in sup.get(server.url + "/scenarios/add", timeout=10).text
    finally:
        server.stop()

