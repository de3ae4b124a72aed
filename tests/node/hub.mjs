// A live hubd for the Node client's tests: HUB_HUBD names it, HUB_PLUGIN_DIR its plugins (ctest
// sets both). Each hub has a folder of its own with a SQLite file, so a restart keeps revisions.
import { execFileSync, spawn } from "node:child_process";
import { mkdtempSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";
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
  /** extra: more YAML; env: hubd's environment; caFile: with one, the hub speaks TLS (extra has its tls section). */
  constructor(port, { extra = "", env = {}, caFile } = {}) {
    this.folder = mkdtempSync(join(tmpdir(), "hub-node-test-"));
    this.port = port;
    this.extra = extra;
    this.env = env;
    this.caFile = caFile;
    this.process = undefined;
  }

  static async create(options) {
    return new Hub(await freePort(), options);
  }

  get url() {
    return `${this.caFile ? "https" : "http"}://127.0.0.1:${this.port}`;
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
        this.extra,
        "plugins:",
        `  search_paths: [${plugins}]`,
        "  libraries:",
        "    - library: discovery",
        "      enable: [{implementation: liveness, kind: discovery, config: {service_timeout_seconds: 90}}]",
        "",
      ].join("\n"),
    );
    const log = openSync(join(this.folder, "hubd.log"), "a");
    this.process = spawn(hubd, ["--config", manifest], { stdio: ["ignore", log, log], env: { ...process.env, ...this.env } });
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
  call(method, path, body, token) {
    const send = this.caFile ? https.request : http.request;
    const headers = token ? { Authorization: `Bearer ${token}` } : {};
    return new Promise((resolve, reject) => {
      const request = send(this.url + path, { method, headers, ca: this.caFile ? readFileSync(this.caFile) : undefined }, (response) => {
        let text = "";
        response.on("data", (chunk) => (text += chunk));
        response.on("end", () =>
          response.statusCode < 300 ? resolve(JSON.parse(text)) : reject(new Error(`${method} ${path}: ${response.statusCode} ${text}`)),
        );
      });
      request.on("error", reject);
      request.end(body === undefined ? undefined : JSON.stringify(body));
    });
  }
}

/** A CA and a certificate for 127.0.0.1 it signed, made with the openssl command, in folder. */
export function makeCa(folder) {
  const run = (...args) => execFileSync("openssl", args, { cwd: folder, stdio: "ignore" });
  run("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.crt", "-days", "2", "-subj", "/CN=test-ca");
  run("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "hub.key", "-out", "hub.csr", "-subj", "/CN=hub");
  writeFileSync(join(folder, "hub.ext"), "subjectAltName=IP:127.0.0.1,DNS:localhost\n");
  run("x509", "-req", "-in", "hub.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial", "-out", "hub.crt", "-days", "2", "-extfile", "hub.ext");
  return { ca: join(folder, "ca.crt"), certificate: join(folder, "hub.crt"), key: join(folder, "hub.key") };
}
