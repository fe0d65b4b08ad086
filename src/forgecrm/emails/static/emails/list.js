/* Forge CRM: the email history's CSV export link follows the filters the list shows.
   Plain JS, no build step. */
document.body.addEventListener("htmx:pushedIntoHistory", function () {
  var link = document.getElementById("export-link");
  if (link) link.href = link.href.split("?")[0] + window.location.search;
});
