// Firebreak's only script: live refresh over server-sent events, SLA countdowns, and the
// reply composer's live linter. No framework, no build step, no inline script anywhere
// (the Content-Security-Policy allows only this file). Text from the server is inserted
// as text (textContent), except the live fragments, which the server rendered and escaped.
(function () {
  "use strict";

  function csrf() {
    return document.body.getAttribute("data-csrf") || "";
  }

  function fmt(secs) {
    var a = Math.abs(secs), s;
    if (a >= 86400) s = Math.floor(a / 86400) + "d " + Math.floor((a % 86400) / 3600) + "h";
    else if (a >= 3600) s = Math.floor(a / 3600) + "h " + Math.floor((a % 3600) / 60) + "m";
    else s = Math.floor(a / 60) + "m " + (a % 60) + "s";
    return secs < 0 ? "-" + s : s;
  }

  function tickCountdowns() {
    var now = Date.now();
    document.querySelectorAll(".countdown[data-due]").forEach(function (el) {
      var due = parseInt(el.getAttribute("data-due"), 10);
      if (!due) return;
      var secs = Math.round((due - now) / 1000);
      el.textContent = fmt(secs);
      el.classList.toggle("overdue", secs < 0);
    });
  }

  function live() {
    var box = document.getElementById("live");
    var dot = document.getElementById("live-status");
    // Only pages with a live part listen: browsers allow few connections per host.
    if (!window.EventSource || !box) return;
    var url = box.getAttribute("data-live");
    var pending = false, last = 0;
    function refresh() {
      if (!url || pending) return;
      var wait = Math.max(0, 1000 - (Date.now() - last));
      pending = true;
      setTimeout(function () {
        fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) {
            pending = false;
            last = Date.now();
            if (html !== null) {
              box.innerHTML = html;
              box.setAttribute("data-refreshed", String(last));
              tickCountdowns();
            }
          })
          .catch(function () { pending = false; });
      }, wait);
    }
    var es = new EventSource("/events");
    es.addEventListener("hello", function () { if (dot) dot.classList.add("on"); });
    es.addEventListener("mentions", refresh);
    es.addEventListener("alert", refresh);
    es.onerror = function () { if (dot) dot.classList.remove("on"); };
    // Close before the page goes, so the connection is free for the next one at once.
    window.addEventListener("pagehide", function () { es.close(); });
  }

  function composer() {
    var form = document.getElementById("reply-form");
    if (!form) return;
    var text = document.getElementById("reply-text");
    var list = document.getElementById("lint-findings");
    var channel = document.getElementById("reply-channel");
    var fault = document.getElementById("at-fault");
    var select = document.getElementById("template-select");
    var caseId = parseInt(form.getAttribute("data-case"), 10);
    var timer = null, seq = 0;
    function render(findings) {
      while (list.firstChild) list.removeChild(list.firstChild);
      document.getElementById("lint").classList.toggle("has-findings", findings.length > 0);
      if (findings.length === 0) {
        var ok = document.createElement("li");
        ok.className = "clean";
        ok.textContent = "✓";
        list.appendChild(ok);
        return;
      }
      findings.forEach(function (f) {
        var li = document.createElement("li");
        li.className = "finding rule-" + String(f.rule).replace(/[^a-z_]/g, "");
        li.setAttribute("data-rule", f.rule);
        var b = document.createElement("b");
        b.textContent = f.rule;
        li.appendChild(b);
        li.appendChild(document.createTextNode(": " + f.message + " — " + f.suggestion));
        list.appendChild(li);
      });
    }
    function lint() {
      var mine = ++seq;
      if (!text.value.trim()) { render([]); return; }
      fetch("/ui/lint", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf() },
        body: JSON.stringify({
          text: text.value,
          case: caseId,
          public: !channel || channel.value === "public",
          at_fault: !!(fault && fault.checked)
        })
      })
        .then(function (r) { return r.ok ? r.json() : { findings: [] }; })
        .then(function (j) { if (mine === seq) render(j.findings || []); })
        .catch(function () {});
    }
    function soon() {
      clearTimeout(timer);
      timer = setTimeout(lint, 250);
    }
    text.addEventListener("input", soon);
    if (channel) channel.addEventListener("change", soon);
    if (fault) fault.addEventListener("change", soon);
    if (select) select.addEventListener("change", function () {
      if (select.value) { text.value = select.value; soon(); }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    tickCountdowns();
    setInterval(tickCountdowns, 1000);
    live();
    composer();
  });
})();
