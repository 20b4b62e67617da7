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

// Leads on a phone: the Search panel folds behind its `Search` button (docs/product.md#everyday-use).
document.addEventListener("click", function (event) {
  var toggle = event.target.closest(".search-toggle");
  if (!toggle) return;
  var panel = toggle.closest(".search-panel");
  var open = panel.classList.toggle("open");
  toggle.setAttribute("aria-expanded", open ? "true" : "false");
});

// --- Everyday use (docs/product.md#everyday-use) ---------------------------------------------------------------------
document.documentElement.classList.add("js");

// The top menu folds behind a `Menu` button on narrow screens (without JavaScript it simply wraps).
(function setUpMenu() {
  var toggle = document.querySelector(".menu-toggle");
  var nav = document.getElementById("main-nav");
  if (!toggle || !nav) return;
  toggle.hidden = false;
  function setOpen(open) {
    toggle.setAttribute("aria-expanded", String(open));
    nav.classList.toggle("open", open);
  }
  toggle.addEventListener("click", function () { setOpen(toggle.getAttribute("aria-expanded") !== "true"); });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape" && nav.classList.contains("open")) { setOpen(false); toggle.focus(); }
  });
})();

// Every htmx request shows that it is working: the control that sent it is disabled and spins, the
// region it replaces is aria-busy, and the bar at the top runs while any request is under way.
var busyRequests = new WeakMap();
var requestsInFlight = 0;

function controlsOf(detail) {
  var elt = detail.elt;
  if (elt.tagName === "FORM") {
    var trigger = detail.requestConfig && detail.requestConfig.triggeringEvent;
    if (trigger && trigger.submitter) return [trigger.submitter];
    return Array.prototype.slice.call(elt.querySelectorAll("button[type=submit], button:not([type])"));
  }
  return [elt];
}

// Buttons are disabled until the answer comes and links stop taking clicks; a field being typed in
// keeps working (disabling it would take the focus away).
function isButton(control) {
  return control.tagName === "BUTTON" || (control.tagName === "INPUT" && /^(submit|button)$/.test(control.type));
}

function markBusy(detail) {
  var controls = controlsOf(detail).filter(function (control) {
    return (isButton(control) || control.tagName === "A")
      && !control.disabled && control.getAttribute("aria-disabled") !== "true";
  });
  controls.forEach(function (control) {
    control.classList.add("is-busy");
    if (isButton(control)) control.disabled = true;
    else control.setAttribute("aria-disabled", "true");
  });
  var target = detail.target;
  if (target) target.setAttribute("aria-busy", "true");
  return { controls: controls, target: target };
}

function clearBusy(busy) {
  busy.controls.forEach(function (control) {
    control.classList.remove("is-busy");
    if (isButton(control)) control.disabled = false;
    else control.removeAttribute("aria-disabled");
  });
  if (busy.target) busy.target.removeAttribute("aria-busy");
}

function setProgress(change) {
  requestsInFlight = Math.max(0, requestsInFlight + change);
  var bar = document.getElementById("progress");
  if (bar) bar.classList.toggle("active", requestsInFlight > 0);
}

document.addEventListener("htmx:beforeRequest", function (event) {
  busyRequests.set(event.detail.xhr, markBusy(event.detail));
  setProgress(1);
});

document.addEventListener("htmx:afterRequest", function (event) {
  var busy = busyRequests.get(event.detail.xhr);
  if (!busy) return;
  busyRequests.delete(event.detail.xhr);
  clearBusy(busy);
  setProgress(-1);
});

// In-place editing on Contact Details: the form's first field gets the focus; after Save or Cancel
// the focus returns to the section edited; Escape cancels. Sections swap with `settle:0ms`: htmx
// takes over the new section's links in the swap itself, so a user who acts at once (before a
// settle delay would have run out) gets the htmx request, not a page load.
var sectionRequest = null;  // the latest request that replaces a section: its answer moves the focus

// Other requests may settle meanwhile (the timeline loading on scroll, or the previous answer of the
// same section when the user is quick): only the latest section request's own answer counts.
document.addEventListener("htmx:beforeRequest", function (event) {
  var target = event.detail.target;
  if (target && target.id && target.id.indexOf("section-") === 0) {
    sectionRequest = { xhr: event.detail.xhr, id: target.id };
  }
});

document.addEventListener("htmx:afterSettle", function (event) {
  if (!sectionRequest || event.detail.xhr !== sectionRequest.xhr) return;
  var section = document.getElementById(sectionRequest.id);
  sectionRequest = null;
  if (!section) return;
  var focusable = section.querySelector("[aria-invalid=true]")
    || section.querySelector("form input:not([type=hidden]), form select, form textarea")
    || section.querySelector(".section-head .button");
  if (focusable) {
    focusable.focus();
  } else {
    var heading = section.querySelector("h2");
    heading.setAttribute("tabindex", "-1");
    heading.focus();
  }
});

document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") return;
  var form = event.target.closest && event.target.closest("section.section form");
  var cancel = form && form.querySelector("[data-cancel]");
  if (cancel) {
    event.preventDefault();
    // Asked of htmx directly: a click could come before htmx has taken over the new Cancel link.
    htmx.ajax("GET", cancel.getAttribute("hx-get"), { source: cancel, target: cancel.getAttribute("hx-target"),
                                                       swap: "outerHTML settle:0ms" });
  }
});

// The referral panel opens where the user is looking: beside the list, or over it on a phone.
var referralRequested = false;

document.addEventListener("htmx:beforeRequest", function (event) {
  var target = event.detail.target;
  referralRequested = !!target && (target.id === "referral-panel" || target.id === "referrals");
});

document.addEventListener("htmx:afterSettle", function () {
  var panel = document.getElementById("referral-panel");
  if (!referralRequested || !panel || !panel.classList.contains("is-open")) return;
  referralRequested = false;
  var heading = document.getElementById("referral-title");
  heading.setAttribute("tabindex", "-1");
  heading.focus({ preventScroll: true });
  panel.scrollIntoView({ block: "nearest" });
});

document.addEventListener("keydown", function (event) {
  if (event.key !== "Escape") return;
  var close = document.querySelector("#referral-panel.is-open .panel-close");
  if (close && !event.defaultPrevented) close.click();
});

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

// <input data-submit-on-change>: its form submits as soon as it changes (the `Group by contact` switch).
document.addEventListener("change", function (event) {
  if (event.target.hasAttribute && event.target.hasAttribute("data-submit-on-change")) {
    event.target.form.requestSubmit();
  }
});
