// credo Dashboard: small progressive enhancements. Every page works without
// this file; it adds copy buttons, confirmations, the language tabs of the
// Test tab and a few conveniences.
"use strict";
(function () {
  function $all(sel, root) { return Array.prototype.slice.call((root || document).querySelectorAll(sel)); }

  // Copy buttons: data-copy names the element whose value or text to copy.
  $all("[data-copy]").forEach(function (b) {
    b.addEventListener("click", function () {
      var el = document.getElementById(b.getAttribute("data-copy"));
      if (!el) return;
      var text = el.value !== undefined && el.tagName === "INPUT" ? el.value : el.textContent;
      var done = function () { var t = b.textContent; b.textContent = "Copied"; setTimeout(function () { b.textContent = t; }, 1500); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () {});
      } else if (el.select) { el.select(); document.execCommand("copy"); done(); }
    });
  });

  // Confirmation before destructive forms.
  $all("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (e) {
      if (!window.confirm(f.getAttribute("data-confirm"))) e.preventDefault();
    });
  });

  // A select that reloads its form when changed.
  $all("select[data-autosubmit]").forEach(function (s) {
    s.addEventListener("change", function () { s.form.submit(); });
  });

  // Machine to Machine tab: the permissions show only when authorized.
  $all("form[data-m2m]").forEach(function (f) {
    var t = f.querySelector("[data-toggle-scopes]"), s = f.querySelector("[data-scopes]");
    if (!t || !s) return;
    var sync = function () { s.hidden = !t.checked; };
    t.addEventListener("change", sync); sync();
  });

  // Language tabs (WAI-ARIA tabs pattern: arrows move, Home/End jump).
  $all("[data-tabs]").forEach(function (box) {
    var list = box.querySelector("[role=tablist]");
    var tabs = $all("[role=tab]", box), panels = $all("[role=tabpanel]", box);
    if (!list || !tabs.length) return;
    box.classList.add("js"); list.hidden = false;
    var stored = null;
    try { stored = window.localStorage.getItem("credo.lang"); } catch (e) {}
    function select(i, focus) {
      tabs.forEach(function (t, j) {
        t.setAttribute("aria-selected", i === j ? "true" : "false");
        t.tabIndex = i === j ? 0 : -1;
        panels[j].hidden = i !== j;
      });
      if (focus) tabs[i].focus();
      try { window.localStorage.setItem("credo.lang", tabs[i].id); } catch (e) {}
    }
    var first = Math.max(0, tabs.findIndex(function (t) { return t.id === stored; }));
    select(first, false);
    tabs.forEach(function (t, i) {
      t.addEventListener("click", function () { select(i, false); });
      t.addEventListener("keydown", function (e) {
        var n = tabs.length, k = e.key, j = null;
        if (k === "ArrowRight") j = (i + 1) % n;
        else if (k === "ArrowLeft") j = (i - 1 + n) % n;
        else if (k === "Home") j = 0;
        else if (k === "End") j = n - 1;
        if (j !== null) { e.preventDefault(); select(j, true); }
      });
    });
  });

  // The code editor: Tab indents; Escape lets the next Tab leave.
  $all("textarea[data-tab-indent]").forEach(function (ta) {
    var escaped = false;
    ta.addEventListener("keydown", function (e) {
      if (e.key === "Escape") { escaped = true; return; }
      if (e.key === "Tab" && !e.shiftKey && !escaped) {
        e.preventDefault();
        var s = ta.selectionStart, end = ta.selectionEnd;
        ta.value = ta.value.slice(0, s) + "  " + ta.value.slice(end);
        ta.selectionStart = ta.selectionEnd = s + 2;
      }
      if (e.key !== "Escape") escaped = false;
    });
  });
})();
