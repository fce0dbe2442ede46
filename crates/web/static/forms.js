// Forms: hide conditional questions while they do not apply, and autosave what is
// typed (the page works without this script: every question is shown with a note,
// and 一時保存 saves).
(function () {
  "use strict";
  function values(form, name) {
    var out = [];
    form.querySelectorAll('[name="' + name + '"]').forEach(function (el) {
      if ((el.type === "radio" || el.type === "checkbox") ? el.checked : el.value) {
        out.push(el.value);
      }
    });
    return out;
  }
  function applyConditions(form) {
    form.querySelectorAll("[data-show-if]").forEach(function (q) {
      var wanted = q.getAttribute("data-show-values").split("\u001f");
      var given = values(form, q.getAttribute("data-show-if"));
      var shown = given.some(function (v) { return wanted.indexOf(v) >= 0; });
      q.hidden = !shown;
    });
  }
  function autosave(form) {
    var url = form.getAttribute("data-autosave");
    var status = document.querySelector(".autosave-status");
    var dirty = false;
    var token = document.querySelector('meta[name="csrf-token"]');
    form.addEventListener("input", function () { dirty = true; });
    form.addEventListener("change", function () { dirty = true; });
    function save() {
      if (!dirty) { return; }
      dirty = false;
      var data = new URLSearchParams();
      new FormData(form).forEach(function (value, name) {
        if (typeof value === "string") { data.append(name, value); }
      });
      var headers = { "Content-Type": "application/x-www-form-urlencoded" };
      if (token) { headers["X-CSRF-Token"] = token.getAttribute("content"); }
      fetch(url, { method: "POST", headers: headers, body: data, credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.json() : null; })
        .then(function (json) {
          if (json && json.saved_at && status) { status.textContent = "自動保存しました：" + json.saved_at; }
        })
        .catch(function () { dirty = true; });
    }
    setInterval(save, 15000);
    window.addEventListener("pagehide", save);
  }
  document.querySelectorAll("form[data-autosave], form.answer-form").forEach(function (form) {
    applyConditions(form);
    form.addEventListener("change", function () { applyConditions(form); });
    if (form.hasAttribute("data-autosave")) { autosave(form); }
  });
}());
