// The console's only script: live fleet status (polls fleet.json every 5 s) and confirm-before-submit.
"use strict";
(function () {
  function pollFleet(table) {
    const url = table.dataset.poll;
    const live = document.getElementById("fleet-live");
    async function tick() {
      try {
        const answer = await fetch(url, {credentials: "same-origin", headers: {Accept: "application/json"}});
        if (!answer.ok) throw new Error(String(answer.status));
        const doc = await answer.json();
        for (const scale of doc.scales) {
          const row = table.querySelector(`tr[data-scale="${CSS.escape(scale.scale_id)}"]`);
          if (!row) continue;
          for (const cell of row.querySelectorAll("[data-field]")) {
            const field = cell.dataset.field;
            if (field === "state") {
              const badge = cell.querySelector(".badge");
              badge.textContent = scale.state;
              badge.className = "badge " + (scale.online ? "ok" : "stop");
            } else if (field in scale) {
              cell.textContent = scale[field];
            }
          }
        }
        if (live) { live.classList.remove("stale"); live.dataset.at = doc.at; live.title = doc.at; }
      } catch (err) {
        if (live) live.classList.add("stale");
      }
    }
    setInterval(tick, 5000);
  }
  document.addEventListener("DOMContentLoaded", function () {
    const fleet = document.querySelector("table[data-poll]");
    if (fleet) pollFleet(fleet);
    for (const form of document.querySelectorAll("form[data-confirm]")) {
      form.addEventListener("submit", function (event) {
        if (!window.confirm(form.dataset.confirm)) event.preventDefault();
      });
    }
  });
})();
