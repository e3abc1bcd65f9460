/* Local drafts (本地草稿) of long forms: a form marked data-draft keeps what is typed in its text
   fields in this browser's localStorage, restores it when the page is opened again with the fields
   empty, and forgets it once the form is sent. No inline script: this file is the whole of it. */
(function () {
  "use strict";
  var store;
  try { store = window.localStorage; } catch (e) { return; }
  if (!store) { return; }

  function fields(form) {
    return Array.prototype.filter.call(form.elements, function (el) {
      if (!el.name || el.disabled) { return false; }
      if (el.tagName === "TEXTAREA") { return true; }
      return el.tagName === "INPUT" && ["text", "number", "date", ""].indexOf(el.type) !== -1;
    });
  }

  function keyOf(form) {
    return "rectify-draft:" + window.location.pathname + ":" + (form.getAttribute("action") || "");
  }

  function save(form) {
    var data = {};
    var any = false;
    fields(form).forEach(function (el) {
      if (el.value !== el.defaultValue) { data[el.name] = el.value; any = true; }
    });
    if (any) { store.setItem(keyOf(form), JSON.stringify(data)); } else { store.removeItem(keyOf(form)); }
  }

  function restore(form) {
    var raw = store.getItem(keyOf(form));
    if (!raw) { return; }
    var data;
    try { data = JSON.parse(raw); } catch (e) { store.removeItem(keyOf(form)); return; }
    var restored = false;
    fields(form).forEach(function (el) {
      if (Object.prototype.hasOwnProperty.call(data, el.name) && el.value === el.defaultValue) {
        el.value = data[el.name];
        restored = true;
      }
    });
    if (restored) {
      var note = document.createElement("p");
      note.className = "draft-note";
      note.setAttribute("role", "status");
      note.textContent = "已恢复本浏览器中保存的草稿，请核对后提交。";
      form.insertBefore(note, form.firstChild);
      var details = form.closest("details");
      if (details) { details.open = true; }
    }
  }

  document.querySelectorAll("form[data-draft]").forEach(function (form) {
    restore(form);
    form.addEventListener("input", function () { save(form); });
    form.addEventListener("submit", function () { store.removeItem(keyOf(form)); });
  });
})();
