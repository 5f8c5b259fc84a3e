// Conversational practice: the client speaks, the trainee answers, and the page streams the reply
// (16 kHz PCM chunks) to the server while she speaks. The server hears it with the terminal's own
// end-of-turn rule (voice activity, the transcript so far, the final pitch) and answers with the
// client's next line as soon as the turn is over; it plays by itself. When the trainee talks over
// a line, the client stops at the next gap between her words (the terminal's barge-in timing) and
// her next line says she was cut off. The whole take is recorded (MediaRecorder) for the report;
// the client timeline (when each line played, which were cut) lets the server put her lines on a
// second channel.
(function () {
  "use strict";
  var box = document.getElementById("converse");
  if (!box) return;
  var consent = document.getElementById("consent");
  var startBtn = document.getElementById("conv-start");
  var stopBtn = document.getElementById("conv-stop");
  var submitBtn = document.getElementById("conv-submit");
  var redoBtn = document.getElementById("conv-redo");
  var review = document.getElementById("review");
  var take = document.getElementById("take");
  var reviewNote = document.getElementById("review-note");
  var elapsedEl = document.getElementById("elapsed");
  var meter = document.getElementById("level");
  var stateEl = document.getElementById("conv-state");
  var statusEl = document.getElementById("rec-status");
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var meterOn = document.getElementById("meter-on");
  var meterBox = document.getElementById("live-meter");
  var shareText = document.getElementById("talk-share");
  var shareFill = document.getElementById("share-fill");
  var marksEl = document.getElementById("meter-marks");

  var yieldOn = document.getElementById("yield-on");
  var YIELD_KEY = "listenwell.clientYields";

  // the page's own voice detector only feeds the level meter, the talk-share meter and barge-in;
  // the end of a reply is the server's decision
  var MIN_SPEECH_S = 0.25, MARGIN_DB = 12, MIN_DB = -50, BURST_GAP_S = 0.2;
  var YIELD_AFTER_S = +box.dataset.yieldAfter || 0.12, WORD_BOUNDARY_S = +box.dataset.wordBoundary || 0.1;
  var GUARD_S = +box.dataset.guard || 0.3;
  var CHUNK_MIN = 1600, CHUNK_MAX = 32000, OVER_MAX = 16000 * 20;  // samples at 16 kHz

  var stream = null, recorder = null, chunks = [], audioCtx = null, proc = null, t0 = 0, timer = null;
  var timeline = [], said = [], state = "idle", blob = null, current = null, floorDb = -70, replyStart = null;
  // the reply being streamed: its turn token, samples sent and waiting, where it began (page clock)
  var turn = null, sent = 0, pending = [], inFlight = false, turnFrom = 0, cutIn = false, waited = 0;
  // while her line plays: the mic at 16 kHz from overT0 on, the trainee's current burst of voice
  var overPcm = [], overT0 = 0, burstStart = null, lastVoice = null, playing = null;
  // live listening meter: your speaking time (the page's voice frames), her lines' playing time,
  // and marks; always kept, shown only when the trainee turns the meter on
  var heard = [], youS = 0, clientS = 0, playingSince = null, bargeS = 0, bargeQuietS = 0, interrupted = false;
  var METER_KEY = "listenwell.liveMeter", BARGE_QUIET_S = 0.3;

  function now() { return (performance.now() - t0) / 1000; }
  function fmt(s) { var m = Math.floor(s / 60); s = Math.floor(s % 60); return m + ":" + (s < 10 ? "0" : "") + s; }
  function show(text) { stateEl.textContent = text; }
  function setState(s, text) { state = s; box.dataset.state = s; show(text); }

  function meterShown() { return meterOn && meterOn.checked; }
  function updateMeter() {
    if (!meterBox || !meterShown()) return;
    var her = clientS + (playingSince === null ? 0 : Math.max(0, now() - playingSince));
    var total = youS + her;
    if (total < 0.5) { shareText.textContent = "Nothing said yet."; shareFill.style.width = "0"; return; }
    var pct = Math.round(100 * youS / total), low = +meterBox.dataset.low, high = +meterBox.dataset.high;
    var where = pct < low ? "below the aim" : pct > high ? "above the aim: leave her more room" : "within the aim";
    var aim = low > 0 ? low + "-" + high + "%" : "at most " + high + "%";
    shareText.textContent = "You have talked " + pct + "% of the time so far (aim: " + aim + ", " + where + ").";
    shareFill.style.width = pct + "%";
  }
  function addMark(kind, at, text) {
    var li = document.createElement("li");
    li.className = "mark " + kind;
    var k = document.createElement("span");
    k.className = "mark-kind";
    k.textContent = (kind === "interrupted" ? "You interrupted" : "You gave advice early") + " at " + fmt(at) + ": ";
    li.appendChild(k);
    li.appendChild(document.createTextNode(text));
    marksEl.appendChild(li);
  }
  function resetMeter() {
    heard = []; youS = 0; clientS = 0; playingSince = null; bargeS = 0; bargeQuietS = 0; interrupted = false;
    if (marksEl) marksEl.textContent = "";
    if (shareText) { shareText.textContent = "Nothing said yet."; shareFill.style.width = "0"; }
  }
  function remembered(input, key, fallback) {
    if (!input) return;
    try { var v = window.localStorage.getItem(key); input.checked = v === null ? fallback : v === "on"; }
    catch (e) { input.checked = fallback; }
    input.addEventListener("change", function () {
      try { window.localStorage.setItem(key, input.checked ? "on" : "off"); } catch (e) { /* private mode */ }
    });
  }
  remembered(yieldOn, YIELD_KEY, true);
  if (meterOn && meterBox) {
    remembered(meterOn, METER_KEY, false);
    meterBox.hidden = !meterOn.checked;
    meterOn.addEventListener("change", function () { meterBox.hidden = !meterOn.checked; updateMeter(); });
  }

  consent.addEventListener("change", function () { startBtn.disabled = !consent.checked || state !== "idle"; });

  // Mic frames: level meter, the talk-share meter, barge-in while she speaks, and the reply's
  // samples (downsampled to 16 kHz) streamed while it is the trainee's turn.
  function onFrame(e) {
    var x = e.inputBuffer.getChannelData(0), sum = 0;
    for (var i = 0; i < x.length; i++) sum += x[i] * x[i];
    var rms = Math.sqrt(sum / x.length), db = 20 * Math.log10(rms + 1e-9), dt = x.length / audioCtx.sampleRate;
    meter.value = Math.min(1, rms * 4);
    if (state !== "client" && state !== "listening") return;
    var speech = db > Math.max(MIN_DB, floorDb + MARGIN_DB);
    if (!speech) floorDb += (db < floorDb ? 0.5 : 0.02) * (db - floorDb);
    var ratio = audioCtx.sampleRate / 16000, out = state === "client" ? overPcm : pending;
    for (var j = 0; j < x.length / ratio; j++) out.push(x[Math.floor(j * ratio)]);
    if (speech) youS += dt;
    if (state === "client") {
      if (overPcm.length > OVER_MAX) { overT0 += (overPcm.length - OVER_MAX) / 16000; overPcm.splice(0, overPcm.length - OVER_MAX); }
      overClient(speech, dt);
      return;
    }
    pump();
  }

  // Speech while her line plays. A burst of voice (frames less than BURST_GAP_S apart, the server's
  // detector's rule) of YIELD_AFTER_S makes her stop at the next gap between her words (not in the
  // last GUARD_S of her speech: that is an answer coming in on time). The meter's "you interrupted"
  // mark: at most one per line, once you have spoken over her for MIN_SPEECH_S.
  function overClient(speech, dt) {
    var t = now();
    if (speech) {
      if (burstStart === null || lastVoice === null || t - dt - lastVoice >= BURST_GAP_S) burstStart = t - dt;
      lastVoice = t;
      bargeS += dt; bargeQuietS = 0;
    } else { bargeQuietS += dt; if (bargeQuietS >= BARGE_QUIET_S) bargeS = 0; }
    if (bargeS >= MIN_SPEECH_S && !interrupted) {
      interrupted = true;
      addMark("interrupted", Math.max(0, t - bargeS), "you started while she was still speaking. Let her finish.");
    }
    var p = playing;
    if (!p || p.stopping || !yieldOn || !yieldOn.checked || burstStart === null || lastVoice === null) return;
    if (lastVoice - burstStart < YIELD_AFTER_S || p.item.start === null) return;
    var voiceInClip = burstStart - p.item.start;
    if (p.line.speech_end_s !== undefined && voiceInClip >= p.line.speech_end_s - GUARD_S) return;
    var heardAt = p.audio.currentTime, stopAt = yieldAt(p.line.gaps || [], heardAt, WORD_BOUNDARY_S);
    p.stopping = true;
    p.voiceAt = burstStart;
    setTimeout(function () { if (playing === p) lineOver(p, true); }, Math.max(0, 1000 * (stopAt - heardAt)));
  }

  // The terminal's choice (audio/devices/barge_in.py yield_at): the first gap between her words
  // within wordBoundary of where she is, at once when inside one, else where she is.
  function yieldAt(gaps, heardS, wordBoundary) {
    for (var i = 0; i < gaps.length; i++) {
      if (gaps[i][1] > heardS && gaps[i][0] <= heardS + wordBoundary) return Math.max(gaps[i][0], heardS);
    }
    return heardS;
  }

  // The next chunk of the reply, one request at a time; the server answers {listening} until
  // the turn is over, then with her next line.
  function pump(tried) {
    if (inFlight || state !== "listening" || !turn) return;
    if (pending.length < CHUNK_MIN && tried === undefined) return;
    var n = Math.min(pending.length, CHUNK_MAX), pcmOut = new Int16Array(n);
    for (var i = 0; i < n; i++) pcmOut[i] = Math.max(-32768, Math.min(32767, Math.round(pending[i] * 32767)));
    var form = new FormData(), myTurn = turn;
    form.append("said", JSON.stringify(said));
    form.append("replies", JSON.stringify(heard));
    form.append("turn", turn);
    form.append("at", String(sent));
    if (cutIn) form.append("cut_in", "1");
    form.append("chunk", new Blob([pcmOut.buffer], { type: "application/octet-stream" }), "chunk.pcm");
    inFlight = true;
    post(form).then(function (res) {
      inFlight = false;
      if (state !== "listening" || turn !== myTurn) return;
      if (busyRetry(res, function () { pump(0); })) return;
      if (!res[0]) { finish("The client could not answer: " + res[1].message); return; }
      pending.splice(0, n); sent += n; waited = 0;
      var j = res[1];
      if (j.listening) { pump(); return; }
      if (j.speech_start_s !== null && j.speech_start_s !== undefined) replyStart = turnFrom + j.speech_start_s;
      else replyStart = null;  // a silence: no reply to point at
      turn = null;
      answered(j, turnFrom + sent / 16000);
    }).catch(function (err) { inFlight = false; finish("The client could not answer: " + err.message); });
  }

  function post(form) {
    return fetch(box.dataset.next, { method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRFToken": token } })
      .then(function (r) {
        return r.json().then(function (j) { return [r.ok, j, r.status, r.headers.get("Retry-After")]; });
      });
  }

  // A busy server answers at once with {error: "busy"} (429 or 503) and Retry-After: wait that long
  // and send again, for up to BUSY_GIVE_UP_S, while the page keeps listening or "thinking".
  var BUSY_GIVE_UP_S = 60;
  function busyRetry(res, again) {
    if (res[0] || res[1].error !== "busy" || (res[2] !== 429 && res[2] !== 503)) return false;
    var wait = Math.max(0.5, Math.min(10, parseFloat(res[3]) || res[1].retry_after || 1));
    if (waited + wait > BUSY_GIVE_UP_S) return false;
    waited += wait;
    setTimeout(again, 1000 * wait);
    return true;
  }

  // The opening: no reply to hear.
  function askOpening() {
    var form = new FormData();
    form.append("said", "[]");
    post(form).then(function (res) {
      if (state === "idle" || state === "review") return;
      if (busyRetry(res, askOpening)) return;
      if (!res[0]) { finish("The client could not answer: " + res[1].message); return; }
      answered(res[1], now());
    }).catch(function (err) { finish("The client could not answer: " + err.message); });
  }

  function answered(j, at) {
    var answering = said.length > 0, replyAt = replyStart === null ? at : replyStart;
    if (answering) heard.push(j.heard || "");
    if (answering && j.advice_early) addMark("advice", replyAt, "a fix before you had explored her feelings. Reflect first.");
    if (j.done) { finish("The client has finished."); return; }
    play(j);
  }

  function play(line) {
    current = line;
    said.push(line.line_id);
    var a = new Audio(line.src), item = { start: null, end: null, line: line.line, because: line.because,
                                          reply_start: said.length > 1 ? replyStart : null };
    if (line.after_cut_in) item.after_cut_in = true;
    var p = { line: line, audio: a, item: item, stopping: false, voiceAt: null };
    playing = p;
    overPcm = []; overT0 = now(); burstStart = null; lastVoice = null;
    setState("client", "The client is speaking…");
    interrupted = false; bargeS = 0; bargeQuietS = 0;
    if (line.skip_s) a.currentTime = line.skip_s;  // her voice starts at once (the lead silence skipped)
    a.addEventListener("playing", function () {
      if (item.start === null) { item.start = Math.max(0, now() - a.currentTime); playingSince = now(); }
    });
    a.addEventListener("ended", function () { if (playing === p) lineOver(p, false); });
    a.play().catch(function (err) { finish("The client's line could not play: " + err.message); });
  }

  // Her line is over: played to the end, or stopped because the trainee talked over it (cut).
  // The reply is heard from where the trainee's voice began when she cut in or was still talking
  // as the line ended (audio/devices/barge_in.py reply_from), else from the line's end.
  function lineOver(p, cut) {
    playing = null;
    if (cut) p.audio.pause();
    var end = now(), item = p.item;
    item.end = end;
    if (playingSince !== null) { clientS += end - playingSince; playingSince = null; }
    if (cut) {
      item.cut = true;
      if (!interrupted) addMark("interrupted", p.voiceAt, "you started while she was still speaking, and she stopped. Let her finish.");
    }
    if (item.start !== null && item.end > item.start) timeline.push(item);
    box.dataset.lines = String(timeline.length);
    box.dataset.cuts = String(timeline.filter(function (t) { return t.cut; }).length);
    if (p.line.ends_now) { finish("The client has left the conversation."); return; }
    var atEnd = lastVoice !== null && end - lastVoice < BURST_GAP_S;
    var onset = cut ? p.voiceAt : atEnd ? burstStart : null, from = end;
    if (onset !== null && item.start !== null) from = Math.max(item.start, Math.min(end, onset - 0.1));
    var k = Math.max(0, Math.min(overPcm.length, Math.round((from - overT0) * 16000)));
    pending = overPcm.slice(k); overPcm = [];
    turnFrom = overT0 + k / 16000; sent = 0; cutIn = cut; waited = 0; turn = p.line.turn || null;
    replyStart = null;
    setState("listening", cut ? "She stopped: your turn." : "Your turn: she is listening.");
    pump();
  }

  startBtn.addEventListener("click", function () {
    if (!consent.checked) { statusEl.textContent = "Tick the consent box first."; return; }
    startBtn.disabled = true;
    navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: false, autoGainControl: true }
    }).then(function (s) {
      stream = s;
      var type = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"]
        .filter(function (t) { return window.MediaRecorder && MediaRecorder.isTypeSupported(t); })[0];
      recorder = new MediaRecorder(s, type ? { mimeType: type } : undefined);
      chunks = []; timeline = []; said = []; current = null; replyStart = null;
      turn = null; pending = []; sent = 0; inFlight = false; playing = null; overPcm = []; waited = 0;
      resetMeter();
      recorder.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
      recorder.onstop = toReview;
      audioCtx = new (window.AudioContext || window.webkitAudioContext)();
      var src = audioCtx.createMediaStreamSource(s);
      proc = audioCtx.createScriptProcessor(1024, 1, 1);  // about 21 ms a frame
      proc.onaudioprocess = onFrame;
      src.connect(proc);
      proc.connect(audioCtx.destination);  // silent output; keeps the processor running
      recorder.start(1000);
      t0 = performance.now();
      timer = setInterval(function () { elapsedEl.textContent = fmt(now()); updateMeter(); }, 250);
      stopBtn.disabled = false;
      statusEl.textContent = "";
      setState("thinking", "The client is about to speak…");
      askOpening();
    }).catch(function (err) {
      startBtn.disabled = !consent.checked;
      statusEl.textContent = "The microphone could not be opened: " + err.message;
    });
  });

  function finish(text) {
    if (state === "review" || state === "idle" || state === "stopping") return;
    setState("stopping", text);
    stopBtn.disabled = true;
    if (playing) {  // ended during her line: it stays in the recording as far as it played
      playing.audio.pause();
      var item = playing.item;
      item.end = now();
      if (item.start !== null && item.end > item.start) timeline.push(item);
      playing = null;
    }
    turn = null;
    clearInterval(timer);
    if (recorder && recorder.state !== "inactive") recorder.stop(); else toReview();
  }

  stopBtn.addEventListener("click", function () { finish("You ended the conversation."); });

  function toReview() {
    if (stream) stream.getTracks().forEach(function (t) { t.stop(); });
    if (proc) proc.disconnect();
    if (audioCtx) audioCtx.close();
    var mime = (recorder && recorder.mimeType) || "audio/webm";
    blob = new Blob(chunks, { type: mime });
    take.src = URL.createObjectURL(blob);
    var cuts = timeline.filter(function (t) { return t.cut; }).length;
    reviewNote.textContent = "The client spoke " + timeline.length + " time" + (timeline.length === 1 ? "" : "s") +
      (cuts ? "; she stopped " + (cuts === 1 ? "once" : cuts + " times") + " when you talked over her" : "") +
      ". Listen back if you like, then submit for your report, or start again.";
    review.hidden = false;
    setState("review", stateEl.textContent);
  }

  redoBtn.addEventListener("click", function () {
    review.hidden = true;
    take.removeAttribute("src");
    blob = null; chunks = []; timeline = []; said = []; current = null;
    resetMeter();
    elapsedEl.textContent = "0:00";
    setState("idle", "Not started.");
    startBtn.disabled = !consent.checked;
  });

  submitBtn.addEventListener("click", function () {
    if (!blob) return;
    submitBtn.disabled = true; redoBtn.disabled = true;
    var mime = blob.type;
    var ext = mime.indexOf("ogg") >= 0 ? "ogg" : mime.indexOf("mp4") >= 0 ? "m4a" : "webm";
    var form = new FormData();
    form.append("audio", blob, "recording." + ext);
    form.append("scenario_id", box.dataset.scenario);
    form.append("consent", "yes");
    form.append("client_timeline", JSON.stringify(timeline));
    statusEl.textContent = "Uploading…";
    fetch(box.dataset.submit, {
      method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRFToken": token }
    }).then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
      .then(function (res) {
        if (res[0]) { statusEl.textContent = "Submitted: opening the report…"; window.location = res[1].report_url; }
        else { statusEl.textContent = "Not accepted: " + res[1].message; submitBtn.disabled = false; redoBtn.disabled = false; }
      })
      .catch(function (err) { statusEl.textContent = "Upload failed: " + err.message; submitBtn.disabled = false; redoBtn.disabled = false; });
  });
})();
