// HTTP to the hub (or one of several on one database) for the client classes: its addresses,
// credentials, keep-alive agents and retries.
// node:http rather than fetch, so a private CA (HUB_CA_FILE) needs no extra package.
import { readFileSync } from "node:fs";
import http from "node:http";
import https from "node:https";

import { HubError, HubUnavailable } from "./errors.js";

/** Where the hub is when neither the code nor CENTRAL_HUB_URL says: the seeds' address. */
export const DEFAULT_URL = "http://central-hub:8001";

/** A token, or a function asked before every request (a rotated token is used at once). */
export type TokenSource = string | (() => string | undefined) | undefined;

export interface HubOptions {
  /** Defaults to CENTRAL_HUB_URL, then http://central-hub:8001. Several hubs on one database: their
   * URLs separated by commas (or a list); a request a hub cannot take goes on to the next. */
  baseUrl?: string | string[];
  /** Defaults to HUB_TOKEN. */
  token?: TokenSource;
  /** The CA of an https:// hub; defaults to HUB_CA_FILE, then the system's CAs. */
  caFile?: string;
  /** Per request, in milliseconds (10,000). */
  timeoutMs?: number;
}

export function backoffDelay(attempt: number, initialMs: number, maxMs: number): number {
  // Exponential with equal jitter: a fleet that lost the hub at once does not come back at once.
  const step = Math.min(maxMs, initialMs * 2 ** Math.min(attempt, 30));
  return step / 2 + Math.random() * (step / 2);
}

/** The hubs to try, from one URL, several separated by commas, or a list. */
export function hubUrls(given: string | string[] | undefined): string[] {
  const source = given && given.length ? given : process.env.CENTRAL_HUB_URL || DEFAULT_URL;
  const urls = (Array.isArray(source) ? source : source.split(",")).map((url) => url.trim().replace(/\/+$/, "")).filter(Boolean);
  if (!urls.length) throw new Error("no hub URL given: one, or several separated by commas");
  for (const url of urls) if (!/^https?:\/\//.test(url)) throw new Error(`hub URL ${JSON.stringify(url)} must start with http:// or https://`);
  return urls;
}

/** A hub answering so is in trouble: another hub on the same database may take the request. A 4xx,
 * or a 501 (not enabled in that deployment), would be the same everywhere. */
const FAILING = new Set([500, 502, 503, 504]);

/** Requests go to the hub that answered last; a hub that fails is set aside for a backoff that
 * doubles with each failure in a row (250 ms up to 30 s). When every hub is set aside they are
 * tried anyway, the one whose backoff ends first first. */
export class HubAddresses {
  private readonly failures: number[];
  private readonly retryAt: number[];
  private preferred = 0;

  constructor(readonly urls: string[]) {
    this.failures = urls.map(() => 0);
    this.retryAt = urls.map(() => 0);
  }

  get current(): string {
    return this.urls[this.preferred];
  }

  order(): number[] {
    const now = Date.now();
    const turns = this.urls.map((_, i) => (this.preferred + i) % this.urls.length);
    const ready = turns.filter((hub) => this.retryAt[hub] <= now);
    const waiting = turns.filter((hub) => this.retryAt[hub] > now).sort((a, b) => this.retryAt[a] - this.retryAt[b]);
    return [...ready, ...waiting];
  }

  succeeded(hub: number): void {
    this.failures[hub] = 0;
    this.retryAt[hub] = 0;
    this.preferred = hub;
  }

  failed(hub: number): void {
    this.retryAt[hub] = Date.now() + Math.min(30_000, 250 * 2 ** Math.min(this.failures[hub], 30));
    this.failures[hub] += 1;
    if (this.preferred === hub) this.preferred = (hub + 1) % this.urls.length;
  }
}

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref?.());

export interface RequestOptions {
  body?: unknown;
  query?: Record<string, string | number | undefined>;
  timeoutMs?: number;
  attempts?: number;
  initialBackoffMs?: number;
  maxBackoffMs?: number;
}

