// Tell the user when a request fails instead of silently doing nothing.
document.addEventListener("htmx:responseError", function (event) {
  var status = event.detail.xhr.status;
  var message = status === 404 ? "That item is no longer available to you."
    : status === 403 ? "You are not allowed to do that."
    : "Something went wrong (" + status + "). Your change was not saved; please try again.";
  showFlash(message);
});
// A 409 Conflict carries the current state (someone else acted first): show it instead of an error.
document.addEventListener("htmx:beforeSwap", function (event) {
  if (event.detail.xhr.status === 409) {
    event.detail.shouldSwap = true;
    event.detail.isError = false;
  }
});
document.addEventListener("htmx:sendError", function () {
  showFlash("The server could not be reached. Check your connection and try again.");
});

function showFlash(message) {
  var main = document.getElementById("main");
  var box = document.createElement("p");
  box.className = "flash flash-error";
  box.setAttribute("role", "alert");
  box.textContent = message;
  main.insertBefore(box, main.firstChild);
}

// Leads on a phone: the Search panel folds behind its `Search` button (SPEC §3.11).
document.addEventListener("click", function (event) {
  var toggle = event.target.closest(".search-toggle");
  if (!toggle) return;
  var panel = toggle.closest(".search-panel");
  var open = panel.classList.toggle("open");
  toggle.setAttribute("aria-expanded", open ? "true" : "false");
});
