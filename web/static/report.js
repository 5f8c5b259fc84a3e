// Report page: click an evidence item to play that moment; poll a running job.
(function () {
  "use strict";
  var player = document.getElementById("player");
  var stopAt = null;

  function playFrom(start, end) {
    if (!player) return;
    var seek = function () {
      player.currentTime = start;
      stopAt = end > start ? end + 0.3 : null;
      var p = player.play();
      if (p && p.catch) p.catch(function () {});
    };
    if (player.readyState >= 1) seek();
    else player.addEventListener("loadedmetadata", seek, { once: true });
  }

  document.addEventListener("click", function (ev) {
    var btn = ev.target.closest(".evidence");
    if (!btn) return;
    var start = parseFloat(btn.dataset.start);
    var end = parseFloat(btn.dataset.end);
    if (!isNaN(start)) {
      document.querySelectorAll(".evidence.playing").forEach(function (b) { b.classList.remove("playing"); });
      btn.classList.add("playing");
      playFrom(Math.max(0, start - 0.2), isNaN(end) ? null : end);
    }
  });

  if (player) {
    player.addEventListener("timeupdate", function () {
      if (stopAt !== null && player.currentTime >= stopAt) { player.pause(); stopAt = null; }
    });
  }

  var now = document.getElementById("comment-now");
  if (now && player) {
    now.addEventListener("click", function () {
      document.getElementById("comment-at").value = player.currentTime.toFixed(1);
    });
  }

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
