"""Practice in the browser: pick a scenario, record the role-play (MediaRecorder), submit.

The stored recording is a WAV with both sides: channel 0 the trainee's mic,
channel 1 the scenario's client lines placed where the page says they played
(:mod:`service.practice.recording`). With a branching scenario the page talks to
``/practice/<id>/next``: it streams each reply (16 kHz 16-bit PCM chunks) while the trainee
speaks; the server hears it with the terminal's end-of-turn rule (:mod:`service.web.practice_turns`)
and answers with the client's next line, chosen by the cue model
(:mod:`service.practice.conversation`). Line numbers index ``Scenario.all_lines``.
"""

from __future__ import annotations

import atexit
import json
import logging
import math
import threading
import uuid

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    jsonify,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_login import current_user, login_required

from analysis.cues.reply import fix_before_exploring
from analysis.errors import ListenWellError, NotFoundError, ParameterError
from analysis.report.glossary import BANDS
from audio.decode import decode
from audio.devices.practice import PracticeOptions
from audio.devices.turn_taking import make_transcriber
from service.practice.added import all_scenarios, is_added
from service.practice.conversation import decide, first_line, read_reply
from service.practice.cut_in import CUT_IN_AUDIO, cut_in_lead, cut_in_reason, cut_in_text, with_cut_in_lead
from service.practice.recording import MIC_CHANNEL, write_practice_wav
from service.store.db import get_db
from service.store.storage import audio_dir, audio_path
from service.web import practice_turns
from service.web.busy import Busy, WorkGate
from service.web.jobs import usable_cores
from service.web.queue_limits import QueueRoom
from service.web.upload import accept_audio, queue_session

__all__ = ["bp", "find_scenario", "init_app", "parse_timeline", "scenarios_or_empty"]

logger = logging.getLogger(__name__)
bp = Blueprint("practice", __name__, url_prefix="/practice")


def scenarios_or_empty() -> list:
    """The bundled scenarios, then those a supervisor added in this instance; [] (logged) when none can be read."""
    try:
        return all_scenarios(current_app.config.get("SCENARIOS_DIR"), current_app.instance_path)
    except (ImportError, ListenWellError) as e:
        logger.warning("no practice scenarios: %s", e)
        return []


def find_scenario(scenario_id: str):
    """The bundled or added scenario with this id, or :class:`NotFoundError`."""
    for s in scenarios_or_empty():
        if s.id == scenario_id:
            return s
    raise NotFoundError(f"no scenario {scenario_id!r}")


def _scenario(scenario_id: str):
    for s in scenarios_or_empty():
        if s.id == scenario_id:
            return s
    abort(404)


def parse_timeline(text: str | None, lines: tuple = ()) -> list[dict] | None:
    """The client lines' times sent by the page: ``[{"start", "end", "line"}]`` (seconds into
    the recording, line index); returned as ``[{"start", "end", "text", "line"}]`` for the pipeline
    (``line`` is -1 when the page named no line of this scenario). A conversation page may add
    ``because`` ("after a reflection") and ``reply_start`` (s), kept for the client's arc, ``cut``
    (true: the trainee cut in and she stopped; the report counts it) and ``after_cut_in`` (true: the
    line began with "Oh. Okay.", :mod:`service.practice.cut_in`)."""
    if not text:
        return None
    try:
        items = json.loads(text)
    except json.JSONDecodeError as e:
        raise ParameterError(f"client_timeline is not JSON: {e}") from e
    bad = "client_timeline must be a list of {start, end, line} objects"
    if not isinstance(items, list) or len(items) > 200:
        raise ParameterError(bad)
    out = []
    for item in items:
        if not isinstance(item, dict):
            raise ParameterError(bad)
        try:
            start, end = float(item["start"]), float(item["end"])
            line = int(item.get("line", -1))
        except (KeyError, TypeError, ValueError) as e:
            raise ParameterError(bad) from e
        if not (math.isfinite(start) and math.isfinite(end) and 0 <= start < end):
            raise ParameterError(f"client_timeline item [{start}, {end}] must satisfy 0 <= start < end")
        known = 0 <= line < len(lines)
        entry = {"start": round(start, 3), "end": round(end, 3), "text": lines[line].text if known else "",
                 "line": line if known else -1}
        # a conversation page also says why she said it and when the reply she answered began
        because = item.get("because")
        if isinstance(because, str) and because.strip():
            entry["because"] = because.strip()[:80]
        try:
            rs = float(item["reply_start"]) if item.get("reply_start") is not None else None
        except (TypeError, ValueError):
            rs = None
        if rs is not None and math.isfinite(rs) and 0 <= rs <= start:
            entry["reply_start"] = round(rs, 3)
        if item.get("cut") is True:
            entry["cut"] = True
        if item.get("after_cut_in") is True:
            entry["after_cut_in"] = True
            entry["text"] = cut_in_text(entry["text"]) if known and CUT_IN_AUDIO.is_file() else entry["text"]
        out.append(entry)
    return out or None


