// The README's pictures of the dashboard: a seeded hub left to run for a while (so its charts have
// an hour's worth of shape), then each page in chromium at a laptop's size.
//   HUB_HUBD=build/core/hubd node tests/dashboard/screenshots.mjs docs/dashboard [SECONDS]
import { mkdirSync } from "node:fs";
import { join } from "node:path";

import { chromium } from "playwright-core";

import { SeededHub } from "./seeded_hub.mjs";

const [folder = "docs/dashboard", seconds = "300"] = process.argv.slice(2);
mkdirSync(folder, { recursive: true });
const hub = await new SeededHub().start();
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
const browser = await chromium.launch({
  executablePath: process.env.HUB_CHROMIUM ?? "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update"],
});
const page = await browser.newPage({ viewport: { width: 1366, height: 800 } });
await page.goto(`${hub.url}/ui/`);
await page.getByLabel("Token").fill(hub.operator);
await page.getByRole("button", { name: "Sign in" }).click();
await page.locator("#live.on").waitFor();
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
await hub.stop();
