// The panel's only script (the CSP allows no inline script): confirmations, the SMTP
// fields' state, the colour picker, the appearance live preview, and the message center's
// template editor ("insert a property" at the cursor, live preview posted into its frame).
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  document.querySelectorAll("[data-confirm]").forEach(function (button) {
    button.form.addEventListener("submit", function (event) {
      if (event.submitter === button && !window.confirm(button.dataset.confirm)) {
        event.preventDefault();
      }
    });
  });

  var own = document.getElementById("own_smtp");
  var fields = document.getElementById("smtp-fields");
  if (own && fields) {
    var sync = function () { fields.classList.toggle("dimmed", !own.checked); };
    own.addEventListener("change", sync);
    sync();
  }

  document.querySelectorAll("input[type=color][data-mirror]").forEach(function (picker) {
    var text = document.getElementById(picker.dataset.mirror);
    picker.addEventListener("input", function () {
      text.value = picker.value;
      text.dispatchEvent(new Event("input", {bubbles: true}));
    });
    text.addEventListener("input", function () {
      if (/^#[0-9a-fA-F]{6}$/.test(text.value)) { picker.value = text.value.toLowerCase(); }
    });
  });

  var form = document.getElementById("appearance-form");
  var frame = document.getElementById("preview");
  if (form && frame) {
    var timer = null;
    var refresh = function () {
      var query = new URLSearchParams();
      new FormData(form).forEach(function (value, key) {
        if (key !== "csrf_token") { query.append(key, value); }
      });
      frame.src = frame.dataset.base + "?" + query.toString();
    };
    form.addEventListener("input", function () {
      window.clearTimeout(timer);
      timer = window.setTimeout(refresh, 250);
    });
  }

  // Message center: each template form inserts a property where the cursor was (in the
  // subject or the body, whichever had the focus last) and previews the unsaved text.
  document.querySelectorAll("form[data-template-form]").forEach(function (tform) {
    var targets = tform.querySelectorAll("[data-insert-target]");
    var last = targets[targets.length - 1];   // the body, until the subject had the focus
    targets.forEach(function (field) {
      field.addEventListener("focus", function () { last = field; });
    });
    var select = tform.querySelector("[data-insert-select]");
    if (select) {
      select.addEventListener("change", function () {
        var text = select.value;
        if (!text || !last) { return; }
        var start = last.selectionStart === null ? last.value.length : last.selectionStart;
        var end = last.selectionEnd === null ? start : last.selectionEnd;
        last.value = last.value.slice(0, start) + text + last.value.slice(end);
        last.focus();
        last.setSelectionRange(start + text.length, start + text.length);
        select.value = "";
        last.dispatchEvent(new Event("input", {bubbles: true}));
      });
    }
    // The preview is a POST (with the form's CSRF token) into the frame: the "Update
    // preview" button does it, and so does typing, after a pause.
    var button = tform.querySelector("[data-preview-button]");
    if (!button || !tform.requestSubmit) { return; }
    var ptimer = null;
    var update = function () { tform.requestSubmit(button); };
    tform.addEventListener("input", function () {
      window.clearTimeout(ptimer);
      ptimer = window.setTimeout(update, 400);
    });
    update();
  });

  // Agents see the saved template: its preview form is sent once the page is there.
  document.querySelectorAll("form[data-preview-form]").forEach(function (pform) {
    if (pform.requestSubmit) { pform.requestSubmit(); }
  });
});
