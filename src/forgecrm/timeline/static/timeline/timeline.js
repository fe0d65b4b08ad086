/* Forge CRM: keyboard helpers for the quick log and the header's search box. */
(function () {
  "use strict";

  // Ctrl+Enter (Cmd+Enter) in a note's textarea logs it, as Enter does in one-line fields.
  document.addEventListener("keydown", function (event) {
    var field = event.target.closest && event.target.closest("[data-submit-on-ctrl-enter]");
    if (field && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      field.form.requestSubmit();
    }
  });

  // Only notes can be private: switching the type away from "note" clears the box.
  document.addEventListener("change", function (event) {
    var input = event.target;
    if (input.name !== "kind" || !input.closest("#quick-log")) return;
    var privateBox = document.getElementById("ql-private");
    if (privateBox && input.value !== "note") privateBox.checked = false;
  });

  // On wide screens the quick log is in view: put the cursor in it without scrolling.
  document.addEventListener("DOMContentLoaded", function () {
    var field = document.querySelector("[data-autofocus-wide]");
    if (field && window.matchMedia("(min-width: 992px)").matches && document.activeElement === document.body) {
      field.focus({ preventScroll: true });
    }
  });

  // Header search: "/" focuses it; Escape or a click elsewhere closes the dropdown;
  // arrow keys move through the results.
  function results() { return document.getElementById("header-search-results"); }
  function close() { var box = results(); if (box) box.innerHTML = ""; }
  document.addEventListener("keydown", function (event) {
    var input = document.getElementById("header-search");
    if (!input) return;
    var typing = /^(INPUT|TEXTAREA|SELECT)$/.test(event.target.tagName) || event.target.isContentEditable;
    if (event.key === "/" && !typing) {
      event.preventDefault();
      input.focus();
      input.select();
      return;
    }
    if (!event.target.closest("#header-search-form")) return;
    if (event.key === "Escape") { close(); input.focus(); return; }
    if (event.key !== "ArrowDown" && event.key !== "ArrowUp") return;
    var links = Array.prototype.slice.call(results().querySelectorAll("a"));
    if (!links.length) return;
    event.preventDefault();
    var index = links.indexOf(document.activeElement);
    var next = event.key === "ArrowDown" ? index + 1 : index - 1;
    if (next < 0) { input.focus(); return; }
    links[Math.min(next, links.length - 1)].focus();
  });
  document.addEventListener("click", function (event) {
    if (!event.target.closest("#header-search-form")) close();
  });
})();
