// The Node client against a live hubd: discovery and heartbeats beside other replicas, the seeds'
// shapes, refusals, a hub that starts late, config with hot reload through restarts.
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { join } from "node:path";

import { CentralHubClient, ConfigClient, HubError, HubUnavailable } from "../../node/dist/index.js";
import { Hub, eventually, freePort } from "./hub.mjs";

let hub;
before(async () => {
  hub = await (await Hub.create()).start();
});
after(async () => {
  await hub.remove();
});

const statusOf = async (service, id) =>
  (await hub.call("GET", `/services/${service}`)).instances.find((each) => each.instance_id === id)?.status ?? "gone";

test("registers beside a replica and heartbeats by the service's name alone", async () => {
  await hub.call("POST", "/register", { service_name: "quotes", host: "quotes-2", port: 9000 });
  const client = new CentralHubClient({ baseUrl: hub.url });
  const instance = await client.registerService({ name: "quotes", host: "quotes-1", port: 9000, version: "1.0.0" });
  assert.equal(instance.instance_id, "quotes-1:9000");
  await client.heartbeat("quotes", { status: "degraded" });
  assert.equal(await statusOf("quotes", "quotes-1:9000"), "degraded");
  assert.equal(await statusOf("quotes", "quotes-2:9000"), "healthy");
  // Forgotten by the hub: the next beat registers it again.
  await hub.call("POST", "/deregister", { service_name: "quotes", instance_id: "quotes-1:9000" });
  client.startHeartbeat("quotes", { intervalMs: 100, status: () => "degraded" });
  await eventually(async () => (await statusOf("quotes", "quotes-1:9000")) === "degraded", "the re-registration");
  await client.close();
});

test("getService answers the seeds' shape; unknown services are null, refusals are HubError", async () => {
  await hub.call("POST", "/register", { service_name: "feature-engineering", host: "fe-1", port: 8010 });
  const client = new CentralHubClient(hub.url);
  const service = await client.getService("feature-engineering");
  assert.deepEqual([service.host, service.port, service.url], ["fe-1", 8010, "http://fe-1:8010"]);
  assert.equal(service.instances.length, 1);
  assert.equal(await client.getService("nobody"), null);
  assert.equal(await client.discoverService("feature-engineering"), "http://fe-1:8010");
  assert.equal(await client.discoverService("nobody"), null);
  const endpoint = await client.getLoadBalancedEndpoint("feature-engineering");
  assert.deepEqual([endpoint.host, endpoint.port, endpoint.load], ["fe-1", 8010, null]);
  assert.equal(await client.getCircuitState("feature-engineering"), "CLOSED");
  const healthy = await client.getServices({ status: "healthy" });
  assert.ok(healthy.some((each) => each.instance_id === "fe-1:8010"));
  await assert.rejects(client.getCircuitState("nobody"), (error) => error instanceof HubError && error.status === 404);
  await assert.rejects(
    client.registerService({ name: "bad", host: "bad-1", port: 70000 }),
    (error) => error instanceof HubError && error.status === 400 && /port/.test(error.message),
  );
  assert.equal(await client.updateGlobalConfig({ rate_limits: { free_tier: 50 } }), 1);
  await client.close();
});

test("registration waits for a hub that starts later; no hub is HubUnavailable", async () => {
  const late = await Hub.create();
  const client = new CentralHubClient({ baseUrl: late.url, registerAttempts: 40, maxBackoffMs: 300 });
  await assert.rejects(new CentralHubClient(late.url).getServices(), (error) => error instanceof HubUnavailable);
  const registering = client.registerService({ name: "bridge", host: "bridge-1", port: 8001 });
  await new Promise((resolve) => setTimeout(resolve, 300));
  await late.start();
  assert.equal((await registering).instance_id, "bridge-1:8001");
  await client.close();
  await late.remove();
});

