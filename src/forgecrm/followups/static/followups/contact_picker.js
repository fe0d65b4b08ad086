/* The people picker of a sequence's "Enroll people" page: searches contacts as you type
   (the composer's contact search), so the page never lists every contact. */
(function () {
  "use strict";

  function escapeHtml(text) {
    var div = document.createElement("div");
    div.textContent = text == null ? "" : String(text);
    return div.innerHTML;
  }

  function init() {
    if (typeof TomSelect === "undefined") return;
    document.querySelectorAll("select[data-contact-picker]").forEach(function (select) {
      var url = select.dataset.contactPicker;
      new TomSelect(select, {
        plugins: ["remove_button"],
        valueField: "value",
        labelField: "text",
        searchField: ["text", "email", "client"],
        create: false,
        persist: false,
        maxItems: 200,
        loadThrottle: 250,
        placeholder: "Type a name, company or address…",
        load: function (query, callback) {
          if (!query.length) return callback();
          fetch(url + "?q=" + encodeURIComponent(query), { headers: { Accept: "application/json" } })
            .then(function (r) { return r.json(); })
            .then(function (json) { callback(json.results); })
            .catch(function () { callback(); });
        },
        render: {
          option: function (item) {
            return "<div><div>" + escapeHtml(item.text) + "</div>" +
              (item.email ? "<small>" + escapeHtml(item.email) + (item.client ? " · " + escapeHtml(item.client) : "") + "</small>" : "") +
              (item.suppressed ? "<div><span class=\"badge text-bg-danger\">Not deliverable</span> <small class=\"text-body-secondary\">" + escapeHtml(item.suppressed) + "</small></div>" : "") +
              "</div>";
          },
          item: function (item) {
            return "<div title=\"" + escapeHtml(item.email || item.text) + "\">" + escapeHtml(item.text) + (item.client ? " · " + escapeHtml(item.client) : "") + "</div>";
          },
          no_results: function () { return "<div class=\"no-results\">Nobody found.</div>"; },
        },
      });
    });
  }

  document.addEventListener("DOMContentLoaded", init);
})();
