// The README's pictures of the dashboard: a seeded hub left to run for a while (so its charts have
// some shape), then each page in chromium at a laptop's size. With HUB_SCREENSHOT_PG
// ("HOST:PORT:DATABASE", user postgres) the hub and two more share that PostgreSQL, for the cluster page.
//   HUB_HUBD=$PWD/build/core/hubd HUB_PLUGIN_DIR=$PWD/build/plugins node tests/dashboard/screenshots.mjs docs/dashboard [SECONDS]
import { mkdirSync } from "node:fs";
import { join } from "node:path";

import { launch, signIn } from "./browser.mjs";
import { SeededHub } from "./seeded_hub.mjs";

const [folder = "docs/dashboard", seconds = "300"] = process.argv.slice(2);
mkdirSync(folder, { recursive: true });
const [pgHost, pgPort, pgDatabase] = (process.env.HUB_SCREENSHOT_PG ?? "").split(":");
const storage = pgHost ? `{backend: postgres, postgres: {host: ${pgHost}, port: ${pgPort}, dbname: ${pgDatabase}, user: postgres}}` : null;
const hub = await new SeededHub({ storage }).start();
const peers = [];
for (let i = 0; storage && i < 2; i++) peers.push(await new SeededHub({ storage, seed: false }).start());
const until = Date.now() + Number(seconds) * 1000;
for (let tick = 0; Date.now() < until; tick++) {
  // Errors in bursts, heartbeats as clients send them, and payments stops answering for a while in the middle.
  await hub.reportTimeouts(tick % 6 === 3 ? 12 : 2);
  await hub.heartbeat();
  hub.instances["payments-1"].answering = !(tick >= 6 && tick < 9);
  await new Promise((resolve) => setTimeout(resolve, 10_000));
}
hub.instances["payments-1"].answering = true;
await new Promise((resolve) => setTimeout(resolve, 3000));
const browser = await launch();
const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
await signIn(page, hub, hub.operator);
const group = (await hub.call("GET", "/errors?service=orders")).groups[0].fingerprint;
for (const [name, fragment, ready] of [["overview", "#/", ".plot canvas"], ["service", "#/services/orders", "table.diff"],
                                       ["rollouts", "#/rollouts", "progress"], ["errors", `#/errors/${group}`, ".plot canvas"],
                                       ["cluster", "#/cluster", "table"]]) {
  await page.goto(`${hub.url}/ui/${fragment}`);
  await page.locator(ready).first().waitFor();
  await page.evaluate(() => (document.getElementById("announcer").textContent = ""));
  await new Promise((resolve) => setTimeout(resolve, 500));
  await page.screenshot({ path: join(folder, `${name}.png`), fullPage: true });
  console.log(`${folder}/${name}.png`);
}
await browser.close();
for (const peer of peers) await peer.stop();
await hub.stop();