export class Transport {
  readonly hubs: HubAddresses;
  readonly timeoutMs: number;
  private readonly token: TokenSource;
  private readonly agents: { http: http.Agent; https: https.Agent };

  constructor(options: HubOptions = {}) {
    this.hubs = new HubAddresses(hubUrls(options.baseUrl));
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.token = options.token;
    const caFile = options.caFile || process.env.HUB_CA_FILE;
    this.agents = {
      http: new http.Agent({ keepAlive: true, maxSockets: 32 }),
      https: new https.Agent({ keepAlive: true, maxSockets: 32, ca: caFile ? readFileSync(caFile) : undefined }),
    };
  }

  /** The hub requests go to now. */
  get baseUrl(): string {
    return this.hubs.current;
  }

  private currentToken(): string | undefined {
    const value = typeof this.token === "function" ? this.token() : this.token;
    return value || process.env.HUB_TOKEN || undefined;
  }

  /** Sends a request; returns the parsed JSON of a 2xx answer. Raises HubError for 4xx and 5xx,
   * HubUnavailable when nothing answered. With attempts above 1, connection failures, 5xx and 429
   * are tried again with backoff; a 4xx never is. */
  async request<T = any>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const attempts = options.attempts ?? 1;
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.once<T>(method, path, options);
      } catch (error) {
        const retryable = error instanceof HubError && (error.status === 0 || error.status >= 500 || error.status === 429);
        if (!retryable || attempt + 1 >= attempts) throw error;
        await sleep(backoffDelay(attempt, options.initialBackoffMs ?? 200, options.maxBackoffMs ?? 5000));
      }
    }
  }

  /** One request, to the first hub that takes it: a hub that gives no answer or a 5xx is passed
   * over for the next (they share one database, so any of them may answer). */
  private async once<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    let failure: unknown;
    for (const hub of this.hubs.order()) {
      try {
        const answer = await this.ask<T>(this.hubs.urls[hub], method, path, options);
        this.hubs.succeeded(hub);
        return answer;
      } catch (error) {
        if (!(error instanceof HubError) || (error.status !== 0 && !FAILING.has(error.status))) {
          if (error instanceof HubError) this.hubs.succeeded(hub); // it answered: the same everywhere
          throw error;
        }
        failure = error;
        this.hubs.failed(hub);
      }
    }
    throw failure;
  }

  private ask<T>(baseUrl: string, method: string, path: string, options: RequestOptions): Promise<T> {
    const url = new URL(baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string | number> = { Accept: "application/json" };
    if (body) Object.assign(headers, { "Content-Type": "application/json", "Content-Length": body.length });
    const token = this.currentToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const secure = baseUrl.startsWith("https://");
    const send = secure ? https.request : http.request;
    const agent = secure ? this.agents.https : this.agents.http;
    return new Promise<T>((resolve, reject) => {
      const request = send(url, { method, headers, agent, timeout: timeoutMs }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", (error) => reject(new HubUnavailable(`${baseUrl}: ${error.message}`, path)));
        response.on("end", () => {
          try {
            resolve(parseAnswer<T>(response.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"), path));
          } catch (error) {
            reject(error);
          }
        });
      });
      request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on("error", (error) => reject(new HubUnavailable(`${baseUrl}: ${error.message}`, path)));
      request.end(body);
    });
  }

  close(): void {
    this.agents.http.destroy();
    this.agents.https.destroy();
  }
}

function parseAnswer<T>(status: number, text: string, path: string): T {
  let parsed: any = undefined;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = undefined;
  }
  if (status >= 200 && status < 300) {
    if (parsed === undefined) throw new HubError(status, "bad_answer", `the hub's answer is not JSON: ${text.slice(0, 200)}`, path);
    return parsed as T;
  }
  if (parsed && typeof parsed === "object") throw new HubError(status, String(parsed.error ?? "error"), String(parsed.message ?? text), path);
  throw new HubError(status, "error", text.slice(0, 500) || `HTTP ${status}`, path);
}
