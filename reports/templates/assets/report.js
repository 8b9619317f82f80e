/* Draw every chart from its escaped JSON block, and highlight the section in view.
 *
 * The charts in and near the first screen are drawn at once; the others as they scroll
 * into view, and meanwhile a few at a time while the browser is idle, so the report opens
 * without waiting for every chart. Printing draws whatever is left first. */
(function () {
  "use strict";
  var config = { displaylogo: false, responsive: true,
                 modeBarButtonsToRemove: ["sendDataToCloud", "lasso2d", "select2d"] };
  var waiting = Array.prototype.slice.call(document.querySelectorAll("div.chart[id]"));

  function draw(div) {
    if (div.getAttribute("data-drawn") || typeof Plotly === "undefined") { return; }
    var block = document.getElementById(div.id + "-data");
    if (!block) { return; }
    div.setAttribute("data-drawn", "1");
    var spec = JSON.parse(block.textContent);
    Plotly.newPlot(div, spec.data, spec.layout, config);
  }
  function drawAll() {
    waiting.forEach(draw);
    waiting = [];
  }
  var screen = window.innerHeight || 1000;
  waiting.forEach(function (div) {
    var box = div.getBoundingClientRect();
    if (box.top < 1.5 * screen && box.bottom > -0.5 * screen) { draw(div); }
  });
  waiting = waiting.filter(function (div) { return !div.getAttribute("data-drawn"); });

  if ("IntersectionObserver" in window) {
    var watcher = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (e.isIntersecting) { draw(e.target); watcher.unobserve(e.target); }
      });
    }, { rootMargin: "800px 0px" });
    waiting.forEach(function (div) { watcher.observe(div); });
  }
  function drawSome() {
    var started = Date.now();
    while (waiting.length && Date.now() - started < 40) { draw(waiting.shift()); }
    if (waiting.length) { setTimeout(drawSome, 15); }
  }
  window.addEventListener("load", function () { setTimeout(drawSome, 0); });

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
    drawAll();
    document.querySelectorAll("details").forEach(function (d) { d.setAttribute("open", ""); });
    document.querySelectorAll("div.chart[id]").forEach(function (div) {
      if (div.data) { Plotly.Plots.resize(div); }
    });
  });
})();
