// A live hubd for the Node client's tests: HUB_HUBD names it, HUB_PLUGIN_DIR its plugins (ctest
// sets both). Each hub has a folder of its own with a SQLite file, so a restart keeps revisions.
import { spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const hubd = process.env.HUB_HUBD ?? join(root, "build", "core", "hubd");
const plugins = process.env.HUB_PLUGIN_DIR ?? join(root, "build", "plugins");

export async function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
    server.on("error", reject);
  });
}

/** Polls condition until it holds; throws naming what after timeoutMs. */
export async function eventually(condition, what = "the condition", timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

export class Hub {
  constructor(port) {
    this.folder = mkdtempSync(join(tmpdir(), "hub-node-test-"));
    this.port = port;
    this.process = undefined;
  }

  static async create() {
    return new Hub(await freePort());
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    const manifest = join(this.folder, "hub.yaml");
    writeFileSync(
      manifest,
      [
        `listen: 127.0.0.1:${this.port}`,
        `storage: {backend: sqlite, sqlite: {path: ${join(this.folder, "hub.db")}}}`,
        "logging: {level: warn, format: text}",
        "registration: {denied_networks: []}",
        "plugins:",
        `  search_paths: [${plugins}]`,
        "  libraries:",
        "    - library: discovery",
        "      enable: [{implementation: liveness, kind: discovery, config: {service_timeout_seconds: 90}}]",
        "",
      ].join("\n"),
    );
    const log = openSync(join(this.folder, "hubd.log"), "a");
    this.process = spawn(hubd, ["--config", manifest], { stdio: ["ignore", log, log] });
    const exited = new Promise((resolve) => this.process.once("exit", resolve));
    await eventually(async () => {
      if (this.process.exitCode !== null) throw new Error(`hubd exited: ${readFileSync(join(this.folder, "hubd.log"), "utf8")}`);
      return (await this.call("GET", "/health").catch(() => null)) !== null;
    }, "hubd answering /health", 30_000);
    this.exited = exited;
    return this;
  }

  async stop() {
    if (!this.process || this.process.exitCode !== null) return;
    this.process.kill("SIGTERM");
    await this.exited;
  }

  async restart() {
    await this.stop();
    await this.start();
  }

  async remove() {
    await this.stop();
    rmSync(this.folder, { recursive: true, force: true });
  }

  /** A plain request from outside the client under test. */
  async call(method, path, body) {
    const response = await fetch(this.url + path, { method, body: body === undefined ? undefined : JSON.stringify(body) });
    const text = await response.text();
    if (!response.ok) throw new Error(`${method} ${path}: ${response.status} ${text}`);
    return JSON.parse(text);
  }
}
