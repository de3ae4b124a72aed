// The dashboard in a real browser: Debian's chromium driven by playwright-core against a live,
// seeded hubd. HUB_SCREENSHOT_DIR, when set, receives a picture of each page (the README's).
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { launch, signIn as openSignedIn } from "./browser.mjs";
import { ADMIN, SeededHub, eventually } from "./seeded_hub.mjs";

const shots = process.env.HUB_SCREENSHOT_DIR;
let hub;
let browser;

before(async () => {
  hub = await new SeededHub().start();
  browser = await launch();
  if (shots) mkdirSync(shots, { recursive: true });
});

after(async () => {
  await browser?.close();
  await hub?.stop();
});

async function page(on = browser) {
  const context = await on.newContext({ viewport: { width: 1366, height: 900 } });
  const opened = await context.newPage();
  opened.problems = [];
  opened.on("pageerror", (error) => opened.problems.push(error.message));
  // Every answer of 400 and up is a problem but the 401 that asks an anonymous visitor to sign in.
  opened.on("response", (response) => {
    const url = new URL(response.url());
    if (response.status() >= 400 && !(response.status() === 401 && url.pathname === "/whoami"))
      opened.problems.push(`${response.status()} ${url.pathname}`);
  });
  opened.on("console", (message) => {
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) opened.problems.push(message.text());
  });
  return opened;
}

async function signIn(browserPage, token, at = hub) {
  await openSignedIn(browserPage, at, token);
  await browserPage.getByRole("heading", { name: "Overview" }).waitFor();
}

async function snap(browserPage, name) {
  if (shots) await browserPage.screenshot({ path: join(shots, `${name}.png`), fullPage: true });
}

test("a wrong token is refused with the hub's reason; a reader signs in and sees every service", async () => {
  const reader = await page();
  await reader.goto(`${hub.url}/ui/`);
  await reader.getByLabel("Token").fill("hub_not-a-token");
  await reader.getByRole("button", { name: "Sign in" }).click();
  await reader.getByText("the token is not known to this hub").waitFor();
  await signIn(reader, hub.reader);
  for (const name of ["orders", "payments", "inventory", "frontend"]) await reader.locator(`#tile-${name}`).waitFor();
  assert.match(await reader.locator("#who").textContent(), /reader/);
  await reader.getByRole("heading", { name: "Infrastructure" }).waitFor();
  await reader.getByRole("cell", { name: "cache" }).waitFor();
  assert.deepEqual(reader.problems, []);
  await reader.context().close();
});

test("a service goes down on the overview when its instance stops answering, without a reload", async () => {
  const viewer = await page();
  await signIn(viewer, hub.reader);
  await eventually(async () => (await viewer.locator("#tile-payments .badge").textContent()) === "healthy", "payments shown healthy");
  await eventually(async () => (await viewer.locator(".plot canvas").count()) > 0, "the infrastructure chart drawn", 30_000);
  await snap(viewer, "overview");
  hub.instances["payments-1"].answering = false;
  await eventually(async () => (await viewer.locator("#tile-payments .badge").textContent()) === "down", "payments shown down", 30_000);
  await viewer.getByText("service_down").first().waitFor();
  hub.instances["payments-1"].answering = true;
  await eventually(async () => (await viewer.locator("#tile-payments .badge").textContent()) === "healthy", "payments back", 30_000);
  assert.deepEqual(viewer.problems, []);
  await viewer.context().close();
});

test("a reader cannot roll back; an operator rolls a config back from the diff view, after confirming", async () => {
  const reader = await page();
  await signIn(reader, hub.reader);
  await reader.goto(`${hub.url}/ui/#/services/orders`);
  const readerButton = reader.getByRole("button", { name: "Roll back to v2" });
  await readerButton.waitFor();
  assert.equal(await readerButton.isDisabled(), true);
  // Another pair of versions, picked from the keyboard: the diff follows and the focus stays on the picker.
  await reader.locator("#diff-from").focus();
  await reader.locator("#diff-from").selectOption("1");
  await reader.locator("table.diff td.diff-removed", { hasText: '"limit": 10' }).waitFor();
  assert.equal(await reader.evaluate(() => document.activeElement.id), "diff-from");
  await reader.context().close();

  const operator = await page();
  await signIn(operator, hub.operator);
  await operator.goto(`${hub.url}/ui/#/services/orders`);
  await operator.getByRole("heading", { name: "Configuration" }).waitFor();
  const diff = operator.locator("table.diff");
  await diff.locator("td.diff-removed", { hasText: '"limit": 20' }).waitFor();
  await diff.locator("td.diff-added", { hasText: '"limit": 30' }).waitFor();
  await operator.locator(".graph").waitFor();
  await snap(operator, "service");
  await operator.getByRole("button", { name: "Roll back to v2" }).click();
  await operator.getByRole("button", { name: "Cancel" }).click(); // declined: nothing changes
  assert.equal((await hub.call("GET", "/config/orders")).config.limit, 30);
  await operator.getByRole("button", { name: "Roll back to v2" }).click();
  await operator.getByRole("button", { name: "Confirm" }).click();
  await eventually(async () => (await hub.call("GET", "/config/orders")).config.limit === 20, "the rollback stored");
  // The page follows by itself: v2 is the active version now, and the diff's left side.
  await operator.getByRole("cell", { name: "v2 active" }).waitFor();
  await operator.getByText("The left version is the active one.").waitFor();
  assert.deepEqual(operator.problems, []);
  await operator.context().close();
});

