// Drives Debian's Chromium (headless) through the explorer of a running devnet:
//   node tests/browser/explorer.mjs --explorer URL --chain ID [--screenshots DIR]
// Checks, printing each: the front page links the chain; a transaction's page is followed
// until it says final (the page refreshes itself); a final block's proof checks as valid in
// the browser (snarkjs, served by the node), and as invalid once one public input is
// changed; the Bitcoin and queue pages show the proofs' envelopes. Exit 0 only if all pass.
import { chromium } from "playwright-core";

const arg = (name) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : undefined;
};
const explorer = arg("explorer").replace(/\/$/, "");
const chain = arg("chain");
const shots = arg("screenshots");
const started = Date.now();
const log = (what) => console.log(`[${((Date.now() - started) / 1000).toFixed(1)}s] ${what}`);

async function shot(page, name) {
  if (shots) await page.screenshot({ path: `${shots}/${name}.png`, fullPage: true });
}

async function until(what, seconds, probe) {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const found = await probe();
    if (found) return found;
    if (Date.now() > deadline) throw new Error(`timed out after ${seconds} s: ${what}`);
    await new Promise((r) => setTimeout(r, 500));
  }
}

const browser = await chromium.launch({
  executablePath: process.env.BITAI_CHROMIUM || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage"],
});
let failed = false;
try {
  const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on("pageerror", (e) => log(`page error: ${e}`));

  await page.goto(`${explorer}/`);
  await page.waitForSelector(`a[href="/chain/${chain}"]`, { timeout: 30000 });
  log("the front page lists the devnet chain");
  await shot(page, "chains");

  // A transaction from a block not yet final, followed on its own page until it is final.
  await page.click(`a[href="/chain/${chain}"]`);
  await page.waitForSelector("main table");
  const newest = await until("a block with a transaction", 120, async () => {
    await page.reload();
    // Verified but not final yet when there is one (the shortest wait), else not final.
    return page.evaluate(() => {
      const rows = [...document.querySelectorAll("main table tr")]
        .map((row) => row.querySelectorAll("td"))
        .filter((cells) => cells.length > 2 && Number(cells[1].textContent) > 0)
        .filter((cells) => !cells[2].textContent.includes("final"));
      const pick = rows.find((cells) => cells[2].textContent.trim() === "verified") || rows[0];
      return pick ? pick[0].querySelector("a").getAttribute("href") : null;
    });
  });
  await shot(page, "chain");
  await page.goto(`${explorer}${newest}`);
  const txHref = await page.getAttribute("main table a[href^='/tx/']", "href");
  await page.goto(`${explorer}${txHref}`);
  const seen = [];
  await until("the transaction's page says final", 240, async () => {
    const current = await page.getAttribute("ol.journey li.current", "data-stage").catch(() => null);
    if (current && seen[seen.length - 1] !== current) seen.push(current);
    return current === "final";
  });
  log(`followed ${txHref} on its page to final; stages seen: ${seen.join(" -> ")}`);
  await shot(page, "transaction");

  // Its block: the proof checked in this browser, then with one public input changed.
  await page.goto(`${explorer}${newest}`);
  await page.waitForSelector("#verify-button", { timeout: 30000 });
  await shot(page, "block");
  await page.click("#verify-button");
  await page.waitForSelector("#verdict[data-result=valid]", { timeout: 120000 });
  log(`in-browser check: ${await page.textContent("#verdict")}`);
  const number = await page.inputValue("input.public-input[data-index='2']");
  await page.fill("input.public-input[data-index='2']", String(Number(number) + 1));
  await page.click("#verify-button");
  await page.waitForSelector("#verdict[data-result=invalid]", { timeout: 120000 });
  log(`block number ${number} -> ${Number(number) + 1}: ${await page.textContent("#verdict")}`);
  await shot(page, "block-tampered");

  await page.goto(`${explorer}/bitcoin`);
  await page.waitForSelector("text=proof of block", { timeout: 30000 });
  log("the Bitcoin page shows the proofs' envelopes by height");
  await shot(page, "bitcoin");
  await page.goto(`${explorer}/pool`);
  await page.waitForSelector("text=Inscriber batches");
  await shot(page, "queues");
  log("the queues page answers");
} catch (e) {
  failed = true;
  console.error(`FAILED: ${e.stack || e}`);
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