def _both_sides(mic_name: str, timeline: list[dict] | None, scenario) -> tuple[str, int, float]:
    """Replace the stored mic recording by a WAV with the client's lines on channel 1.

    Returns the new stored name, its channel count and duration (s).
    """
    lines = scenario.all_lines if scenario is not None else ()

    def line_audio(i: int):
        return lines[i].audio if 0 <= i < len(lines) else None

    instance = current_app.instance_path
    mic = audio_path(instance, mic_name)
    name = f"{uuid.uuid4().hex}.wav"
    try:
        channels, duration = write_practice_wav(mic, timeline, line_audio, audio_dir(instance) / name,
                                                after_cut_in=lambda clip: with_cut_in_lead(
                                                    clip, cut_in_lead(lambda p: decode(p).mono)))
    except ListenWellError as e:
        (audio_dir(instance) / name).unlink(missing_ok=True)
        e.message = e.message.replace(str(mic), "the recording").replace(mic_name, "the recording")
        raise
    finally:
        mic.unlink(missing_ok=True)
    return name, channels, round(duration, 3)


@bp.route("/")
@login_required
def choose():
    scenarios = scenarios_or_empty()
    added = {s.id for s in scenarios if is_added(s, current_app.instance_path)}
    return render_template("practice_list.html", scenarios=scenarios, added=added)


@bp.route("/<scenario_id>")
@login_required
def record(scenario_id: str):
    low, high, _ = BANDS["talk_share"]  # the report's own target band for talk share
    return render_template("practice.html", scenario=_scenario(scenario_id), talk_band=(low, high),
                           barge=PracticeOptions())  # the terminal's barge-in timing


@bp.route("/<scenario_id>/lines/<int:n>")
@login_required
def line_audio(scenario_id: str, n: int):
    """Line ``n``'s audio; with ``?after_cut_in=1`` as said after a cut-in ("Oh. Okay." first, a WAV)."""
    scenario = _scenario(scenario_id)
    lines = scenario.all_lines
    if not 0 <= n < len(lines) or lines[n].audio is None:
        abort(404)
    if request.args.get("after_cut_in") == "1":
        return send_file(practice_turns.line_wav(lines[n].audio, True), mimetype="audio/wav")
    return send_file(lines[n].audio, conditional=True)


_MAX_REPLY_S = 60.0
_RETRY_AFTER_S = {"user": 1, "server": 2}
_BUSY_MESSAGE = {
    "user": "The client is still answering your previous reply; the page sends this one again in a moment.",
    "server": "The server is answering other trainees' replies; the page sends yours again in a moment.",
}


def init_app(app: Flask) -> WorkGate:
    """The app's bound on practice decisions running at once (per user, and in all: one per core by default)."""
    total = int(app.config.get("PRACTICE_DECISIONS_AT_ONCE") or 0) or usable_cores()
    gate = WorkGate(int(app.config.get("PRACTICE_DECISIONS_PER_USER") or 1), total)
    app.extensions["listenwell_decisions"] = gate
    practice_turns.init_app(app)
    return gate


def _busy(scope: str):
    """The answer to a decision refused by the gate: at once, JSON, with when to try again."""
    wait = _RETRY_AFTER_S[scope]
    response = jsonify(error="busy", message=_BUSY_MESSAGE[scope], retry_after=wait)
    response.headers["Retry-After"] = str(wait)
    return response, 429 if scope == "user" else 503
_quick: dict[str, object] = {}
_quick_lock = threading.Lock()


def _transcriber():
    """tiny.en for replies, loaded once per process (the first caller waits)."""
    with _quick_lock:
        if "fn" not in _quick:
            _quick["fn"] = make_transcriber()[0]
        return _quick["fn"]


_warming: list[threading.Thread] = []
_release_warm_up = threading.Event()


