// Report page: sticky player, SVG turn timeline with playhead, transcript that follows playback,
// pace and voice per helper turn, comment pins, quotes that play, job polling.
// All data comes from the <script type="application/json" id="report-data"> block.
(function () {
  "use strict";
  var SVGNS = "http://www.w3.org/2000/svg";
  var player = document.getElementById("player");
  var dataEl = document.getElementById("report-data");
  var data = null;
  try { data = dataEl ? JSON.parse(dataEl.textContent) : null; } catch (e) { data = null; }
  var stopAt = null;
  var currentTurn = -1;
  var focusTurn = -1;  // the one timeline turn in the Tab order (arrow keys move it)

  function mmss(t) {
    if (t === null || t === undefined || !isFinite(t)) return "…";
    var m = Math.floor(t / 60), s = t - 60 * m;
    return m + ":" + (s < 10 ? "0" : "") + s.toFixed(1);
  }

  function el(tag, attrs, parent) {
    var node = document.createElementNS(SVGNS, tag);
    Object.keys(attrs || {}).forEach(function (k) { node.setAttribute(k, attrs[k]); });
    if (parent) parent.appendChild(node);
    return node;
  }

  function titled(node, text) { var t = el("title", {}, node); t.textContent = text; return node; }

  function duration() {
    if (player && isFinite(player.duration) && player.duration > 0) return player.duration;
    return data && data.duration ? data.duration : 0;
  }

  // --- playing ---------------------------------------------------------------------------------
  function whenReady(fn) {
    if (!player) return;
    if (player.readyState >= 1) fn();
    else player.addEventListener("loadedmetadata", fn, { once: true });
  }

  function play() {
    var p = player.play();
    if (p && p.catch) p.catch(function () {});
  }

  function playFrom(start, end) {  // a quoted moment: a little lead-in, stop just after it
    whenReady(function () {
      player.currentTime = Math.max(0, start - 0.2);
      stopAt = end > start ? end + 0.3 : null;
      play();
      update();
    });
  }

  function seek(t) {  // a turn, a word, a place on the timeline: play on from there
    whenReady(function () {
      stopAt = null;
      player.currentTime = Math.max(0, t);
      play();
      update();
    });
  }

  // --- timeline ----------------------------------------------------------------------------------
  var tl = document.getElementById("timeline");
  var tlGeom = null;

  function laneOf(turn, speakers) {
    if (turn.role === "helper") return 0;
    if (turn.role === "client") return 1;
    return speakers.indexOf(turn.who) % 2;
  }

  function drawTimeline() {
    if (!tl || !data || !data.turns.length) return;
    var total = duration() || 1;
    var W = Math.max(200, tl.clientWidth);
    var narrow = W < 520;
    var left = narrow ? 4 : 58, right = 8;
    var y = { marks: 2, helper: 18, client: 46, pins: 72, axis: 96 }, laneH = 22, H = 112;
    var x = function (t) { return left + (W - left - right) * Math.min(1, Math.max(0, t / total)); };
    tl.textContent = "";
    var svg = el("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, "class": "tl-svg" }, tl);
    tlGeom = { x: x, left: left, right: right, W: W, total: total, svg: svg };
    el("rect", { x: left, y: y.helper, width: W - left - right, height: laneH, "class": "lane" }, svg);
    el("rect", { x: left, y: y.client, width: W - left - right, height: laneH, "class": "lane" }, svg);
    if (!narrow) {
      el("text", { x: 2, y: y.helper + 15, "class": "lane-label" }, svg).textContent = "Helper";
      el("text", { x: 2, y: y.client + 15, "class": "lane-label" }, svg).textContent = "Client";
    }
    // ticks
    var steps = [1, 2, 5, 10, 15, 30, 60, 120, 300, 600, 1200], step = steps[steps.length - 1];
    for (var s = 0; s < steps.length; s++) {
      if ((W - left - right) * steps[s] / total >= (narrow ? 48 : 64)) { step = steps[s]; break; }
    }
    for (var t = 0; t <= total + 1e-6; t += step) {
      el("line", { x1: x(t), x2: x(t), y1: y.axis - 4, y2: y.axis, "class": "tick" }, svg);
      var anchor = x(t) < left + 14 ? "start" : x(t) > W - right - 14 ? "end" : "middle";
      el("text", { x: x(t), y: y.axis + 12, "class": "tick-label", "text-anchor": anchor }, svg).textContent =
        mmss(t).replace(/\.\d$/, "");
    }
    var speakers = [];
    data.turns.forEach(function (turn) { if (speakers.indexOf(turn.who) < 0) speakers.push(turn.who); });
    var timed = timedTurns();
    if (timed.indexOf(focusTurn) < 0) focusTurn = timed.length ? timed[0] : -1;
    data.turns.forEach(function (turn) {
      if (turn.start === null || turn.end === null) return;
      var lane = laneOf(turn, speakers);
      var r = el("rect", {
        x: x(turn.start), y: lane === 0 ? y.helper : y.client,
        width: Math.max(2, x(turn.end) - x(turn.start)), height: laneH, rx: 3,
        "class": "tl-turn " + (lane === 0 ? "helper" : "client"), "data-i": turn.i,
        tabindex: turn.i === focusTurn ? 0 : -1, role: "button",
        "aria-label": "Turn " + (timed.indexOf(turn.i) + 1) + " of " + timed.length + ", " + turn.who + " at " +
          mmss(turn.start) + ": " + turn.text.slice(0, 120),
      }, svg);
      titled(r, turn.who + " " + mmss(turn.start) + ": " + turn.text.slice(0, 120));
    });
    data.overlaps.forEach(function (o) {
      titled(el("rect", { x: x(o.start), y: y.helper, width: Math.max(2, x(o.end) - x(o.start)),
        height: y.client + laneH - y.helper, "class": "tl-overlap" }, svg), "Both talking at " + mmss(o.start));
    });
    [["interruptions", y.helper, "The helper cut in"], ["client_interruptions", y.client, "The client cut in"]].forEach(function (k) {
      (data[k[0]] || []).forEach(function (e) {
        var cx = x(e.start), top = k[1];
        var p = el("path", { d: "M" + (cx - 6) + " " + (top - 2) + " L" + (cx + 6) + " " + (top - 2) + " L" + cx + " " + (top + 8) + " Z",
          "class": "tl-interrupt", "data-t": e.start }, svg);
        titled(p, k[2] + " at " + mmss(e.start) + (e.text ? ": “" + e.text + "”" : ""));
      });
    });
    data.marks.forEach(function (m) {
      var cx = x(m.start);
      var d = el("path", { d: "M" + cx + " " + y.marks + " l6 6 l-6 6 l-6 -6 Z", "class": "tl-mark " + m.kind,
        "data-start": m.start, "data-end": m.end === null ? "" : m.end }, svg);
      titled(d, m.label + " (" + mmss(m.start) + ")");
    });
    data.pins.forEach(function (c) {
      var cx = x(c.at);
      var g = el("g", { "class": "tl-pin", "data-t": c.at, "data-comment": c.id }, svg);
      el("line", { x1: cx, x2: cx, y1: y.pins, y2: y.pins + 14 }, g);
      el("circle", { cx: cx, cy: y.pins + 4, r: 5 }, g);
      titled(g, "Comment at " + mmss(c.at) + " by " + c.author + ": " + c.body);
    });
    tlGeom.playhead = el("line", { x1: left, x2: left, y1: 0, y2: y.axis, "class": "playhead" }, svg);
    update();
  }

  if (tl) {
    tl.addEventListener("click", function (ev) {
      if (!tlGeom) return;
      var target = ev.target.closest("[data-i],[data-t],[data-start]");
      if (target && target.hasAttribute("data-i")) {
        var turn = data.turns[+target.getAttribute("data-i")];
        seek(turn.start + 0.02);
      } else if (target && target.hasAttribute("data-start")) {
        playFrom(+target.getAttribute("data-start"), parseFloat(target.getAttribute("data-end")));
      } else if (target && target.hasAttribute("data-t")) {
        seek(+target.getAttribute("data-t"));
        var cid = target.getAttribute("data-comment");
        if (cid) highlightComment(cid);
      } else {
        var box = tlGeom.svg.getBoundingClientRect();
        var frac = (ev.clientX - box.left - tlGeom.left) / (tlGeom.W - tlGeom.left - tlGeom.right);
        if (frac >= 0 && frac <= 1) seek(frac * tlGeom.total);
      }
    });
    tl.addEventListener("keydown", function (ev) {
      if (!ev.target.hasAttribute("data-i")) return;
      var i = +ev.target.getAttribute("data-i");
      if (ev.key === "Enter" || ev.key === " ") {
        ev.preventDefault();
        seek(data.turns[i].start + 0.02);
        return;
      }
      var timed = timedTurns(), k = timed.indexOf(i);
      var next = { ArrowRight: k + 1, ArrowDown: k + 1, ArrowLeft: k - 1, ArrowUp: k - 1, Home: 0, End: timed.length - 1 }[ev.key];
      if (next === undefined) return;
      ev.preventDefault();
      moveFocus(timed[Math.max(0, Math.min(timed.length - 1, next))]);
    });
  }

  function timedTurns() {  // indexes of the turns the timeline draws, in time order
    return data.turns.filter(function (t) { return t.start !== null && t.end !== null; })
      .sort(function (a, b) { return a.start - b.start || a.i - b.i; })
      .map(function (t) { return t.i; });
  }

  function moveFocus(i) {
    var old = tl.querySelector('.tl-turn[tabindex="0"]');
    if (old) old.setAttribute("tabindex", "-1");
    var bar = tl.querySelector('.tl-turn[data-i="' + i + '"]');
    if (!bar) return;
    focusTurn = i;
    bar.setAttribute("tabindex", "0");
    bar.focus();
  }

  function highlightComment(cid) {
    var li = document.getElementById("comment-" + cid);
    if (!li) return;
    document.querySelectorAll(".comment.flagged").forEach(function (n) { n.classList.remove("flagged"); });
    li.classList.add("flagged");
  }

  // --- pace and voice per helper turn --------------------------------------------------------------
  function drawPace() {
    var box = document.getElementById("pace");
    if (!box || !data || !data.pace.length) return;
    box.textContent = "";
    var bands = data.bands;
    var maxWpm = Math.max(240, bands.pace[1] + 60);
    data.pace.forEach(function (row) {
      if (row.wpm !== null) maxWpm = Math.max(maxWpm, row.wpm + 20);
    });
    var maxSd = 6;
    var W = Math.max(160, box.clientWidth);
    var narrow = W < 560;
    var trackW = narrow ? W : (W - 16) / 2;
    data.pace.forEach(function (row) {
      var div = document.createElement("div");
      div.className = "pace-row";
      div.setAttribute("data-start", row.start);
      div.setAttribute("data-turn", row.turn);
      var head = document.createElement("p");
      head.className = "pace-head";
      head.textContent = mmss(row.start) + " · “" + (row.text.length > 90 ? row.text.slice(0, 88) + "…" : row.text) + "”";
      div.appendChild(head);
      var tracks = document.createElement("div");
      tracks.className = "pace-tracks";
      tracks.appendChild(track(trackW, "Pace", row.wpm, maxWpm, bands.pace[0], bands.pace[1],
        row.wpm === null ? "not measured" : Math.round(row.wpm) + " words/min" +
          (row.wpm > bands.pace[1] ? " · fast" : row.wpm < bands.pace[0] ? " · slow" : " · calm")));
      tracks.appendChild(track(trackW, "Voice", row.pitch_sd, maxSd, bands.voice_lively, maxSd,
        row.pitch_sd === null ? "not measured" : row.pitch_sd.toFixed(1) + " semitones" +
          (row.pitch_sd < bands.voice_flat ? " · flat" : row.pitch_sd >= bands.voice_lively ? " · natural" : " · a little flat")));
      div.appendChild(tracks);
      box.appendChild(div);
    });
  }

  function track(W, label, value, max, lo, hi, text) {
    var H = 34, left = 52, right = 6;
    var svg = el("svg", { width: W, height: H, viewBox: "0 0 " + W + " " + H, "class": "pace-svg",
      role: "img", "aria-label": label + ": " + text });
    var x = function (v) { return left + (W - left - right) * Math.min(1, Math.max(0, v / max)); };
    el("text", { x: 0, y: 14, "class": "pace-label" }, svg).textContent = label;
    el("rect", { x: left, y: 4, width: W - left - right, height: 14, "class": "pace-track" }, svg);
    el("rect", { x: x(lo), y: 4, width: Math.max(1, x(hi) - x(lo)), height: 14, "class": "pace-band" }, svg);
    if (value !== null) {
      var inBand = value >= lo && value <= hi;
      el("circle", { cx: x(value), cy: 11, r: 6, "class": "pace-dot" + (inBand ? " ok" : " off") }, svg);
    }
    el("text", { x: left, y: 31, "class": "pace-value" }, svg).textContent = text;
    return svg;
  }

  // --- transcript, playhead, clock -----------------------------------------------------------------
  var transcript = document.getElementById("transcript");
  var tNow = document.getElementById("t-now");
  var tTotal = document.getElementById("t-total");
  var commentAt = document.getElementById("comment-at");
  var commentEdited = false;

  function activeTurn(t) {
    var best = -1, bestStart = -1;
    if (!data) return -1;
    data.turns.forEach(function (turn) {
      if (turn.start === null || turn.end === null) return;
      if (turn.start <= t + 0.05 && turn.end > t && turn.start >= bestStart) { best = turn.i; bestStart = turn.start; }
    });
    return best;
  }

  function scrollInBox(box, item) {
    var top = item.offsetTop, bottom = top + item.offsetHeight;  // the box is positioned: offsets are inside it
    if (top < box.scrollTop || bottom > box.scrollTop + box.clientHeight) {
      box.scrollTop = Math.max(0, top - box.clientHeight / 3);
    }
  }

  function update() {
    if (!player) return;
    var t = player.currentTime || 0;
    if (tNow) tNow.textContent = mmss(t);
    if (tTotal && duration()) tTotal.textContent = mmss(duration());
    if (commentAt && !commentEdited && document.activeElement !== commentAt) commentAt.value = t.toFixed(1);
    if (tlGeom && tlGeom.playhead) {
      var px = tlGeom.x(t);
      tlGeom.playhead.setAttribute("x1", px);
      tlGeom.playhead.setAttribute("x2", px);
    }
    var i = activeTurn(t);
    if (i !== currentTurn) {
      document.querySelectorAll(".turn.current, .tl-turn.current, .pace-row.current").forEach(function (n) {
        n.classList.remove("current");
      });
      currentTurn = i;
      if (i >= 0) {
        var li = document.getElementById("turn-" + i);
        if (li) { li.classList.add("current"); if (transcript) scrollInBox(transcript, li); }
        var bar = tl && tl.querySelector('.tl-turn[data-i="' + i + '"]');
        if (bar) bar.classList.add("current");
        var row = document.querySelector('.pace-row[data-turn="' + i + '"]');
        if (row) row.classList.add("current");
      }
    }
  }

  var raf = null;
  function loop() { update(); raf = player && !player.paused ? window.requestAnimationFrame(loop) : null; }

  if (player) {
    player.addEventListener("timeupdate", function () {
      if (stopAt !== null && player.currentTime >= stopAt) { player.pause(); stopAt = null; }
      update();
    });
    player.addEventListener("play", function () { if (!raf) loop(); });
    player.addEventListener("seeked", update);
    ["loadedmetadata", "durationchange"].forEach(function (e) {
      player.addEventListener(e, function () { drawTimeline(); update(); });
    });
  }

  // --- clicks anywhere on the page -------------------------------------------------------------------
  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest(".evidence");
    if (btn) {
      var start = parseFloat(btn.dataset.start), end = parseFloat(btn.dataset.end);
      if (isNaN(start)) return;
      document.querySelectorAll(".evidence.playing").forEach(function (b) { b.classList.remove("playing"); });
      btn.classList.add("playing");
      playFrom(start, isNaN(end) ? null : end);
      return;
    }
    var word = ev.target.closest("#transcript .w[data-start]");
    if (word) { seek(parseFloat(word.dataset.start)); return; }
    var turn = ev.target.closest("#transcript .turn[data-start]");
    if (turn) { seek(parseFloat(turn.dataset.start) + 0.02); return; }
    var row = ev.target.closest(".pace-row[data-start]");
    if (row) { seek(parseFloat(row.dataset.start) + 0.02); }
  });

  if (commentAt) {
    commentAt.addEventListener("input", function () { commentEdited = true; });
  }
  var now = document.getElementById("comment-now");
  if (now && player) {
    now.addEventListener("click", function () {
      commentEdited = false;
      commentAt.value = player.currentTime.toFixed(1);
    });
  }

  var resizeTimer = null;
  window.addEventListener("resize", function () {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(function () { drawTimeline(); drawPace(); currentTurn = -2; update(); }, 120);
  });
  drawTimeline();
  drawPace();
  update();
  var hash = window.location.hash.match(/^#comment-(\d+)$/);
  if (hash) highlightComment(hash[1]);

  // --- a job still running: poll until it is done --------------------------------------------------
  var job = document.getElementById("job");
  if (job && job.dataset.jobUrl && !document.getElementById("job-error")) {
    var poll = function () {
      fetch(job.dataset.jobUrl, { credentials: "same-origin" })
        .then(function (r) { return r.json(); })
        .then(function (j) {
          if (j.status === "done" || j.status === "failed") { window.location.reload(); return; }
          document.getElementById("job-status").textContent = j.status;
          document.getElementById("job-stage").textContent = j.stage + " " + Math.round(100 * j.progress) + " %";
          document.getElementById("job-progress").value = j.progress;
          setTimeout(poll, 1000);
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    setTimeout(poll, 1000);
  }
})();