test("an operator pauses and resumes a rollout; its phase follows live", async () => {
  const operator = await page();
  await signIn(operator, hub.operator);
  await operator.goto(`${hub.url}/ui/#/rollouts`);
  await operator.getByRole("heading", { name: /orders: 1\.2\.0 → 1\.3\.0/ }).waitFor();
  await snap(operator, "rollouts");
  await operator.getByRole("button", { name: "Pause" }).click();
  await operator.getByRole("button", { name: "Confirm" }).click();
  await eventually(async () => (await hub.call("GET", `/deployments/${hub.rollout}`)).phase === "paused", "the rollout paused");
  await operator.getByRole("button", { name: "Resume" }).waitFor();
  await operator.getByRole("button", { name: "Resume" }).click();
  await eventually(async () => (await hub.call("GET", `/deployments/${hub.rollout}`)).phase !== "paused", "the rollout resumed");
  await operator.getByRole("button", { name: "Pause" }).waitFor();
  assert.deepEqual(operator.problems, []);
  await operator.context().close();
});

test("errors and the cluster have their pages; the keyboard reaches every link", async () => {
  const reader = await page();
  await signIn(reader, hub.reader);
  await reader.goto(`${hub.url}/ui/#/errors`);
  await reader.getByRole("link", { name: /TimeoutError/ }).click();
  await reader.getByRole("heading", { name: /TimeoutError: payments did not answer/ }).waitFor();
  await reader.getByText("Events per minute, last hour").waitFor();
  await snap(reader, "errors");
  await reader.goto(`${hub.url}/ui/#/cluster`);
  await reader.getByRole("cell", { name: /this hub/ }).waitFor();
  await snap(reader, "cluster");
  // Tab from the top of a freshly loaded page: the skip link first, then the navigation; the skip
  // link moves the focus to the content.
  await reader.goto(`${hub.url}/ui/#/`);
  await reader.reload();
  await reader.getByRole("heading", { name: "Overview" }).waitFor();
  await reader.keyboard.press("Tab");
  assert.equal(await reader.evaluate(() => document.activeElement.textContent), "Skip to the content");
  await reader.keyboard.press("Tab");
  assert.equal(await reader.evaluate(() => document.activeElement.textContent), "Overview");
  await reader.keyboard.press("Shift+Tab");
  await reader.keyboard.press("Enter");
  assert.equal(await reader.evaluate(() => document.activeElement.id), "main");
  await reader.keyboard.press("Tab");
  assert.equal(await reader.evaluate(() => document.activeElement.id), "tile-frontend");
  assert.deepEqual(reader.problems, []);
  await reader.context().close();
});

test("the page is served from hubd with a policy that keeps it to its own origin", async () => {
  const response = await fetch(`${hub.url}/ui/`);
  assert.equal(response.status, 200);
  assert.match(response.headers.get("content-security-policy"), /default-src 'self'/);
  assert.equal((await fetch(`${hub.url}/ui/vendor/uPlot.esm.js`)).status, 200);
  assert.equal((await fetch(`${hub.url}/ui/no-such-file.js`)).status, 404);
  assert.equal((await fetch(`${hub.url}/whoami`)).status, 401);
  assert.equal((await (await fetch(`${hub.url}/whoami`, { headers: { Authorization: `Bearer ${ADMIN}` } })).json()).role, "admin");
});

// Behind the hub's TLS: the page over HTTPS, its stream over WSS. Chromium trusts the hub's key alone
// (its SPKI hash), not every certificate.
test("behind TLS the page signs in and goes live over WSS", async () => {
  const secure = await new SeededHub({ tls: true }).start();
  const spki = execFileSync("sh", ["-c", `openssl x509 -in '${secure.tls.certificate}' -pubkey -noout | openssl pkey -pubin -outform der | openssl dgst -sha256 -binary | base64`]).toString().trim();
  const trusting = await launch([`--ignore-certificate-errors-spki-list=${spki}`]);
  try {
    const viewer = await page(trusting);
    await signIn(viewer, secure.reader, secure);
    await viewer.locator("#tile-orders").waitFor();
    assert.equal(await viewer.evaluate(() => location.protocol), "https:");
    assert.deepEqual(viewer.problems, []);
  } finally {
    await trusting.close();
    await secure.stop();
  }
});
