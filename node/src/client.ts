// CentralHubClient: registration, heartbeats, discovery, balancing and circuits, under the seeds'
// calls in Node's spelling (registerService, heartbeat, getServices, getService, discoverService,
// getLoadBalancedEndpoint, getCircuitState).
import { HubError } from "./errors.js";
import { HubOptions, Transport } from "./transport.js";

export type Instance = Record<string, any> & {
  service_name: string;
  instance_id: string;
  host: string;
  port: number;
  status: string;
};

export interface Registration {
  service_name?: string;
  /** The seed's other spelling of service_name. */
  name?: string;
  host: string;
  port: number;
  [field: string]: unknown;
}

export interface ClientOptions extends HubOptions {
  /** How often startHeartbeat beats, in milliseconds (30,000: the seed's interval). */
  heartbeatIntervalMs?: number;
  /** Tries of a registration while the hub is away or answers 5xx (8). */
  registerAttempts?: number;
  maxBackoffMs?: number;
}

const segment = (name: string) => encodeURIComponent(name);

/** A service's connection to the hub. Its heartbeats are timers, which close() ends. */
export class CentralHubClient {
  private readonly transport: Transport;
  private readonly instances = new Map<string, string>();
  private readonly registrations = new Map<string, Registration>();
  private readonly beats = new Map<string, { stop: () => void; done: Promise<void> }>();
  private readonly options: Required<Pick<ClientOptions, "heartbeatIntervalMs" | "registerAttempts" | "maxBackoffMs">>;

  constructor(options: ClientOptions | string = {}) {
    const given = typeof options === "string" ? { baseUrl: options } : options;
    this.transport = new Transport(given);
    this.options = {
      heartbeatIntervalMs: given.heartbeatIntervalMs ?? 30_000,
      registerAttempts: given.registerAttempts ?? 8,
      maxBackoffMs: given.maxBackoffMs ?? 30_000,
    };
  }

  get baseUrl(): string {
    return this.transport.baseUrl;
  }

  /** Registers this instance (a hub that is away or answers 5xx is tried again with backoff and
   * jitter; a 4xx is thrown at once with the hub's reason) and remembers its id, so heartbeat()
   * needs only the service's name even beside other replicas. */
  async registerService(registration: Registration): Promise<Instance> {
    const name = registration.service_name ?? registration.name;
    if (!name) throw new TypeError("registerService: service_name (or name) is required");
    const answer = await this.transport.request("POST", "/register", {
      body: registration,
      attempts: this.options.registerAttempts,
      initialBackoffMs: 500,
      maxBackoffMs: this.options.maxBackoffMs,
    });
    this.instances.set(name, answer.instance.instance_id);
    this.registrations.set(name, registration);
    return answer.instance;
  }

  instanceId(serviceName: string): string | undefined {
    return this.instances.get(serviceName);
  }

  /** Tells the hub this instance is alive. If the hub forgot it (expired, or the hub lost its
   * state), registers it again with its last registration, then beats. */
  async heartbeat(
    serviceName: string,
    options: { status?: string; metrics?: Record<string, number>; instanceId?: string } = {},
  ): Promise<Record<string, any>> {
    const body: Record<string, unknown> = { service_name: serviceName, status: options.status ?? "healthy" };
    const instance = options.instanceId ?? this.instances.get(serviceName);
    if (instance) body.instance_id = instance;
    if (options.metrics) body.metrics = options.metrics;
    try {
      return await this.transport.request("POST", "/heartbeat", { body });
    } catch (error) {
      const registration = this.registrations.get(serviceName);
      if (!(error instanceof HubError) || error.status !== 404 || !registration || options.instanceId) throw error;
      await this.registerService(registration);
      return this.transport.request("POST", "/heartbeat", { body });
    }
  }

