/** The hub answered with an error: `status` is the HTTP status, `code` the hub's error code
 * (`invalid_argument`, `not_found`, `forbidden`, ...), `message` what was wrong. */
export class HubError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly path = "",
  ) {
    super(path ? `${path}: ${status} ${code}: ${message}` : `${status} ${code}: ${message}`);
    this.name = "HubError";
  }
}

/** No hub answered: refused, reset, timed out. `status` is 0. */
export class HubUnavailable extends HubError {
  constructor(message: string, path = "") {
    super(0, "unavailable", message, path);
    this.name = "HubUnavailable";
  }
}