def _join_warm_up(timeout: float = 60.0) -> None:
    """Let a warm-up still loading the models finish before the interpreter exits (a model
    half-built by a daemon thread at exit aborts the process in CTranslate2's thread pool)."""
    _release_warm_up.set()
    for thread in _warming:
        thread.join(timeout)


def _warm_up() -> None:
    """Load the cue model and tiny.en on a thread that then stays parked until exit.

    The thread must not end: when the thread that loaded the models (and ran their first pass)
    exits, every later tiny.en pass in this process is 3-40x slower (measured on 2 cores: 0.07 s
    against 0.3-5 s for a 2 s reply; CTranslate2's OpenMP pool seems to go with that thread).
    """
    def work() -> None:
        try:
            from analysis.cues.model import default_model

            default_model()
            _transcriber()
        except Exception:  # a failed warm-up shows at the first reply instead
            logger.exception("warming up the practice models failed")
        _release_warm_up.wait()
    if "fn" in _quick or any(t.is_alive() for t in _warming):
        return
    if not _warming:
        atexit.register(_join_warm_up)
    _warming[:] = [threading.Thread(target=work, name="listenwell-practice-warm-up", daemon=True)]
    _warming[0].start()


def _advice_early(scenario, said: list[str], replies: list[str], heard: str) -> bool:
    """The live meter's "you gave advice early" for this reply (the practice so far as exchanges)."""
    earlier = [r[:2000] for r in replies[: len(said) - 1]]
    earlier += [""] * (len(said) - 1 - len(earlier))
    texts = [scenario.line(x).text for x in said]
    return fix_before_exploring(list(zip(texts, earlier + [heard])))


@bp.route("/<scenario_id>/next", methods=["POST"])
@login_required
def next_line_api(scenario_id: str):
    """The client's next line after the trainee's reply (fetch with the CSRF header; JSON).

    Form: ``said`` (JSON list of the line ids said so far; empty = the opening), then the reply as
    one of: a stream of chunks (``turn``, ``at``, ``chunk``, ``cut_in``: see
    :mod:`service.web.practice_turns`; answered ``{"listening": true}`` until the terminal's
    end-of-turn rule says the reply is over), ``audio`` (the whole reply as raw 16 kHz mono 16-bit
    little-endian PCM; absent or empty = silence) or ``text`` (for testing and accessibility).
    Optionally ``replies`` (JSON list of the earlier replies as this endpoint heard them, one per
    line said before the last) for ``advice_early``: whether this reply is a fix before any
    exploring (:func:`analysis.cues.reply.fix_before_exploring`), shown by the live listening meter.
    A line's answer carries ``turn`` (the token to stream the reply to it with) and how to play it
    (``skip_s``, ``speech_end_s``, ``gaps``: :func:`service.practice.turn_stream.line_cues`).
    """
    import time

    scenario = _scenario(scenario_id)
    if not scenario.branching:
        return jsonify(error="not_branching", message="This scenario plays its lines in order."), 400
    try:
        said = json.loads(request.form.get("said") or "[]")
    except json.JSONDecodeError:
        said = None
    known = {x.id for x in scenario.all_lines}
    if not isinstance(said, list) or len(said) > 50 or not all(isinstance(x, str) and x in known for x in said):
        return jsonify(error="bad_request", message="said must be a JSON list of this scenario's line ids"), 400
    try:
        replies = json.loads(request.form.get("replies") or "[]")
    except json.JSONDecodeError:
        replies = None
    if not isinstance(replies, list) or len(replies) > len(said) or not all(isinstance(x, str) for x in replies):
        return jsonify(error="bad_request", message="replies must be a JSON list of the earlier replies' texts"), 400
    t0 = time.perf_counter()
    heard = (request.form.get("text") or "")[:2000]
    token = request.form.get("turn") or ""
    user = int(current_user.id)
    move, cut_in, turn_end, reply_at = None, False, None, None
    if not said:
        _warm_up()
        decision = first_line(scenario)
        early = False
    else:
        try:
            with current_app.extensions["listenwell_decisions"].admit(user):
                if token:
                    turn = practice_turns.open_turns().get(user, token)
                    if turn is None or turn.scenario_id != scenario.id or list(turn.said) != said:
                        return jsonify(error="no_turn", message="This reply's turn is over or unknown; "
                                                                "start the conversation again."), 409
                    at, pcm = practice_turns.read_chunk(request.files.get("chunk") and
                                                        request.files["chunk"].stream, request.form.get("at"))
                    if not practice_turns.feed_chunk(turn, scenario, _transcriber(), at, pcm,
                                                     request.form.get("cut_in") == "1"):
                        return jsonify(listening=True, turn=token, heard_s=round(turn.stream.received / 16000, 3))
                    heard, turn_end, cut_in = turn.stream.heard(), turn.stream.end_reason, turn.cut_in
                    reply_at = turn.stream.speech_start_s
                    move = turn.moves.get(heard)
                    practice_turns.open_turns().close(user, token)
                else:
                    f = request.files.get("audio")
                    if f is not None:
                        raw = f.stream.read(int(_MAX_REPLY_S * 16000 * 2) + 2)
                        if len(raw) > _MAX_REPLY_S * 16000 * 2:
                            return jsonify(error="too_long", message=f"a reply may be at most {_MAX_REPLY_S:g} s"), 400
                        pcm = practice_turns.pcm_from_bytes(raw)
                        if pcm.size >= 1600:
                            heard = _transcriber()(pcm).text.strip()
                if move is None:
                    move = read_reply(scenario, said, heard)
                decision = decide(scenario, said, move)
                early = _advice_early(scenario, said, replies, heard)
        except Busy as e:
            return _busy(e.scope)
        except ListenWellError as e:
            return jsonify(e.to_dict()), e.status_code
    lines = scenario.all_lines
    because = cut_in_reason(decision.because) if cut_in else decision.because
    if decision.line is None:
        return jsonify(done=True, heard=heard, because=because, advice_early=early, turn_end=turn_end,
                       speech_start_s=reply_at)
    n = next(i for i, x in enumerate(lines) if x.id == decision.line_id)
    src = url_for("practice.line_audio", scenario_id=scenario.id, n=n, **({"after_cut_in": 1} if cut_in else {}))
    text = cut_in_text(decision.text) if cut_in and CUT_IN_AUDIO.is_file() else decision.text
    next_turn = None if decision.ends_now else practice_turns.open_turns().open(
        user, scenario.id, tuple(said) + (decision.line_id,))
    return jsonify(done=False, line=n, line_id=decision.line_id, text=text, because=because, src=src,
                   heard=heard, ends_after_reply=decision.ends_after_reply, ends_now=decision.ends_now,
                   advice_early=early, after_cut_in=cut_in, turn=next_turn, turn_end=turn_end, speech_start_s=reply_at,
                   seconds=round(time.perf_counter() - t0, 3),
                   **practice_turns.cues_for(lines[n].audio, cut_in))


