/* Draw every chart from its escaped JSON block, and highlight the section in view. */
(function () {
  "use strict";
  var config = { displaylogo: false, responsive: true,
                 modeBarButtonsToRemove: ["sendDataToCloud", "lasso2d", "select2d"] };
  document.querySelectorAll("div.chart[id]").forEach(function (div) {
    var block = document.getElementById(div.id + "-data");
    if (!block || typeof Plotly === "undefined") { return; }
    var spec = JSON.parse(block.textContent);
    Plotly.newPlot(div, spec.data, spec.layout, config);
  });
  var links = {};
  document.querySelectorAll(".toc a[data-section]").forEach(function (a) {
    links[a.getAttribute("data-section")] = a;
  });
  var sections = Array.prototype.slice.call(document.querySelectorAll("main > section[id]"));
  function highlight() {
    var current = sections.length ? sections[0].id : null;
    sections.forEach(function (s) {
      if (s.getBoundingClientRect().top < window.innerHeight * 0.3) { current = s.id; }
    });
    Object.keys(links).forEach(function (id) { links[id].classList.toggle("active", id === current); });
  }
  window.addEventListener("scroll", highlight, { passive: true });
  window.addEventListener("hashchange", highlight);
  highlight();
  window.addEventListener("beforeprint", function () {
    document.querySelectorAll("details").forEach(function (d) { d.setAttribute("open", ""); });
    document.querySelectorAll("div.chart[id]").forEach(function (div) {
      if (div.data) { Plotly.Plots.resize(div); }
    });
  });
})();
