/* Forge CRM: small page actions declared in the markup, so no page needs inline script
   (the Content-Security-Policy allows scripts from this site only).
   - <form data-confirm="Question?">: asks before submitting.
   - <button data-copy-from="element-id">: copies that field's value, then says so.
   Plain JS, no build step. */
(function () {
  "use strict";

  document.addEventListener("submit", function (event) {
    var question = event.target.dataset ? event.target.dataset.confirm : null;
    if (question && !window.confirm(question)) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy-from]");
    if (!button) return;
    var field = document.getElementById(button.dataset.copyFrom);
    if (!field) return;
    navigator.clipboard.writeText(field.value).then(function () {
      button.textContent = "Copied";
    });
  });
})();
