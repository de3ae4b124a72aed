// Central Hub's Node.js client. The schemas' generated classes are under
// "central-hub-client/schemas/<folder>/<file>" (common/tick_data, trading/orders, ...).
export { CentralHubClient } from "./client.js";
export type { ClientOptions, Instance, Registration } from "./client.js";
export { ConfigClient, merge } from "./config.js";
export type { Config, ConfigClientOptions } from "./config.js";
export { HubError, HubUnavailable } from "./errors.js";
export { DEFAULT_URL } from "./transport.js";
export type { HubOptions, TokenSource } from "./transport.js";
