// A live hubd with data for the dashboard's tests: auth required, health checks every second against
// instances served by this process (so a test can make one stop answering), infrastructure checked by
// tcp, three config versions, error reports, timings and a rollout that waits at its first batch.
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
import net from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { eventually, freePort, makeCa } from "../node/hub.mjs";

export { eventually };

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const hubd = process.env.HUB_HUBD ?? join(root, "build", "core", "hubd");
const plugins = process.env.HUB_PLUGIN_DIR ?? join(root, "build", "plugins");
export const ADMIN = "hub_dashboard-test-admin-token";

function listen(server) {
  return new Promise((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve(server.address().port));
  });
}

// An instance's health endpoint that answers until told to stop answering.
async function instance() {
  const state = { answering: true };
  const server = http.createServer((request, response) => {
    if (!state.answering) return response.socket.destroy();
    response.writeHead(200, { "Content-Type": "application/json" }).end('{"status":"healthy"}');
  });
  state.port = await listen(server);
  state.server = server;
  return state;
}

export class SeededHub {
  /** tls: serve HTTPS and WSS with a certificate from a CA of the test's own (this.tls names the files).
   *  storage: the manifest's storage (a SQLite file of its own by default); seed: false starts a hub
   *  that only joins, say another hub on the same PostgreSQL. */
  constructor({ tls = false, storage = null, seed = true } = {}) {
    this.secure = tls;
    this.storage = storage;
    this.seeded = seed;
  }

  async start() {
    this.folder = mkdtempSync(join(tmpdir(), "hub-dashboard-test-"));
    this.port = await freePort();
    this.tls = this.secure ? makeCa(this.folder) : null;
    this.url = `${this.secure ? "https" : "http"}://127.0.0.1:${this.port}`;
    this.instances = { "orders-1": await instance(), "orders-2": await instance(), "payments-1": await instance() };
    this.components = [net.createServer((socket) => socket.end()), net.createServer((socket) => socket.end())];
    const [cachePort, queuePort] = await Promise.all(this.components.map(listen));
    const manifest = join(this.folder, "hub.yaml");
    writeFileSync(manifest, [
      `listen: 127.0.0.1:${this.port}`,
      `storage: ${this.storage ?? `{backend: sqlite, sqlite: {path: ${join(this.folder, "hub.db")}}}`}`,
      "logging: {level: warn, format: text}",
      "registration: {denied_networks: []}",
      "auth: required",
      this.tls ? `tls: {certificate: ${this.tls.certificate}, key: ${this.tls.key}}` : "",
      "health_monitoring:",
      "  check_interval_seconds: 1",
      "  rise: 1",
      "  fall: 1",
      "  service_probe: http",
      "  infrastructure:",
      `    - {name: cache, probe: tcp, host: 127.0.0.1, port: ${cachePort}}`,
      `    - {name: queue, probe: tcp, host: 127.0.0.1, port: ${queuePort}}`,
      "plugins:",
      `  search_paths: [${plugins}]`,
      "  libraries:",
      "    - library: discovery",
      "      enable: [{implementation: liveness, kind: discovery, config: {service_timeout_seconds: 90}}]",
      "    - library: health-probe",
      "      enable: [{implementation: http, kind: health_probe}, {implementation: tcp, kind: health_probe}]",
      "",
    ].join("\n"));
    const log = openSync(join(this.folder, "hubd.log"), "a");
    this.process = spawn(hubd, ["--config", manifest], {
      stdio: ["ignore", log, log],
      env: { ...process.env, HUB_ADMIN_TOKEN_SHA256: createHash("sha256").update(ADMIN).digest("hex") },
    });
    this.exited = new Promise((resolve) => this.process.once("exit", resolve));
    await eventually(async () => {
      if (this.process.exitCode !== null) throw new Error(`hubd exited: ${readFileSync(join(this.folder, "hubd.log"), "utf8")}`);
      return (await this.call("GET", "/health").catch(() => null)) !== null;
    }, "hubd answering /health", 30_000);
    if (this.seeded) await this.seed();
    return this;
  }

