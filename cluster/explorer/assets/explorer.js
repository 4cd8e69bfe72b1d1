// The bitai explorer's one script: pages refresh their <main> while the node runs, and a
// block page checks its proof in the browser with snarkjs (served by the node itself).
"use strict";

(function liveUpdates() {
  const every = Number(document.body.dataset.refreshMs || 0);
  if (!every) return;
  setInterval(async () => {
    if (document.visibilityState !== "visible") return;
    try {
      const answer = await fetch(location.href, { headers: { Accept: "text/html" } });
      if (!answer.ok) return;
      const page = new DOMParser().parseFromString(await answer.text(), "text/html");
      const fresh = page.querySelector("main");
      const main = document.querySelector("main");
      if (fresh && main && fresh.innerHTML !== main.innerHTML) main.innerHTML = fresh.innerHTML;
    } catch (_) {
      // The node may be restarting: try again at the next tick.
    }
  }, every);
})();

(function proofCheck() {
  const button = document.getElementById("verify-button");
  const verdict = document.getElementById("verdict");
  const panel = document.getElementById("verify");
  if (!button || !verdict || !panel) return;
  const say = (result, text) => {
    verdict.dataset.result = result;
    verdict.textContent = text;
  };
  button.addEventListener("click", async () => {
    say("checking", "checking…");
    try {
      const files = await (await fetch(panel.dataset.files + "/snarkjs.json")).json();
      const inputs = [...document.querySelectorAll("input.public-input")].map((i) => i.value.trim());
      const ok = await window.snarkjs.groth16.verify(files.vk, inputs, files.proof);
      if (ok) say("valid", "valid: the proof verifies in this browser for these public inputs");
      else say("invalid", "invalid: the proof does not verify for these public inputs");
    } catch (e) {
      say("invalid", "invalid: " + e);
    }
  });
})();
