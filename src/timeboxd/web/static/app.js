// timeboxd's own script: project colours, the running timer's clock, and drag-and-drop
// in the week view. Every page works without it.
(function () {
  "use strict";
  var COLOUR = /^#[0-9a-fA-F]{3,8}$/;

  function paint(root) {
    root.querySelectorAll("[data-colour]").forEach(function (el) {
      var c = el.getAttribute("data-colour");
      if (COLOUR.test(c)) el.style.setProperty("--c", c);
    });
  }

  function tick() {
    document.querySelectorAll("time.elapsed").forEach(function (el) {
      var start = Date.parse(el.getAttribute("data-start"));
      if (isNaN(start)) return;
      var s = Math.max(0, Math.floor((Date.now() - start) / 1000));
      var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60), r = s % 60;
      el.textContent = h + ":" + String(m).padStart(2, "0") + ":" + String(r).padStart(2, "0");
    });
  }

  function dragAndDrop() {
    var dragged = null;
    document.querySelectorAll(".week li[draggable]").forEach(function (li) {
      li.addEventListener("dragstart", function (e) {
        dragged = li;
        e.dataTransfer.setData("text/plain", li.getAttribute("data-id"));
      });
    });
    document.querySelectorAll(".week .day").forEach(function (day) {
      day.addEventListener("dragover", function (e) { e.preventDefault(); });
      day.addEventListener("drop", function (e) {
        e.preventDefault();
        if (!dragged) return;
        var form = dragged.querySelector("form.move");
        form.querySelector("input[name=date]").value = day.getAttribute("data-date");
        form.submit();
      });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    paint(document);
    tick();
    setInterval(tick, 1000);
    dragAndDrop();
    document.querySelectorAll(".done-form input[type=checkbox]").forEach(function (box) {
      box.addEventListener("change", function () {
        box.closest("li").classList.toggle("done", box.checked);
      });
    });
  });
})();
