// How long a change takes to show on an open dashboard page: a config version stored through the
// API, until the service page in chromium lists it as active (the event over GET /events/stream, the
// page's 300 ms coalescing, its redraw from the API). Prints p50 and the worst of N changes.
//   HUB_HUBD=$PWD/build/core/hubd HUB_PLUGIN_DIR=$PWD/build/plugins node bench/dashboard_latency.mjs [CHANGES]
// Needs tests/dashboard's packages (tests/dashboard/run.sh installs them) and Debian's chromium.
import { launch, signIn } from "../tests/dashboard/browser.mjs";
import { SeededHub } from "../tests/dashboard/seeded_hub.mjs";

const changes = Number(process.argv[2] ?? 20);
const hub = await new SeededHub().start();
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
await signIn(page, hub, hub.reader);
await page.goto(`${hub.url}/ui/#/services/orders`);
await page.locator("table.diff").waitFor();
const took = [];
for (let i = 0; i < changes; i++) {
  const version = (await hub.call("GET", "/config/orders")).version + 1;
  // Timed in the page: from just before the write to the mutation that shows the new version active
  // (a test tool's polling would add its own intervals).
  await page.evaluate((wanted) => {
    window.shown = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if ([...document.querySelectorAll("td")].some((cell) => cell.textContent === `v${wanted} active`)) {
          observer.disconnect();
          resolve(performance.now());
        }
      });
      observer.observe(document.body, { subtree: true, childList: true, characterData: true });
    });
  }, version);
  const started = await page.evaluate(() => performance.now());
  await hub.call("PUT", "/config/orders", { config_data: { limit: 100 + i } });
  took.push((await page.evaluate(() => window.shown)) - started);
}
took.sort((a, b) => a - b);
console.log(`${changes} config changes to the open page: p50 ${took[Math.floor(changes / 2)].toFixed(0)} ms, ` +
            `worst ${took[changes - 1].toFixed(0)} ms (300 ms of each is the page's coalescing)`);
await browser.close();
await hub.stop();
