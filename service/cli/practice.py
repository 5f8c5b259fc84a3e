"""``listenwell practice SCENARIO``: the client speaks, the trainee replies, a report follows."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import click

from analysis.errors import ParameterError
from analysis.report.text import render_text
from audio.decode import decode
from audio.devices.endpoint import EndpointOptions
from audio.devices.playback import Player
from audio.devices.practice import ClientLine, PracticeOptions, run_conversation, run_practice
from audio.devices.record import Recorder, choose_input_device
from audio.devices.turn_taking import TurnTakingOptions, make_transcriber
from service.cli.capture import KeyListener, analyze_and_store, check_store_args, device_arg
from service.practice.run import ScenarioChooser, finish_conversation, practice_as_live, practice_from_file
from service.practice.scenarios import get_scenario
from service.store.storage import store_analysed_session

__all__ = ["load_client_lines", "practice"]

logger = logging.getLogger(__name__)


def load_client_lines(scenario) -> list:
    """The scenario's client lines as :class:`audio.devices.practice.ClientLine` (16 kHz mono)."""
    missing = [i for i, line in enumerate(scenario.lines) if line.audio is None]
    if missing:
        raise ParameterError(f"scenario {scenario.id!r} has no audio for line(s) {missing}: "
                             "run '.venv/bin/python scripts/make_scenarios.py' to synthesise it")
    return [ClientLine(line.text, decode(line.audio).mono) for line in scenario.lines]


def _printer(verbose: bool):
    def on_event(kind: str, payload) -> None:
        if kind == "line":
            click.echo(f"\nclient: {payload.text}")
        elif kind == "line_done" and payload.cut:
            click.echo("  (the client stopped: you started talking)")
        elif kind == "reply":
            if payload.start is None:
                click.echo("  (no reply heard; moving on)" if payload.reason == "no_reply" else "  (moving on)")
            elif verbose:
                click.echo(f"  you: {payload.start:.2f}-{payload.end:.2f} s ({payload.reason})")
            else:
                click.echo("  ...")
    return on_event


@click.command()
@click.argument("scenario_id", metavar="SCENARIO")
@click.option("--device", default=None, help="Input device number or part of its name.")
@click.option("--output-device", default=None, help="Output device for the client's voice (default output).")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Folder for session.wav, session.json and the report (default: practice-ID-DATE-TIME).")
@click.option("--silence", type=float, default=None,
              help="Seconds of silence that end your reply (default 0.5 with a branching scenario, 1.5 with a "
                   "linear one).")
@click.option("--no-reply-timeout", type=float, default=20.0, show_default=True,
              help="Move on after this many seconds if you say nothing.")
@click.option("--client-yields", is_flag=True,
              help="The client stops talking when you talk over it (use headphones).")
@click.option("--no-echo-cancel", is_flag=True,
              help="Keep the microphone as recorded (default: subtract the client's voice it picked up).")
