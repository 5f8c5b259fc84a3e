// "Add a practice scenario": the server checks the scenario at once and voices it in a job; this
// page follows each voicing job ("Voicing line 12 of 40") and shows the result when it ends.
(function () {
  "use strict";
  var form = document.getElementById("scenario-form");
  if (!form) return;
  var status = document.getElementById("voicing");
  var button = document.getElementById("scenario-submit");
  var errors = document.getElementById("voicing-failed") || document.getElementById("scenario-errors");
  if (errors) errors.focus();

  form.addEventListener("submit", function () {
    status.textContent = "Checking the scenario…";
    button.disabled = true;
  });

  // --- voicing jobs still waiting or running: poll each until it ends, then show the result ----------
  Array.prototype.forEach.call(document.querySelectorAll(".voicing-job[data-job-url]"), function (card) {
    var stage = card.querySelector(".job-stage");
    var bar = card.querySelector(".job-progress");
    var poll = function () {
      fetch(card.dataset.jobUrl, { credentials: "same-origin" })
        .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
        .then(function (j) {
          if (j.status === "done" || j.status === "failed") { window.location.replace(card.dataset.doneUrl); return; }
          if (j.status === "running" && /^Voicing/.test(j.stage || "")) stage.textContent = j.stage;
          bar.value = j.progress;
          bar.textContent = Math.round(100 * j.progress) + " %";
          setTimeout(poll, 1000);
        })
        .catch(function () { setTimeout(poll, 3000); });
    };
    setTimeout(poll, 1000);
  });
})();
