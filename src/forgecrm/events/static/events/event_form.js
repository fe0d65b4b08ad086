/* The important date form: show the fields that apply, look clients and contacts up as you type. */
(function () {
  "use strict";
  var form = document.getElementById("event-form");
  var recurrence = form.querySelector("[name=recurrence]");
  var eventType = form.querySelector("[name=event_type]");

  function toggle(selector, shown) {
    form.querySelectorAll(selector).forEach(function (element) { element.hidden = !shown; });
  }
  function refresh() {
    toggle("[data-show-when-recurrence]", recurrence.value === "custom");
    toggle("[data-show-when-type]", eventType.value === "holiday");
  }
  recurrence.addEventListener("change", refresh);
  eventType.addEventListener("change", refresh);
  refresh();

  function lookup(url, label) {
    return function (term, callback) {
      fetch(url() + "&q=" + encodeURIComponent(term), {
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      }).then(function (response) { return response.json(); })
        .then(function (body) {
          callback((body.items || []).map(function (item) { return { id: item.id, text: label(item), client: item.client }; }));
        })
        .catch(function () { callback(); });
    };
  }
  var common = { valueField: "id", labelField: "text", searchField: ["text"], maxOptions: 20, loadThrottle: 250, allowEmptyOption: true };

  var client = new TomSelect(form.querySelector("[name=client]"), Object.assign({}, common, {
    load: lookup(function () { return form.dataset.clientsUrl + "?per_page=20"; }, function (item) { return item.name; }),
    onChange: function () {
      contact.clear(true);
      contact.clearOptions();
    }
  }));
  var contact = new TomSelect(form.querySelector("[name=contact]"), Object.assign({}, common, {
    load: lookup(function () {
      return form.dataset.contactsUrl + "?per_page=20" + (client.getValue() ? "&client=" + client.getValue() : "");
    }, function (item) { return item.full_name + " — " + item.client_name; })
  }));
  var summary = document.getElementById("form-errors");
  if (summary) summary.focus();
})();
