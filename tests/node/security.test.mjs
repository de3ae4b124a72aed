// The Node client against a hub with auth: required and TLS (README, "Security").
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { CentralHubClient, ConfigClient, HubError, HubUnavailable } from "../../node/dist/index.js";
import { Hub, eventually, makeCa } from "./hub.mjs";

const ADMIN = "hub_node-test-admin-token-given-by-its-hash";

test("tokens decide who speaks; TLS is verified against the CA given", async () => {
  const folder = mkdtempSync(join(tmpdir(), "hub-node-tls-"));
  const tls = makeCa(folder);
  const hub = await Hub.create({
    extra: `auth: required\ntls: {certificate: ${tls.certificate}, key: ${tls.key}}`,
    env: { HUB_ADMIN_TOKEN_SHA256: createHash("sha256").update(ADMIN).digest("hex") },
    caFile: tls.ca,
  });
  await hub.start();
  try {
    const service = (await hub.call("POST", "/tokens", { role: "service:collector" }, ADMIN)).token;
    const anonymous = new CentralHubClient({ baseUrl: hub.url, caFile: tls.ca });
    await assert.rejects(anonymous.getServices(), (error) => error instanceof HubError && error.status === 401);
    anonymous.close();
    const client = new CentralHubClient({ baseUrl: hub.url, caFile: tls.ca, token: service });
    await client.registerService({ name: "collector", host: "collector-1", port: 8002 });
    await assert.rejects(
      client.registerService({ name: "orders", host: "orders-1", port: 8003 }),
      (error) => error instanceof HubError && error.status === 403 && /collector/.test(error.message),
    );
    await client.close();
    const untrusted = new CentralHubClient({ baseUrl: hub.url, token: service }); // the system's CAs do not know this one
    await assert.rejects(untrusted.getServices(), (error) => error instanceof HubUnavailable && /certificate/i.test(error.message));
    await untrusted.close();

    // A watch whose token is revoked says so, keeps trying, and resumes with a new token.
    const first = await hub.call("POST", "/tokens", { role: "service:collector" }, ADMIN);
    let current = first.token;
    await hub.call("PUT", "/config/collector", { config_data: { step: 1 } }, ADMIN);
    const config = new ConfigClient("collector", {}, {
      baseUrl: hub.url,
      caFile: tls.ca,
      token: () => current,
      cacheFile: join(folder, "collector.json"),
      initialBackoffMs: 50,
      maxBackoffMs: 200,
      watchWaitSeconds: 1,
    });
    assert.equal((await config.init()).step, 1);
    const seen = [];
    config.watchConfig((c) => seen.push(c.step));
    await hub.call("DELETE", `/tokens/${first.id}`, undefined, ADMIN);
    await eventually(() => /401/.test(config.lastError ?? ""), "the watch saying its token was refused");
    current = (await hub.call("POST", "/tokens", { role: "service:collector" }, ADMIN)).token;
    await hub.call("PUT", "/config/collector", { config_data: { step: 2 } }, ADMIN);
    await eventually(() => seen.at(-1) === 2, "the change after the new token");
    await config.close();
  } finally {
    await hub.remove();
    rmSync(folder, { recursive: true, force: true });
  }
});