@bp.route("/submit", methods=["POST"])
@login_required
def submit():
    """Take a recording from the practice page (fetch with the CSRF header); answer JSON."""
    if current_user.role != "trainee":
        return jsonify(error="forbidden", message="Only trainees record practice sessions."), 403
    if request.form.get("consent") != "yes":
        return jsonify(error="no_consent", message="Tick the consent box before recording."), 400
    scenario_id = request.form.get("scenario_id") or None
    scenario = None
    if scenario_id is not None:
        scenario = next((s for s in scenarios_or_empty() if s.id == scenario_id), None)
        if scenario is None:
            return jsonify(error="not_found", message=f"no scenario {scenario_id!r}"), 404
    try:
        timeline = parse_timeline(request.form.get("client_timeline"), scenario.all_lines if scenario else ())
        room = QueueRoom(int(current_user.id), None, float(current_app.config["QUEUED_MINUTES_PER_USER"]),
                         again="Submit it")
        room.check(get_db(), None)  # a full queue refuses at once, before the recording is read
        name, _, _ = accept_audio(request.files.get("audio"), admit=lambda seconds: room.check(get_db(), seconds))
        name, channels, duration = _both_sides(name, timeline, scenario)
        session_id, job_id = queue_session(
            trainee_id=current_user.id, audio_name=name, audio_mime="audio/wav", duration=duration,
            source="browser", title=f"Practice: {scenario.title}" if scenario else "Practice",
            scenario_id=scenario_id, speaker_setup="scripted" if timeline else "auto", client_timeline=timeline,
            helper_channel=MIC_CHANNEL if channels == 2 else None, room=room,
        )
    except ListenWellError as e:
        return jsonify(e.to_dict()), e.status_code
    return jsonify(
        session_id=session_id,
        job_id=job_id,
        job_url=url_for("api.job", job_id=job_id),
        report_url=url_for("reports.session_page", session_id=session_id),
    ), 201
