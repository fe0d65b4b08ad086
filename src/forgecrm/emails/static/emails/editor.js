/* Rich-text editing (Quill) over hidden textareas, variable insertion, the template picker
   and the send-now / schedule switch (the recipient pickers are contact_picker.js).
   Plain JS, no build step. */
(function () {
  "use strict";
  var editors = {};
  var lastField = null; // the subject input or an editor: where a variable goes

  function syncTextarea(textarea, quill) {
    // Semantic HTML: real <ul>/<ol> lists rather than Quill's internal markup. Quill writes
    // every space as &nbsp;, which would stop lines wrapping in mail apps.
    var html = quill.getSemanticHTML().replace(/&nbsp;/g, " ");
    textarea.value = quill.getText().trim() === "" && !/<img/i.test(html) ? "" : html;
  }

  function setEditorHtml(id, html) {
    var quill = editors[id];
    if (!quill) return;
    quill.setContents([]);
    quill.clipboard.dangerouslyPasteHTML(0, html || "");
    syncTextarea(document.getElementById(id), quill);
  }

  function initEditors() {
    if (typeof Quill === "undefined") return;
    // Alignment as inline styles (kept by the sanitizer and by mail apps), not Quill's classes.
    Quill.register(Quill.import("attributors/style/align"), true);
    document.querySelectorAll("textarea.rich-source").forEach(function (textarea) {
      var holder = document.createElement("div");
      holder.className = "rich-editor";
      holder.setAttribute("data-for", textarea.id);
      textarea.insertAdjacentElement("afterend", holder);
      textarea.classList.add("visually-hidden");
      textarea.setAttribute("tabindex", "-1");
      if (textarea.classList.contains("is-invalid")) holder.parentElement.classList.add("is-invalid-editor");
      var quill = new Quill(holder, {
        theme: "snow",
        placeholder: "Write your message…",
        modules: {
          toolbar: [
            [{ header: [2, 3, false] }],
            ["bold", "italic", "underline", "strike"],
            [{ color: [] }, { background: [] }],
            [{ list: "ordered" }, { list: "bullet" }, { align: [] }],
            ["link", "blockquote"],
            ["clean"],
          ],
        },
      });
      quill.root.setAttribute("aria-label", textarea.dataset.label || "Message");
      quill.root.setAttribute("role", "textbox");
      quill.root.setAttribute("aria-multiline", "true");
      if (textarea.value) quill.clipboard.dangerouslyPasteHTML(0, textarea.value);
      quill.on("text-change", function () {
        syncTextarea(textarea, quill);
        document.body.dispatchEvent(new CustomEvent("editor-change"));
      });
      quill.on("selection-change", function (range) { if (range) lastField = { quill: quill }; });
      editors[textarea.id] = quill;
      syncTextarea(textarea, quill);
    });
  }

  function insertVariable(name) {
    var text = "{{" + name + "}}";
    if (lastField && lastField.input) {
      var input = lastField.input;
      var start = input.selectionStart == null ? input.value.length : input.selectionStart;
      var end = input.selectionEnd == null ? start : input.selectionEnd;
      input.value = input.value.slice(0, start) + text + input.value.slice(end);
      input.focus();
      input.setSelectionRange(start + text.length, start + text.length);
      input.dispatchEvent(new Event("input", { bubbles: true }));
      return;
    }
    var quill = (lastField && lastField.quill) || editors[Object.keys(editors)[0]];
    if (!quill) return;
    var range = quill.getSelection(true);
    var index = range ? range.index : quill.getLength() - 1;
    quill.insertText(index, text, "user");
    quill.setSelection(index + text.length, 0, "user");
  }

  function initVariables() {
    document.querySelectorAll("input[data-variable-target]").forEach(function (input) {
      input.addEventListener("focus", function () { lastField = { input: input }; });
    });
    document.querySelectorAll("[data-insert-variable]").forEach(function (button) {
      button.addEventListener("mousedown", function (event) { event.preventDefault(); });
      button.addEventListener("click", function () { insertVariable(button.dataset.insertVariable); });
    });
  }

  function initTemplatePicker() {
    var picker = document.getElementById("id_template");
    var data = document.getElementById("templates-data");
    if (!picker || !data) return;
    var templates = {};
    JSON.parse(data.textContent).forEach(function (t) { templates[String(t.id)] = t; });
    picker.addEventListener("change", function () {
      var t = templates[picker.value];
      if (!t) return;
      var subject = document.getElementById("id_subject");
      var body = document.getElementById("id_body_html");
      var dirty = (subject.value && subject.dataset.loaded !== subject.value) ||
                  (body.value && body.dataset.loaded !== body.value);
      if (dirty && !window.confirm("Replace the subject and message with the template's?")) return;
      subject.value = t.subject;
      setEditorHtml("id_body_html", t.body_html);
      subject.dataset.loaded = subject.value;
      body.dataset.loaded = body.value;
      var type = document.getElementById("id_email_type");
      if (type) type.value = t.email_type;
    });
  }

  function initSchedule() {
    var radios = document.querySelectorAll("input[name=when]");
    var box = document.getElementById("schedule-fields");
    var submit = document.getElementById("send-button");
    if (!radios.length || !box) return;
    function update() {
      var later = document.querySelector("input[name=when]:checked").value === "later";
      box.hidden = !later;
      if (submit) submit.innerHTML = later ? '<i class="bi bi-calendar-check" aria-hidden="true"></i> Schedule' : '<i class="bi bi-send" aria-hidden="true"></i> Send now';
    }
    radios.forEach(function (r) { r.addEventListener("change", update); });
    update();
  }

  document.addEventListener("DOMContentLoaded", function () {
    initEditors();
    initVariables();
    initTemplatePicker();
    initSchedule();
    document.querySelectorAll("form[data-editor-form]").forEach(function (form) {
      // htmx previews read the textarea: keep it in step right before a request.
      form.addEventListener("htmx:configRequest", function () {
        Object.keys(editors).forEach(function (id) { syncTextarea(document.getElementById(id), editors[id]); });
      });
    });
  });
})();
