/* The sequence editor: each step shows the fields of its kind (an email's template, a
   task's title, type, priority and assignee). Without JavaScript all of them show. */
(function () {
  "use strict";

  function show(card) {
    var select = card.querySelector("[data-step-kind] select");
    if (!select) return;
    card.querySelectorAll("[data-for-kind]").forEach(function (field) {
      field.hidden = field.dataset.forKind !== select.value;
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll(".step-form").forEach(function (card) {
      show(card);
      card.querySelector("[data-step-kind] select").addEventListener("change", function () {
        show(card);
      });
    });
  });
})();
