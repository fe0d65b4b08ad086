/* Forge CRM: a contact <select data-contact-search="URL"> becomes a search-as-you-type
   picker (tom-select), so a page never lists every contact; contacts whose address is not
   deliverable are marked. `data-typed-addresses` also lets a typed e-mail address be added
   (the composer's To/Cc/Bcc); `data-max-items` caps a multiple select (default 50).
   Plain JS, no build step. */
(function () {
  "use strict";

  var EMAIL = /^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/;
  var NAMED_EMAIL = /<[^<>@\s]+@[^<>\s]+>$/;

  var ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

  /* Text made safe both between tags and inside a quoted attribute: a contact's name or a
     quoted e-mail address ("x"@example.com) may hold any of these characters. */
  function escapeHtml(text) {
    return (text == null ? "" : String(text)).replace(/[&<>"']/g, function (ch) {
      return ENTITIES[ch];
    });
  }

  function withClient(item) {
    return escapeHtml(item.text) + (item.client ? " · " + escapeHtml(item.client) : "");
  }

  function initContactPicker(select) {
    var url = select.dataset.contactSearch;
    var typed = select.hasAttribute("data-typed-addresses");
    new TomSelect(select, {
      plugins: select.multiple ? ["remove_button"] : [],
      valueField: "value",
      labelField: "text",
      searchField: ["text", "email", "client"],
      create: typed ? function (input) { return { value: input.trim(), text: input.trim() }; } : false,
      createFilter: function (input) { return EMAIL.test(input.trim()) || NAMED_EMAIL.test(input.trim()); },
      persist: false,
      maxItems: select.multiple ? Number(select.dataset.maxItems || 50) : 1,
      loadThrottle: 250,
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
          return "<div title=\"" + escapeHtml(item.email || item.text) + "\">" + withClient(item) + "</div>";
        },
        option_create: function (data) {
          return "<div class=\"create\">Add address <strong>" + escapeHtml(data.input) + "</strong>…</div>";
        },
        no_results: function () {
          return "<div class=\"no-results\">" + (typed ? "No contact found — type a full e-mail address to add it." : "Nobody found.") + "</div>";
        },
      },
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    if (typeof TomSelect === "undefined") return;
    document.querySelectorAll("select[data-contact-search]").forEach(initContactPicker);
  });
})();
