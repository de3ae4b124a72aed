// ConfigClient: the seeds' three layers (secrets from the environment, the hub's config, safe
// defaults under it), a cache file for when the hub is away, and hot reload by blocking watches
// that resume from the last revision seen, so a change made while the hub was away arrives.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";

import { HubError } from "./errors.js";
import { HubOptions, Transport, backoffDelay, sleep } from "./transport.js";

export type Config = Record<string, any>;

/** `over` laid over `base`: objects merge key by key, anything else replaces. */
export function merge(base: Config, over: Config): Config {
  const merged: Config = structuredClone(base);
  for (const [key, value] of Object.entries(over)) {
    const isObject = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
    merged[key] = isObject(value) && isObject(merged[key]) ? merge(merged[key], value) : structuredClone(value);
  }
  return merged;
}

export interface ConfigClientOptions extends HubOptions {
  /** Asked before a config from the hub takes effect: false or a throw refuses it. */
  validate?: (config: Config) => boolean | void;
  /** Defaults to <tmp>/central-hub-config/<service>.json. */
  cacheFile?: string;
  watchWaitSeconds?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export class ConfigClient {
  readonly serviceName: string;
  readonly safeDefaults: Config;
  readonly cacheFile: string;
  /** Where layer 2 comes from: "hub", "cache" or "defaults". */
  source: "hub" | "cache" | "defaults" = "defaults";
  revision = 0;
  version = 0;
  lastError: string | undefined;
  private hubConfig: Config = {};
  private readonly transport: Transport;
  private readonly options: ConfigClientOptions;
  private readonly callbacks: Array<(config: Config) => unknown> = [];
  private watch: { stopped: boolean; done: Promise<void> } | undefined;

  constructor(serviceName: string, safeDefaults: Config = {}, options: ConfigClientOptions = {}) {
    if (!serviceName) throw new TypeError("ConfigClient: serviceName is required");
    this.serviceName = serviceName;
    this.safeDefaults = structuredClone(safeDefaults);
    this.options = options;
    this.transport = new Transport(options);
    this.cacheFile = options.cacheFile ?? join(tmpdir(), "central-hub-config", `${serviceName}.json`);
  }

  /** Layer 1: a secret from the environment; throws naming it when unset. */
  static requireSecret(name: string): string {
    const value = process.env[name];
    if (!value) throw new Error(`secret ${name} is not set in the environment; secrets never come from the hub`);
    return value;
  }

  /** The config in force: the safe defaults with layer 2 over them. */
  getConfig(): Config {
    return merge(this.safeDefaults, this.hubConfig);
  }

  /** Asks the hub once and never throws for its absence: falls back to the cache file, then to
   * the safe defaults alone. */
  async init(): Promise<Config> {
    try {
      await this.take(await this.transport.request("GET", this.path()), false);
    } catch (error) {
      this.lastError = String(error);
      this.loadCache();
    }
    return this.getConfig();
  }

  /** Calls callback(config) on every change; returns at once, the watch runs until close(). */
  watchConfig(callback?: (config: Config) => unknown): void {
    if (callback) this.callbacks.push(callback);
    if (this.watch) return;
    const watch = { stopped: false, done: Promise.resolve() };
    watch.done = this.follow(watch);
    this.watch = watch;
  }

  async close(): Promise<void> {
    const watch = this.watch;
    this.watch = undefined;
    if (watch) watch.stopped = true;
    this.transport.close(); // also ends a parked watch at once
    if (watch) await watch.done;
  }

  private path(suffix = ""): string {
    return `/config/${encodeURIComponent(this.serviceName)}${suffix}`;
  }

  private async follow(watch: { stopped: boolean }): Promise<void> {
    let attempt = 0;
    const wait = this.options.watchWaitSeconds ?? 60;
    while (!watch.stopped) {
      try {
        const answer = await this.transport.request("GET", this.path("/watch"), {
          query: { index: this.revision, wait },
          timeoutMs: wait * 1000 + this.transport.timeoutMs,
        });
        if (answer.changed) await this.take(answer, true).catch(() => undefined);
        attempt = 0;
      } catch (error) {
        if (watch.stopped) return;
        this.lastError = String(error instanceof Error ? error.message : error);
        if (error instanceof HubError && (error.status === 401 || error.status === 403))
          this.lastError = `${error.status}: the hub refused this client's token: ${error.message}`;
        await sleep(backoffDelay(attempt++, this.options.initialBackoffMs ?? 500, this.options.maxBackoffMs ?? 30_000));
      }
    }
  }

  private async take(answer: any, notify: boolean): Promise<void> {
    const config = answer.config ?? {};
    const revision = Number(answer.revision ?? 0);
    if (revision && revision === this.revision && this.source === "hub") return;
    const candidate = merge(this.safeDefaults, config);
    const why = this.refusal(candidate);
    if (why) {
      this.revision = revision; // wait for the next one rather than asking for this again
      this.lastError = `config revision ${revision} refused, the old one stays: ${why}`;
      throw new Error(this.lastError);
    }
    const changed = JSON.stringify(config) !== JSON.stringify(this.hubConfig);
    this.hubConfig = config;
    this.revision = revision;
    this.version = Number(answer.version ?? 0);
    this.source = "hub";
    this.lastError = undefined;
    this.writeCache(answer);
    if (changed && notify) {
      for (const callback of this.callbacks) {
        try {
          await callback(structuredClone(candidate));
        } catch (error) {
          console.error(`central-hub: config callback for ${this.serviceName} failed:`, error);
        }
      }
    }
  }

  private refusal(candidate: Config): string | undefined {
    if (!this.options.validate) return undefined;
    try {
      return this.options.validate(structuredClone(candidate)) === false ? "validate() returned false" : undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    }
  }

  private writeCache(answer: any): void {
    const record = { service_name: this.serviceName, revision: answer.revision ?? 0, version: answer.version ?? 0, config: answer.config ?? {} };
    try {
      mkdirSync(dirname(this.cacheFile), { recursive: true });
      const temporary = `${this.cacheFile}.${process.pid}.tmp`;
      writeFileSync(temporary, JSON.stringify(record));
      renameSync(temporary, this.cacheFile); // a reader sees the old file or the new, never half
    } catch (error) {
      console.warn(`central-hub: cannot write the config cache ${this.cacheFile}:`, error);
    }
  }

  private loadCache(): void {
    try {
      const record = JSON.parse(readFileSync(this.cacheFile, "utf8"));
      if (record.service_name !== this.serviceName || typeof record.config !== "object") throw new Error("not this service's cache");
      if (this.refusal(merge(this.safeDefaults, record.config))) throw new Error("validate() refuses it");
      this.hubConfig = record.config;
      this.revision = Number(record.revision ?? 0);
      this.version = Number(record.version ?? 0);
      this.source = "cache";
    } catch {
      this.source = "defaults";
    }
  }
}
