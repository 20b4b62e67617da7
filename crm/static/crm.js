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

// Behaviour that would otherwise be inline handlers (the Content-Security-Policy allows no inline script).
// <dialog data-modal>: shown as a modal when it arrives; data-close-on="event" closes it on that event.
function openModals(root) {
  var dialogs = root.querySelectorAll ? root.querySelectorAll("dialog[data-modal]") : [];
  if (root.matches && root.matches("dialog[data-modal]")) { dialogs = [root]; }
  Array.prototype.forEach.call(dialogs, function (dialog) {
    if (dialog.open) { dialog.close(); }
    dialog.showModal();
    var closeOn = dialog.getAttribute("data-close-on");
    if (closeOn) { dialog.addEventListener(closeOn, function () { dialog.close(); }); }
  });
}
document.addEventListener("htmx:load", function (event) { openModals(event.detail.elt); });
// <button data-close-dialog>: closes its dialog, or goes back when the dialog is a page of its own.
document.addEventListener("click", function (event) {
  var button = event.target.closest("[data-close-dialog]");
  if (!button) { return; }
  var dialog = button.closest("dialog");
  if (dialog && dialog.hasAttribute("data-modal")) { dialog.close(); } else { history.back(); }
});
// <form data-confirm="question">: asks before submitting.
document.addEventListener("submit", function (event) {
  var question = event.target.getAttribute && event.target.getAttribute("data-confirm");
  if (question && !window.confirm(question)) { event.preventDefault(); }
});
// <input type="checkbox" data-select-all="selector">: checks or clears every box the selector finds.
document.addEventListener("change", function (event) {
  var selector = event.target.getAttribute && event.target.getAttribute("data-select-all");
  if (!selector) { return; }
  document.querySelectorAll(selector).forEach(function (box) { box.checked = event.target.checked; });
});
