// Redraws the admin index's dashboard every data-refresh-seconds from its fragment URL.
// On a failed fetch the last drawing stays and says so; the next tick tries again.
(function () {
  "use strict";
  var box = document.getElementById("console-dashboard");
  if (!box) { return; }
  var seconds = parseInt(box.getAttribute("data-refresh-seconds"), 10) || 30;
  function redraw() {
    fetch(box.getAttribute("data-fragment-url"), {credentials: "same-origin"})
      .then(function (response) {
        if (!response.ok) { throw new Error("HTTP " + response.status); }
        return response.text();
      })
      .then(function (html) { box.innerHTML = html; box.classList.remove("is-stale"); })
      .catch(function () { box.classList.add("is-stale"); });
  }
  window.setInterval(redraw, seconds * 1000);
})();
