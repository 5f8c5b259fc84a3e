// Practice page: record with MediaRecorder (echo cancellation on), show elapsed time and
// a level meter, note when the client's lines play, and submit with the CSRF header.
(function () {
  "use strict";
  var box = document.getElementById("recorder");
  if (!box) return;
  var consent = document.getElementById("consent");
  var startBtn = document.getElementById("rec-start");
  var stopBtn = document.getElementById("rec-stop");
  var elapsedEl = document.getElementById("elapsed");
  var meter = document.getElementById("level");
  var statusEl = document.getElementById("rec-status");
  var token = document.querySelector('meta[name="csrf-token"]').content;
  var recorder = null, chunks = [], stream = null, audioCtx = null, t0 = 0, timer = null;
  var timeline = [];

  function say(msg) { statusEl.textContent = msg; }
  function fmt(s) { var m = Math.floor(s / 60); s = Math.floor(s % 60); return m + ":" + (s < 10 ? "0" : "") + s; }
  function setLines(on) { box.querySelectorAll(".play-line").forEach(function (b) { b.disabled = !on; }); }

  consent.addEventListener("change", function () { startBtn.disabled = !consent.checked || recorder !== null; });

  function level(analyser) {
    var buf = new Float32Array(analyser.fftSize);
    (function tick() {
      if (!recorder) { meter.value = 0; return; }
      analyser.getFloatTimeDomainData(buf);
      var sum = 0;
      for (var i = 0; i < buf.length; i++) sum += buf[i] * buf[i];
      meter.value = Math.min(1, Math.sqrt(sum / buf.length) * 4);
      requestAnimationFrame(tick);
    })();
  }

  startBtn.addEventListener("click", function () {
    if (!consent.checked) { say("Tick the consent box first."); return; }
    startBtn.disabled = true;
    navigator.mediaDevices.getUserMedia({
      audio: { echoCancellation: true, noiseSuppression: false, autoGainControl: true }
    }).then(function (s) {
      stream = s;
      var type = ["audio/webm;codecs=opus", "audio/webm", "audio/ogg;codecs=opus", "audio/mp4"]
        .filter(function (t) { return window.MediaRecorder && MediaRecorder.isTypeSupported(t); })[0];
      recorder = new MediaRecorder(s, type ? { mimeType: type } : undefined);
      chunks = []; timeline = [];
      recorder.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
      recorder.onstop = submit;
      audioCtx = new (window.AudioContext || window.webkitAudioContext)();
      var analyser = audioCtx.createAnalyser();
      analyser.fftSize = 2048;
      audioCtx.createMediaStreamSource(s).connect(analyser);
      recorder.start(1000);
      t0 = performance.now();
      timer = setInterval(function () { elapsedEl.textContent = fmt((performance.now() - t0) / 1000); }, 250);
      level(analyser);
      stopBtn.disabled = false;
      setLines(true);
      box.classList.add("recording");
      say("Recording… play the client's lines and answer them.");
    }).catch(function (err) {
      startBtn.disabled = false;
      say("The microphone could not be opened: " + err.message);
    });
  });

  // Each client line played goes into the timeline (seconds into the recording); the server
  // places the line's audio there on a second channel, so the stored session has both sides.
  var playing = [];
  box.querySelectorAll(".play-line").forEach(function (btn) {
    btn.addEventListener("click", function () {
      var a = new Audio(btn.dataset.src);
      var item = { start: null, end: null, line: parseInt(btn.dataset.line, 10) };
      function done() {
        if (item.start === null || item.end !== null) return;
        item.end = (performance.now() - t0) / 1000;
        if (item.end > item.start) timeline.push(item);
        playing = playing.filter(function (p) { return p.audio !== a; });
        btn.classList.remove("playing");
      }
      a.addEventListener("playing", function () {
        if (item.start === null) item.start = (performance.now() - t0) / 1000;
        btn.classList.add("playing");
      });
      a.addEventListener("ended", done);
      playing.push({ audio: a, done: done });
      a.play();
    });
  });

  stopBtn.addEventListener("click", function () {
    stopBtn.disabled = true;
    setLines(false);
    // a line still playing is cut where the recording stops
    playing.slice().forEach(function (p) { p.audio.pause(); p.done(); });
    if (recorder && recorder.state !== "inactive") recorder.stop();
  });

  function submit() {
    clearInterval(timer);
    stream.getTracks().forEach(function (t) { t.stop(); });
    if (audioCtx) audioCtx.close();
    var mime = recorder.mimeType || "audio/webm";
    recorder = null;
    box.classList.remove("recording");
    var ext = mime.indexOf("ogg") >= 0 ? "ogg" : mime.indexOf("mp4") >= 0 ? "m4a" : "webm";
    var form = new FormData();
    form.append("audio", new Blob(chunks, { type: mime }), "recording." + ext);
    form.append("scenario_id", box.dataset.scenario);
    form.append("consent", "yes");
    form.append("client_timeline", JSON.stringify(timeline));
    say("Uploading…");
    fetch(box.dataset.submit, {
      method: "POST", body: form, credentials: "same-origin", headers: { "X-CSRFToken": token }
    }).then(function (r) { return r.json().then(function (j) { return [r.ok, j]; }); })
      .then(function (res) {
        if (res[0]) { say("Submitted: opening the report…"); window.location = res[1].report_url; }
        else { say("Not accepted: " + res[1].message); startBtn.disabled = !consent.checked; }
      })
      .catch(function (err) { say("Upload failed: " + err.message); startBtn.disabled = !consent.checked; });
  }
})();
