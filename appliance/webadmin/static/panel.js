// The panel's only script (the CSP allows no inline script): confirmations, the SMTP
// fields' state, the colour picker and the appearance live preview.
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
});