  /** Beats every intervalMs at a fixed cadence until stopHeartbeat() or close(); a failed beat is
   * retried at the next tick. status may be a function, asked before each beat. */
  startHeartbeat(serviceName: string, options: { intervalMs?: number; status?: string | (() => string) } = {}): void {
    if (this.beats.has(serviceName)) return;
    const period = options.intervalMs ?? this.options.heartbeatIntervalMs;
    let stopped = false;
    let wake: (() => void) | undefined;
    const done = (async () => {
      let next = Date.now();
      while (!stopped) {
        const status = typeof options.status === "function" ? options.status() : options.status;
        await this.heartbeat(serviceName, { status }).catch(() => undefined);
        next += period;
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, Math.max(0, next - Date.now()));
        });
      }
    })();
    this.beats.set(serviceName, { stop: () => ((stopped = true), wake?.()), done });
  }

  async stopHeartbeat(serviceName: string): Promise<void> {
    const beat = this.beats.get(serviceName);
    if (!beat) return;
    this.beats.delete(serviceName);
    beat.stop();
    await beat.done;
  }

  async deregisterService(serviceName: string): Promise<Record<string, any>> {
    await this.stopHeartbeat(serviceName);
    const body: Record<string, unknown> = { service_name: serviceName };
    const instance = this.instances.get(serviceName);
    if (instance) body.instance_id = instance;
    const answer = await this.transport.request("POST", "/deregister", { body });
    this.instances.delete(serviceName);
    this.registrations.delete(serviceName);
    return answer;
  }

  /** Every registered instance, filtered by status (healthy, degraded, down) and tag. */
  async getServices(filter: { status?: string; tag?: string } = {}): Promise<Instance[]> {
    return (await this.transport.request("GET", "/services", { query: filter, attempts: 3 })).services;
  }

  /** The service in the seeds' shape, or null when it is not registered: host, port and url of
   * the instance its balancer picks (null when every instance is down), and all its instances. */
  async getService(name: string): Promise<(Record<string, any> & { host: string | null; port: number | null }) | null> {
    let service: Record<string, any>;
    try {
      service = await this.transport.request("GET", `/services/${segment(name)}`, { attempts: 3 });
    } catch (error) {
      if (error instanceof HubError && error.status === 404) return null;
      throw error;
    }
    let chosen: Instance | null = null;
    try {
      chosen = (await this.transport.request("GET", `/discover/${segment(name)}`, { attempts: 3 })).instance;
    } catch (error) {
      if (!(error instanceof HubError) || (error.status !== 404 && error.status !== 503)) throw error;
    }
    for (const key of ["instance_id", "host", "port", "url", "version", "protocol"]) service[key] = chosen ? chosen[key] : null;
    return service as Record<string, any> & { host: string | null; port: number | null };
  }

  /** A URL to call the service at, picked by its balancer; null when it is not registered. */
  async discoverService(name: string): Promise<string | null> {
    try {
      return (await this.transport.request("GET", `/discover/${segment(name)}`, { attempts: 3 })).url;
    } catch (error) {
      if (error instanceof HubError && error.status === 404) return null;
      throw error;
    }
  }

  /** The best instance now: {host, port, load, url, instance_id, lease}; null when not registered.
   * Throws HubError 503 (circuit_open, unavailable) when the service cannot take a call now. */
  async getLoadBalancedEndpoint(name: string, key?: string): Promise<Record<string, any> | null> {
    try {
      const endpoint = await this.transport.request("GET", `/lb/${segment(name)}`, { query: { key } });
      return { load: null, ...endpoint };
    } catch (error) {
      if (error instanceof HubError && error.status === 404) return null;
      throw error;
    }
  }

  /** "CLOSED", "OPEN", "HALF_OPEN", "FORCED_OPEN" or "DISABLED"; HubError 404 for an unknown service. */
  async getCircuitState(name: string): Promise<string> {
    return (await this.transport.request("GET", `/circuits/${segment(name)}`, { attempts: 3 })).state;
  }

  /** Starts a rollout ({service, version, strategy, batch_size, ...}) and returns it. */
  async coordinateDeployment(deployment: Record<string, unknown>): Promise<Record<string, any>> {
    return this.transport.request("POST", "/deployments", { body: deployment });
  }

  /** Stores a new global config version and returns it; every watching service reloads. */
  async updateGlobalConfig(config: Record<string, unknown>, createdBy?: string): Promise<number> {
    return (await this.transport.request("PUT", "/global-config", { body: { config_data: config, created_by: createdBy } })).version;
  }

  /** Stops the heartbeats and closes the connections. Does not deregister. */
  async close(): Promise<void> {
    await Promise.all([...this.beats.keys()].map((name) => this.stopHeartbeat(name)));
    this.transport.close();
  }
}