@click.option("--no-analyze", is_flag=True, help="Only record the session; do not analyse it.")
@click.option("--model", default=None, help="Whisper model (default tiny.en).")
@click.option("--trainee", default=None, help="Store the session for this trainee...")
@click.option("--instance", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="...in this web-service instance folder (shows in the trainee's progress).")
@click.option("--folder", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Scenario folder (default: the bundled samples/scenarios).")
@click.option("--quiet", is_flag=True, help="Do not print the text report.")
@click.option("--trainee-audio", type=click.Path(dir_okay=False, exists=True, path_type=Path), default=None,
              help="No microphone: take your replies from this recording (one reply per stretch of speech, "
                   "3 s or more of silence between replies); the client reacts to each as she would live.")
@click.option("--silence-only", is_flag=True,
              help="End your reply on the silence timer alone (the earlier behaviour; default: also read whether "
                   "your sentence is finished and your pitch falls, which lets her answer sooner).")
@click.option("--as-live", is_flag=True,
              help="With --trainee-audio: the file is the microphone from the first moment, in real time; "
                   "speech over the client's line cuts in on her (she stops).")
def practice(scenario_id, device, output_device, out, silence, no_reply_timeout, client_yields, no_echo_cancel,
             no_analyze, model, trainee, instance, folder, quiet, trainee_audio, silence_only, as_live):
    """Practise with a scenario: hear each client line, reply aloud; Enter = next line, q + Enter = stop."""
    if silence is not None and silence <= 0:
        raise ParameterError(f"--silence={silence} must be positive (seconds)")
    if as_live and trainee_audio is None:
        raise ParameterError("--as-live needs --trainee-audio FILE (the file plays the microphone)")
    if trainee_audio is not None:
        return _practice_from_file(scenario_id, trainee_audio, out, folder, model, no_analyze, trainee, instance,
                                   quiet, as_live, silence_only)

    check_store_args(trainee, instance)
    if trainee and no_analyze:
        raise ParameterError("--trainee/--instance need the analysis (drop --no-analyze)")
    scenario = get_scenario(scenario_id, folder)
    options = PracticeOptions(endpoint=replace(EndpointOptions(), silence_timeout_s=silence or 1.5,
                                               no_reply_timeout_s=no_reply_timeout),
                              client_yields=client_yields, echo_cancel=not no_echo_cancel)
    out = out or Path(f"practice-{scenario.id}-{datetime.now():%Y%m%d-%H%M%S}")
    if scenario.branching:
        return _practice_live_conversation(scenario, options, device, output_device, out, model, no_analyze,
                                           trainee, instance, quiet, silence, silence_only)
    lines = load_client_lines(scenario)
    mic = choose_input_device(device_arg(device))
    player = Player(device_arg(output_device))

    click.echo(f"{scenario.title}\n\n{scenario.profile}\n")
    click.echo(f"microphone: {mic.label}. Headphones recommended. Reply aloud after each line; pause "
               f"{silence or 1.5:g} s or press Enter to move on; type q + Enter to finish early.")
    keys = KeyListener().start()
    session = run_practice(
        lines, lambda sink: Recorder(None, device=mic.index, sink=sink), player, options=options,
        scenario_id=scenario.id, next_line=keys.enter, quit_event=keys.quit,
        on_event=_printer(logger.isEnabledFor(logging.INFO)))
    paths = session.write(out)
    click.echo(f"\nwrote {paths['stereo']} ({session.duration:.1f} s; left = you, right = client) "
               f"and {paths['timeline']}")
    if session.recording.get("overflows") or session.recording.get("dropped_blocks"):
        click.echo(f"warning: {session.recording.get('overflows')} input overflow(s) and "
                   f"{session.recording.get('dropped_blocks')} dropped block(s) while recording", err=True)
    if no_analyze:
        return
    timeline = [{"start": t.start, "end": t.end, "text": t.text} for t in session.lines]
    analyze_and_store(paths["stereo"], out, model=model, client_timeline=timeline,
                      decoded=session.decoded_for_analysis(str(paths["stereo"])), trainee=trainee,
                      instance=instance, scenario_id=scenario.id, quiet=quiet,
                      title=f"Practice: {scenario.title}")
    if not quiet:
        click.echo("\nWhat the client was feeling underneath: " + "; ".join(scenario.feelings) + ".")
        click.echo("What good listening looks like here:")
        for tip in scenario.good_listening:
            click.echo(f"  - {tip}")


def _practice_from_file(scenario_id, trainee_audio: Path, out, folder, model, no_analyze, trainee, instance,
                        quiet, as_live: bool = False, silence_only: bool = False) -> None:
    """The device-free path: the same conversation loop, replies read from a file (or the file as the
    microphone, in real time, with ``as_live``)."""
    check_store_args(trainee, instance)
    scenario = get_scenario(scenario_id, folder)
    out = out or Path(f"practice-{scenario.id}-{datetime.now():%Y%m%d-%H%M%S}")

    def on_event(kind, payload) -> None:
        if kind == "line":
            click.echo(f"client ({payload.because}): {payload.text}")
        elif kind == "reply":
            click.echo(f"  you: {payload[1] or '(silence)'}")

    if as_live:
        def live_event(kind, payload) -> None:
            if kind == "line":
                click.echo(f"{payload.start:6.2f} s  client: {payload.text}")
            elif kind == "cut_in":
                click.echo(f"{payload['trainee_voice_at']:6.2f} s  (you cut in: she stopped "
                           f"{payload['stopped_after_s']:.2f} s after your voice began)")
            elif kind == "reply" and payload.start is not None:
                click.echo(f"{payload.start:6.2f} s  you: ({payload.end - payload.start:.1f} s)")

        click.echo(f"{scenario.title}: {trainee_audio} as the microphone, in real time\n")
        result = practice_as_live(scenario, trainee_audio, model=model, on_event=live_event)
        _report_conversation(result, scenario, out, no_analyze, trainee, instance, quiet)
        return
    click.echo(f"{scenario.title}: replies from {trainee_audio}\n")
    options = TurnTakingOptions(turn_end_cues=False, speculate_after_s=0.1) if silence_only else None
    result = practice_from_file(scenario, trainee_audio, options=options, model=model, on_event=on_event,
                                short_window=not silence_only)
    _report_conversation(result, scenario, out, no_analyze, trainee, instance, quiet)


def _report_conversation(result, scenario, out: Path, no_analyze, trainee, instance, quiet) -> None:
    """Write the session and report of a conversation (live or from a file) and print the summary."""
    done = finish_conversation(result, scenario, out, analyze=not no_analyze)
    lat = result.latencies
    click.echo(f"\nwrote {done['paths']['stereo']} ({result.session.duration:.1f} s; left = you, right = client) "
               f"and {done['paths']['timeline']}")
    for note in result.notes:
        click.echo(f"note: {note}")
    if result.cut_ins:
        click.echo(f"you cut in on the client {len(result.cut_ins)} time(s); she stopped "
                   + ", ".join(f"{c['stopped_after_s']:.2f} s" for c in result.cut_ins) + " after your voice began")
    if lat:
        click.echo(f"client response latency: median {sorted(lat)[len(lat) // 2]:.2f} s over {len(lat)} repl"
                   f"{'y' if len(lat) == 1 else 'ies'}")
    report = done["report"]
    if report is None:
        return
    if not quiet:
        click.echo(render_text(report))
    elif report.practice:
        click.echo(report.practice["arc"])
    click.echo(f"report: {out / 'report.html'}")
    if trainee:
        timeline = [{"start": t["start"], "end": t["end"], "text": t["text"]} for t in report.practice["client_turns"]]
        sid = store_analysed_session(instance, trainee, done["paths"]["stereo"], report.to_dict(), scenario_id=scenario.id,
                            client_timeline=timeline, title=f"Practice: {scenario.title}")
        click.echo(f"sent to {instance} as session {sid} for trainee {trainee!r}")


def _practice_live_conversation(scenario, options, device, output_device, out: Path, model, no_analyze, trainee,
                                instance, quiet, silence, silence_only: bool = False) -> None:
    """Live practice with a branching scenario: the client reacts to each reply."""
    from dataclasses import replace as dc_replace

    turn = TurnTakingOptions(silence_timeout_s=silence or 0.5,
                             speculate_after_s=min(0.08, silence or 0.5),
                             no_reply_timeout_s=options.endpoint.no_reply_timeout_s, turn_end_cues=not silence_only)
    chooser = ScenarioChooser(scenario)
    click.echo("loading the speech model...")
    quick, full = make_transcriber(model, short_window=not silence_only)
    mic = choose_input_device(device_arg(device))
    player = Player(device_arg(output_device))
    click.echo(f"{scenario.title}\n\n{scenario.profile}\n")
    click.echo(f"microphone: {mic.label}. Headphones recommended. Reply aloud; the client answers when you "
               f"have finished (at most {turn.endpoint.silence_timeout_s:g} s of quiet, or press Enter); "
               "q + Enter finishes early.")

    def on_event(kind, payload) -> None:
        if kind == "line":
            click.echo(f"\nclient: {payload.text}")
        elif kind == "line_done" and payload.cut:
            click.echo("  (the client stopped: you started talking)")
        elif kind == "reply" and payload.start is None:
            click.echo("  (no reply heard)")

    keys = KeyListener().start()
    result = run_conversation(chooser, quick, lambda sink: Recorder(None, device=mic.index, sink=sink), player,
                              turn_options=turn, options=dc_replace(options, endpoint=turn.endpoint),
                              full_transcribe=full, scenario_id=scenario.id, next_line=keys.enter,
                              quit_event=keys.quit, on_event=on_event, prepare=chooser.prepare,
                              after_cut_in=chooser.after_cut_in)
    _report_conversation(result, scenario, out, no_analyze, trainee, instance, quiet)
    if not quiet:
        click.echo("\nWhat the client was feeling underneath: " + "; ".join(scenario.feelings) + ".")
