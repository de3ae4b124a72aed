// The hub's API from the page: the token the operator signed in with goes on every request (and on
// the event stream as a WebSocket protocol, since a browser cannot set Authorization there).
const TOKEN_KEY = 'central-hub-token';

export class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

export const session = {
  token: sessionStorage.getItem(TOKEN_KEY) || '',
  who: null, // what GET /whoami said: id, role, operates, auth_required

  remember(token) {
    this.token = token;
    if (token) sessionStorage.setItem(TOKEN_KEY, token);
    else sessionStorage.removeItem(TOKEN_KEY);
  },
  get operates() {
    return Boolean(this.who && this.who.operates);
  },
};

export async function api(path, { method = 'GET', body, token = session.token } = {}) {
  const headers = { Accept: 'application/json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let response;
  try {
    response = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  } catch (failure) {
    throw new ApiError(0, `the hub did not answer (${failure.message})`);
  }
  const text = await response.text();
  let parsed = null;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    parsed = text;
  }
  if (!response.ok) throw new ApiError(response.status, (parsed && parsed.message) || `${response.status} ${response.statusText}`);
  return parsed;
}

// The same, where a capability the deployment left out (501) or a missing item (404) is an empty answer.
export async function optional(path, empty) {
  try {
    return await api(path);
  } catch (failure) {
    if (failure.status === 404 || failure.status === 501 || failure.status === 503) return empty;
    throw failure;
  }
}

function base64url(text) {
  const bytes = new TextEncoder().encode(text);
  let binary = '';
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// Follows GET /events/stream: `onEvent` gets each event, `onState` 'live' or 'reconnecting'.
// A lost stream is opened again after a backoff that doubles up to 30 s.
export function follow(topics, onEvent, onState) {
  let socket = null;
  let stopped = false;
  let backoff = 500;
  let timer = null;
  const open = () => {
    const scheme = location.protocol === 'https:' ? 'wss' : 'ws';
    const protocols = ['hub'];
    if (session.token) protocols.push(`hub.bearer.${base64url(session.token)}`);
    socket = new WebSocket(`${scheme}://${location.host}/events/stream?topics=${encodeURIComponent(topics.join(','))}`, protocols);
    socket.onmessage = (message) => {
      let event;
      try {
        event = JSON.parse(message.data);
      } catch {
        return;
      }
      if (event.topic === 'stream.opened') {
        backoff = 500;
        onState('live');
      }
      onEvent(event);
    };
    socket.onclose = () => {
      if (stopped) return;
      onState('reconnecting');
      timer = setTimeout(open, backoff);
      backoff = Math.min(backoff * 2, 30000);
    };
  };
  open();
  return () => {
    stopped = true;
    clearTimeout(timer);
    if (socket) socket.close();
  };
}