  async seed() {
    this.reader = (await this.call("POST", "/tokens", { role: "reader", description: "dashboard test reader" })).token;
    this.operator = (await this.call("POST", "/tokens", { role: "operator", description: "dashboard test operator" })).token;
    const register = (name, id, extra = {}) => {
      const served = this.instances[id];
      return this.call("POST", "/register", {
        service_name: name, instance_id: id, host: "127.0.0.1", port: served ? served.port : 9000, version: "1.2.0",
        health_endpoint: served ? "/health" : undefined, ...extra,
      });
    };
    await register("orders", "orders-1", { dependencies: ["payments", "inventory"], metadata: { load: "0.42" } });
    await register("orders", "orders-2", { dependencies: ["payments", "inventory"], metadata: { load: "0.37" } });
    await register("payments", "payments-1");
    await register("inventory", "inventory-1");
    await register("frontend", "frontend-1", { dependencies: ["orders"] });
    for (const [limit, retries] of [[10, 1], [20, 2], [30, 3]])
      await this.call("PUT", "/config/orders", { config_data: { limit, retries, database: { pool: 8 } } });
    await this.reportTimeouts(12);
    const frame = (fn, line) => ({ module: "orders.app", function: fn, file: "orders/app.py", line });
    const events = [];
    for (let i = 0; i < 3; i++)
      events.push({ service: "payments", type: "KeyError", message: `'currency' missing from order ${1000 + i}`, version: "1.2.0",
                    frames: [frame("price", 17)] });
    await this.call("POST", "/errors", { events });
    await this.call("PUT", "/circuits/payments/state", { state: "FORCED_OPEN" });
    // Timings as the performance tracker reports them: 15 buckets against the hub's bounds.
    const { bounds_ms } = await this.call("GET", "/performance");
    const buckets = bounds_ms.map((bound) => (bound >= 5 && bound <= 100 ? 20 : 0)).concat([0]);
    buckets[10] = 2; // a slow tail, at the 1 s bound
    const count = buckets.reduce((a, b) => a + b, 0);
    for (const service of ["orders", "frontend"])
      await this.call("POST", "/performance", { service, bounds_ms, operations: [{ operation: "GET /orders", buckets, count, sum_ms: count * 40 }] });
    this.rollout = (await this.call("POST", "/deployments", { service: "orders", version: "1.3.0", min_ready_seconds: 0 })).id;
    await eventually(async () => (await this.call("GET", "/health/services")).orders?.checked === true, "the first checks of orders");
  }

  // Orders' calls to payments time out, `count` times: one error group.
  reportTimeouts(count) {
    const frame = (fn, line) => ({ module: "orders.app", function: fn, file: "orders/app.py", line });
    return this.call("POST", "/errors", { events: Array.from({ length: count }, (_, i) => ({
      service: "orders", type: "TimeoutError", message: `payments did not answer within ${300 + i} ms`, version: "1.2.0",
      host: "orders-1", frames: [frame("handle_order", 42), frame("charge", 88)] })) });
  }

  // Every registered instance says it is alive, as its client would every 30 s.
  async heartbeat() {
    for (const { service_name, instance_id } of (await this.call("GET", "/services")).services)
      await this.call("POST", "/heartbeat", { service_name, instance_id, metrics: { load: instance_id === "orders-1" ? 0.42 : 0.37 } });
  }

  async stop() {
    for (const served of Object.values(this.instances ?? {})) served.server.close();
    for (const server of this.components ?? []) server.close();
    if (this.process && this.process.exitCode === null) {
      this.process.kill("SIGTERM");
      await this.exited;
    }
    if (this.folder) rmSync(this.folder, { recursive: true, force: true });
  }

  log() {
    return readFileSync(join(this.folder, "hubd.log"), "utf8");
  }

  call(method, path, body, token = ADMIN) {
    return new Promise((resolve, reject) => {
      const send = this.tls ? https.request : http.request;
      const options = { method, headers: token ? { Authorization: `Bearer ${token}` } : {}, ca: this.tls ? readFileSync(this.tls.ca) : undefined };
      const request = send(this.url + path, options, (response) => {
        let text = "";
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () =>
          response.statusCode < 300 ? resolve(text ? JSON.parse(text) : null)
                                    : reject(new Error(`${method} ${path}: ${response.statusCode} ${text}`)));
      });
      request.on("error", reject);
      request.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }
}
