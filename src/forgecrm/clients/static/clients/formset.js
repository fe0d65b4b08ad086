/* Forge CRM: the client and contact forms' "Add another" rows; focus on the error summary.
   Plain JS, no build step. */
(function () {
  // "Add another": copy the formset's empty row, numbering it with TOTAL_FORMS.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-formset-add]");
    if (!button) return;
    var prefix = button.dataset.formsetAdd;
    var total = document.getElementById("id_" + prefix + "-TOTAL_FORMS");
    var max = document.getElementById("id_" + prefix + "-MAX_NUM_FORMS");
    var index = parseInt(total.value, 10);
    if (max && index >= parseInt(max.value, 10)) { button.disabled = true; return; }
    var html = document.getElementById(prefix + "-empty").innerHTML.replace(/__prefix__/g, String(index));
    var rows = document.getElementById(prefix + "-rows");
    rows.insertAdjacentHTML("beforeend", html);
    total.value = index + 1;
    if (max && index + 1 >= parseInt(max.value, 10)) button.disabled = true;
    var first = rows.lastElementChild.querySelector("input:not([type=checkbox]):not([type=hidden]), select");
    if (first) first.focus();
  });
  var summary = document.getElementById("form-errors");
  if (summary) summary.focus();
})();
