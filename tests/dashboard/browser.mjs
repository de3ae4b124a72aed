// Debian's chromium as the dashboard's tests, benchmark and screenshots start it, and the sign-in
// they all go through.
import { chromium } from "playwright-core";

// Without the background-networking flags chromium keeps calling out, and this network refuses it.
export function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.HUB_CHROMIUM ?? "/usr/bin/chromium",
    args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", ...extraArgs],
  });
}

// Opens the dashboard of `hub`, signs in with `token`, and waits until the page is live.
export async function signIn(page, hub, token) {
  await page.goto(`${hub.url}/ui/`);
  await page.getByLabel("Token").fill(token);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.locator("#live.on").waitFor();
}
