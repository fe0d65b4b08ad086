/* Forge CRM: a client <select data-client-search="URL"> becomes a search-as-you-type picker
   (tom-select), so a page never lists every client. Plain JS, no build step. */
(function () {
  "use strict";

  function initClientPicker(root) {
    if (typeof TomSelect === "undefined") return;
    root.querySelectorAll("select[data-client-search]").forEach(function (select) {
      if (select.tomselect) return;
      var url = select.dataset.clientSearch;
      new TomSelect(select, {
        valueField: "value",
        labelField: "text",
        searchField: ["text"],
        maxItems: 1,
        loadThrottle: 250,
        placeholder: "Type a company name",
        // Leave the field once a client is picked: its typing line closes, so the page below
        // does not move under the pointer (a click on the next button would be lost).
        onItemAdd: function () { this.blur(); },
        load: function (query, callback) {
          if (!query.length) return callback();
          fetch(url + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" } })
            .then(function (r) { return r.json(); })
            .then(function (json) { callback(json.results); })
            .catch(function () { callback(); });
        },
      });
    });
  }

  // A field swapped in by htmx gets its picker again.
  document.addEventListener("htmx:afterSettle", function (event) { initClientPicker(event.target); });
  document.addEventListener("DOMContentLoaded", function () { initClientPicker(document); });
})();
