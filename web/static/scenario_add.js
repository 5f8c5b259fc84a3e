// "Add a practice scenario": while the server checks and voices the lines, say how many it voices.
(function () {
  "use strict";
  var form = document.getElementById("scenario-form");
  if (!form) return;
  var text = document.getElementById("scenario-text");
  var status = document.getElementById("voicing");
  var button = document.getElementById("scenario-submit");
  var errors = document.getElementById("scenario-errors");
  if (errors) errors.focus();

  function countLines(data) {
    if (!data || typeof data !== "object") return 0;
    if (Array.isArray(data.beats)) {
      var n = (data.opening ? 1 : 0) + (data.closing ? 1 : 0);
      data.beats.forEach(function (b) { if (b && Array.isArray(b.variants)) n += b.variants.length; });
      return n;
    }
    return Array.isArray(data.lines) ? data.lines.length : 0;
  }

  form.addEventListener("submit", function () {
    var n = 0;
    try { n = countLines(JSON.parse(text.value)); } catch (e) { n = 0; }
    status.textContent = n ? "Checking the scenario and voicing " + n + " lines… (about a second a line)"
                           : "Checking the scenario and voicing its lines…";
    button.disabled = true;
  });
})();
