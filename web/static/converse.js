// Conversational practice: the client speaks, the trainee answers, and when the trainee pauses the
// page sends the reply (16 kHz PCM) to the server, which picks the client's next line with the cue
// model; it plays by itself. The whole take is recorded (MediaRecorder) for the report; the client
// timeline (when each line played) lets the server put her lines on a second channel.
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

  // end of speech: 0.7 s of quiet after at least 0.25 s of speech; no reply after 15 s = silence
  var END_SILENCE_S = 0.7, MIN_SPEECH_S = 0.25, NO_REPLY_S = 15, MARGIN_DB = 12, MIN_DB = -50;

  var stream = null, recorder = null, chunks = [], audioCtx = null, proc = null, t0 = 0, timer = null;
  var timeline = [], said = [], state = "idle", blob = null, current = null;
  var pcm = [], speechS = 0, quietS = 0, waitedS = 0, floorDb = -70, started = false, replyStart = null;
  // live listening meter: your speaking time (the end-of-speech detector's speech frames), her
  // lines' playing time, and marks; always kept, shown only when the trainee turns the meter on
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
    shareText.textContent = "You have talked " + pct + "% of the time so far (aim: " + low + "-" + high + "%, " + where + ").";
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
  if (meterOn && meterBox) {
    try { meterOn.checked = window.localStorage.getItem(METER_KEY) === "on"; } catch (e) { meterOn.checked = false; }
    meterBox.hidden = !meterOn.checked;
    meterOn.addEventListener("change", function () {
      try { window.localStorage.setItem(METER_KEY, meterOn.checked ? "on" : "off"); } catch (e) { /* private mode */ }
      meterBox.hidden = !meterOn.checked;
      updateMeter();
    });
  }

  consent.addEventListener("change", function () { startBtn.disabled = !consent.checked || state !== "idle"; });

  function resetReply() { pcm = []; speechS = 0; quietS = 0; waitedS = 0; started = false; }
  // (replyStart survives the reset: the next line's timeline item records when that reply began)

  // Mic frames: level meter, end-of-speech detection, and the reply's samples (downsampled to 16 kHz).
  function onFrame(e) {
    var x = e.inputBuffer.getChannelData(0), sum = 0;
    for (var i = 0; i < x.length; i++) sum += x[i] * x[i];
    var rms = Math.sqrt(sum / x.length), db = 20 * Math.log10(rms + 1e-9), dt = x.length / audioCtx.sampleRate;
    meter.value = Math.min(1, rms * 4);
    if (state === "client") { overClient(db > Math.max(MIN_DB, floorDb + MARGIN_DB), dt); return; }
    if (state !== "listening") return;
    var speech = db > Math.max(MIN_DB, floorDb + MARGIN_DB);
    if (speech) youS += dt;
    if (!speech) floorDb += (db < floorDb ? 0.5 : 0.02) * (db - floorDb);
    var ratio = audioCtx.sampleRate / 16000;
    for (var j = 0; j < x.length / ratio; j++) pcm.push(x[Math.floor(j * ratio)]);
    waitedS += dt;
    if (speech) {
      speechS += dt; quietS = 0;
      if (speechS >= MIN_SPEECH_S && !started) { started = true; replyStart = Math.max(0, now() - speechS); }
    }
    else { quietS += dt; if (!started) { speechS = 0; if (pcm.length > 16000) pcm.splice(0, pcm.length - 16000); } }
    if (started && quietS >= END_SILENCE_S) replyDone();
    else if (!started && waitedS >= NO_REPLY_S) replyDone();
  }

  // Speech while her line plays: your talk time, and one "you interrupted" mark per line once you
  // have spoken over her for MIN_SPEECH_S (the same threshold that starts a reply).
  function overClient(speech, dt) {
    if (speech) { youS += dt; bargeS += dt; bargeQuietS = 0; }
    else { bargeQuietS += dt; if (bargeQuietS >= BARGE_QUIET_S) bargeS = 0; }
    if (bargeS >= MIN_SPEECH_S && !interrupted) {
      interrupted = true;
      addMark("interrupted", Math.max(0, now() - bargeS), "you started while she was still speaking. Let her finish.");
    }
  }

  function replyDone() {
    var pcmOut = new Int16Array(started ? pcm.length : 0);
    for (var i = 0; i < pcmOut.length; i++) pcmOut[i] = Math.max(-32768, Math.min(32767, Math.round(pcm[i] * 32767)));
    if (!started) replyStart = null;  // a silence: no reply to point at
    resetReply();
    if (current && current.ends_after_reply) { finish("The client has finished."); return; }
    setState("thinking", "The client is thinking…");
    ask(pcmOut);
  }

  // A busy server answers at once with {error: "busy"} (429 or 503) and Retry-After: wait that long
  // and send the same reply again, for up to BUSY_GIVE_UP_S, while "The client is thinking…" stays.
  var BUSY_GIVE_UP_S = 60;

  function ask(pcmOut, tried) {
    tried = tried || 0;
    var form = new FormData(), answering = said.length > 0, at = replyStart === null ? now() : replyStart;
    form.append("said", JSON.stringify(said));
    form.append("replies", JSON.stringify(heard));
    if (pcmOut) form.append("audio", new Blob([pcmOut.buffer], { type: "application/octet-stream" }), "reply.pcm");
    fetch(box.dataset.next, { method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRFToken": token } })
      .then(function (r) {
        return r.json().then(function (j) { return [r.ok, j, r.status, r.headers.get("Retry-After")]; });
      })
      .then(function (res) {
        if (state === "idle" || state === "review") return;
        if (!res[0] && res[1].error === "busy" && (res[2] === 429 || res[2] === 503)) {
          var wait = Math.max(0.5, Math.min(10, parseFloat(res[3]) || res[1].retry_after || 1));
          if (tried + wait <= BUSY_GIVE_UP_S) { setTimeout(function () { ask(pcmOut, tried + wait); }, 1000 * wait); return; }
        }
        if (!res[0]) { finish("The client could not answer: " + res[1].message); return; }
        var j = res[1];
        if (answering) heard.push(j.heard || "");
        if (answering && j.advice_early) addMark("advice", at, "a fix before you had explored her feelings. Reflect first.");
        if (j.done) { finish("The client has finished."); return; }
        play(j);
      })
      .catch(function (err) { finish("The client could not answer: " + err.message); });
  }

  function play(line) {
    current = line;
    said.push(line.line_id);
    var a = new Audio(line.src), item = { start: null, end: null, line: line.line, because: line.because,
                                          reply_start: said.length > 1 ? replyStart : null };
    setState("client", "The client is speaking…");
    interrupted = false; bargeS = 0; bargeQuietS = 0;
    a.addEventListener("playing", function () { if (item.start === null) { item.start = now(); playingSince = item.start; } });
    a.addEventListener("ended", function () {
      item.end = now();
      if (playingSince !== null) { clientS += item.end - playingSince; playingSince = null; }
      if (item.start !== null && item.end > item.start) timeline.push(item);
      box.dataset.lines = String(timeline.length);
      if (line.ends_now) { finish("The client has left the conversation."); return; }
      resetReply();
      setState("listening", "Your turn: she is listening.");
    });
    a.play().catch(function (err) { finish("The client's line could not play: " + err.message); });
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
      resetMeter();
      recorder.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
      recorder.onstop = toReview;
      audioCtx = new (window.AudioContext || window.webkitAudioContext)();
      var src = audioCtx.createMediaStreamSource(s);
      proc = audioCtx.createScriptProcessor(2048, 1, 1);
      proc.onaudioprocess = onFrame;
      src.connect(proc);
      proc.connect(audioCtx.destination);  // silent output; keeps the processor running
      recorder.start(1000);
      t0 = performance.now();
      timer = setInterval(function () { elapsedEl.textContent = fmt(now()); updateMeter(); }, 250);
      stopBtn.disabled = false;
      statusEl.textContent = "";
      setState("thinking", "The client is about to speak…");
      ask(null);
    }).catch(function (err) {
      startBtn.disabled = !consent.checked;
      statusEl.textContent = "The microphone could not be opened: " + err.message;
    });
  });

  function finish(text) {
    if (state === "review" || state === "idle" || state === "stopping") return;
    setState("stopping", text);
    stopBtn.disabled = true;
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
    reviewNote.textContent = "The client spoke " + timeline.length + " time" + (timeline.length === 1 ? "" : "s") +
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