test("config: safe defaults under the hub's, a cache when it is away, hot reload through restarts", async () => {
  const cacheFile = join(hub.folder, "collector.json");
  await hub.call("PUT", "/config/collector", { config_data: { operational: { symbols: ["EURUSD", "XAUUSD"] } } });
  const defaults = { operational: { symbols: ["EURUSD"], websocket_reconnect_delay: 5 } };
  const client = new ConfigClient("collector", defaults, { baseUrl: hub.url, cacheFile, initialBackoffMs: 50, maxBackoffMs: 300 });
  const config = await client.init();
  assert.equal(client.source, "hub");
  assert.deepEqual(config.operational, { symbols: ["EURUSD", "XAUUSD"], websocket_reconnect_delay: 5 });
  const seen = [];
  client.watchConfig((config) => seen.push(config.operational.step));
  for (const step of [1, 2, 3]) {
    await hub.call("PUT", "/config/collector", { config_data: { operational: { step } } });
    await eventually(() => seen.at(-1) === step, `step ${step}`);
    await hub.restart();
    await hub.call("PUT", "/config/collector", { config_data: { operational: { step: step * 10 } } });
    await eventually(() => seen.at(-1) === step * 10, `step ${step * 10}, made during the restart`);
  }
  assert.deepEqual(seen, [1, 10, 2, 20, 3, 30]);
  await client.close();

  await hub.stop();
  const away = new ConfigClient("collector", defaults, { baseUrl: hub.url, cacheFile });
  assert.equal((await away.init()).operational.step, 30);
  assert.equal(away.source, "cache");
  await away.close();
  const bare = new ConfigClient("collector", defaults, { baseUrl: hub.url, cacheFile: join(hub.folder, "none.json") });
  assert.deepEqual(await bare.init(), defaults);
  assert.equal(bare.source, "defaults");
  await bare.close();
  await hub.start();
});

test("config: a hub down at start, then up; a refused config keeps the old one", async () => {
  const late = await Hub.create();
  const client = new ConfigClient(
    "risk-management",
    { operational: { max_position_size: 1 } },
    {
      baseUrl: late.url,
      cacheFile: join(late.folder, "risk.json"),
      initialBackoffMs: 50,
      maxBackoffMs: 200,
      validate: (config) => {
        if (config.operational.max_position_size <= 0) throw new Error("max_position_size must be positive");
      },
    },
  );
  assert.equal((await client.init()).operational.max_position_size, 1);
  assert.equal(client.source, "defaults");
  const seen = [];
  client.watchConfig((config) => seen.push(config.operational.max_position_size));
  await late.start();
  await late.call("PUT", "/config/risk-management", { config_data: { operational: { max_position_size: 100 } } });
  await eventually(() => seen.at(-1) === 100, "the hub's config once it is up");
  await late.call("PUT", "/config/risk-management", { config_data: { operational: { max_position_size: -5 } } });
  await eventually(() => /must be positive/.test(client.lastError ?? ""), "the refusal");
  assert.equal(client.getConfig().operational.max_position_size, 100);
  await late.call("PUT", "/config/risk-management", { config_data: { operational: { max_position_size: 250 } } });
  await eventually(() => seen.at(-1) === 250, "the next valid config");
  assert.deepEqual(seen, [100, 250]);
  await client.close();
  await late.remove();
});

test("given several hubs, a dead one and one answering 503 are passed over", async () => {
  const http = await import("node:http");
  const failing = http.createServer((request, response) => {
    response.writeHead(503, { "Content-Type": "application/json" });
    response.end(JSON.stringify({ error: "unavailable", message: "storage is away" }));
  });
  await new Promise((resolve) => failing.listen(0, "127.0.0.1", resolve));
  const failingUrl = `http://127.0.0.1:${failing.address().port}`;
  const deadUrl = `http://127.0.0.1:${await freePort()}`;
  const client = new CentralHubClient({ baseUrl: `${deadUrl}, ${failingUrl},${hub.url}` });
  await client.registerService({ name: "ledger", host: "10.0.0.7", port: 9000 });
  assert.equal(await client.discoverService("ledger"), "http://10.0.0.7:9000");
  assert.equal(client.baseUrl, hub.url, "the hub that answered is asked first from now on");
  await client.close();
  const stranded = new CentralHubClient({ baseUrl: [deadUrl, failingUrl], registerAttempts: 1 });
  await assert.rejects(stranded.getServices(), (error) => error instanceof HubError && error.status === 503);
  await stranded.close();
  failing.close();
  assert.throws(() => new CentralHubClient("http://127.0.0.1:8001,ftp://hub-2"), /ftp:\/\/hub-2/);
});
