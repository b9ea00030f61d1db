(function () {
  "use strict";
  // Optional comfort only: the page works without it. Filters the contents by event name and
  // closes the phone menu once a link is chosen.
  var box = document.querySelector(".filter");
  var input = document.getElementById("nav-filter");
  var toggle = document.getElementById("nav-toggle");
  if (box && input) {
    box.hidden = false;
    input.addEventListener("input", function () {
      var needle = input.value.trim().toLowerCase();
      document.querySelectorAll(".toc-ns").forEach(function (ns) {
        var shown = 0;
        var nsMatch = ns.querySelector(".ns-link").textContent.toLowerCase().indexOf(needle) >= 0;
        ns.querySelectorAll(".toc-event").forEach(function (item) {
          var hit = !needle || nsMatch || item.textContent.toLowerCase().indexOf(needle) >= 0;
          item.classList.toggle("hidden", !hit);
          if (hit) { shown += 1; }
        });
        ns.classList.toggle("hidden", Boolean(needle) && !nsMatch && shown === 0);
      });
    });
  }
  document.querySelectorAll(".sidebar a").forEach(function (link) {
    link.addEventListener("click", function () { if (toggle) { toggle.checked = false; } });
  });
})();
