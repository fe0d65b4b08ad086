/* The calendar page: FullCalendar fed by GET /api/admin/crm/events, with type and client filters. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("calendar-config").textContent);
  var filters = document.getElementById("calendar-filters");
  var clientSelect = document.getElementById("calendar-client");
  var errorBox = document.getElementById("calendar-error");
  var narrow = window.matchMedia("(max-width: 575.98px)").matches;
  var views = "dayGridMonth,dayGridWeek,dayGridDay,listMonth";

  function isoDay(date) {
    var month = String(date.getMonth() + 1).padStart(2, "0");
    var day = String(date.getDate()).padStart(2, "0");
    return date.getFullYear() + "-" + month + "-" + day;
  }

  function chosenTypes() {
    return Array.prototype.map.call(filters.querySelectorAll("input[name=type]:checked"), function (box) {
      return box.value;
    });
  }

  /* The API's query for FullCalendar's range (its end is exclusive, the API's `to` is not). */
  function query(info, types) {
    var params = new URLSearchParams();
    var last = new Date(info.end.getTime());
    last.setDate(last.getDate() - 1);
    params.set("from", isoDay(info.start));
    params.set("to", isoDay(last));
    if (types.length < filters.querySelectorAll("input[name=type]").length) {
      types.forEach(function (type) { params.append("type", type); });
    }
    if (clientSelect.value) params.set("client", clientSelect.value);
    return params;
  }

  function toEvent(occurrence) {
    var colour = config.colours[occurrence.type];
    return {
      id: occurrence.key,
      title: occurrence.title + (occurrence.is_estimated ? " (estimated)" : ""),
      start: occurrence.date,
      allDay: true,
      url: occurrence.url || undefined,
      backgroundColor: colour,
      borderColor: colour,
      classNames: occurrence.is_estimated ? ["fc-estimated"] : [],
      extendedProps: { typeLabel: occurrence.type_label, clientName: occurrence.client_name }
    };
  }

  function showError(message) {
    errorBox.textContent = message;
    errorBox.classList.toggle("d-none", !message);
  }

  function fetchEvents(info, success, failure) {
    var types = chosenTypes();
    if (!types.length) { success([]); return; }
    fetch(config.eventsUrl + "?" + query(info, types).toString(), {
      credentials: "same-origin",
      headers: { Accept: "application/json" }
    }).then(function (response) {
      return response.json().then(function (body) {
        if (!response.ok) throw new Error(body.message || body.detail || "The calendar could not be loaded.");
        return body;
      });
    }).then(function (body) {
      showError("");
      success(body.map(toEvent));
    }).catch(function (error) {
      showError(error.message);
      failure(error);
    });
  }

  /* Keep the filters and the month in the address, so a reload or a shared link shows the same. */
  function remember(date) {
    var params = new URLSearchParams();
    var types = chosenTypes();
    if (types.length < filters.querySelectorAll("input[name=type]").length) {
      types.forEach(function (type) { params.append("type", type); });
    }
    if (clientSelect.value) params.set("client", clientSelect.value);
    if (date) params.set("date", isoDay(date));
    history.replaceState(null, "", "?" + params.toString());
  }

  var calendar = new FullCalendar.Calendar(document.getElementById("calendar"), {
    initialView: narrow ? "listMonth" : "dayGridMonth",  // titles fit a phone's width in a list
    initialDate: config.initialDate || undefined,
    headerToolbar: narrow
      ? { left: "prev,next", center: "title", right: "today" }
      : { left: "prev,next today", center: "title", right: views },
    footerToolbar: narrow ? { center: views } : false,
    buttonText: { today: "Today", month: "Month", week: "Week", day: "Day", list: "List" },
    height: "auto",
    dayMaxEvents: narrow ? 2 : 4,
    eventDisplay: "block",
    events: fetchEvents,
    eventDidMount: function (arg) {
      var parts = [arg.event.title, arg.event.extendedProps.typeLabel, arg.event.extendedProps.clientName];
      arg.el.title = parts.filter(Boolean).join(" · ");
    },
    datesSet: function (info) { remember(info.view.currentStart); },
    dateClick: config.createUrl ? function (info) {
      window.location.href = config.createUrl + "?date=" + info.dateStr;
    } : undefined
  });
  calendar.render();

  filters.addEventListener("change", function (event) {
    if (event.target.name === "type") {
      remember(calendar.view.currentStart);
      calendar.refetchEvents();
    }
  });
  filters.addEventListener("submit", function (event) { event.preventDefault(); });

  new TomSelect(clientSelect, {
    valueField: "id",
    labelField: "name",
    searchField: ["name"],
    allowEmptyOption: true,
    maxOptions: 20,
    loadThrottle: 250,
    load: function (term, callback) {
      fetch(config.clientsUrl + "?per_page=20&q=" + encodeURIComponent(term), {
        credentials: "same-origin",
        headers: { Accept: "application/json" }
      }).then(function (response) { return response.json(); })
        .then(function (body) { callback(body.items || []); })
        .catch(function () { callback(); });
    },
    onChange: function () {
      remember(calendar.view.currentStart);
      calendar.refetchEvents();
    }
  });
})();
