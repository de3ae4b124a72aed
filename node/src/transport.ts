// HTTP to one hub for the client classes: its address, credentials, keep-alive agent and retries.
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
  /** Defaults to CENTRAL_HUB_URL, then http://central-hub:8001. */
  baseUrl?: string;
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
  readonly baseUrl: string;
  readonly timeoutMs: number;
  private readonly token: TokenSource;
  private readonly agent: http.Agent;
  private readonly secure: boolean;

  constructor(options: HubOptions = {}) {
    const url = (options.baseUrl || process.env.CENTRAL_HUB_URL || DEFAULT_URL).replace(/\/+$/, "");
    if (!/^https?:\/\//.test(url)) throw new Error(`hub URL ${JSON.stringify(url)} must start with http:// or https://`);
    this.baseUrl = url;
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.token = options.token;
    this.secure = url.startsWith("https://");
    const caFile = options.caFile || process.env.HUB_CA_FILE;
    this.agent = this.secure
      ? new https.Agent({ keepAlive: true, maxSockets: 32, ca: caFile ? readFileSync(caFile) : undefined })
      : new http.Agent({ keepAlive: true, maxSockets: 32 });
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

  private once<T>(method: string, path: string, options: RequestOptions): Promise<T> {
    const url = new URL(this.baseUrl + path);
    for (const [key, value] of Object.entries(options.query ?? {})) if (value !== undefined) url.searchParams.set(key, String(value));
    const body = options.body === undefined ? undefined : Buffer.from(JSON.stringify(options.body));
    const headers: Record<string, string | number> = { Accept: "application/json" };
    if (body) Object.assign(headers, { "Content-Type": "application/json", "Content-Length": body.length });
    const token = this.currentToken();
    if (token) headers.Authorization = `Bearer ${token}`;
    const timeoutMs = options.timeoutMs ?? this.timeoutMs;
    const send = this.secure ? https.request : http.request;
    return new Promise<T>((resolve, reject) => {
      const request = send(url, { method, headers, agent: this.agent, timeout: timeoutMs }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("error", (error) => reject(new HubUnavailable(`${this.baseUrl}: ${error.message}`, path)));
        response.on("end", () => {
          try {
            resolve(parseAnswer<T>(response.statusCode ?? 0, Buffer.concat(chunks).toString("utf8"), path));
          } catch (error) {
            reject(error);
          }
        });
      });
      request.on("timeout", () => request.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      request.on("error", (error) => reject(new HubUnavailable(`${this.baseUrl}: ${error.message}`, path)));
      request.end(body);
    });
  }

  close(): void {
    this.agent.destroy();
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
