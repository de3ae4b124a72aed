// The dashboard's shell: sign-in, the pages by the address's #fragment, and live updates. Each page
// is drawn from the API; an event on the hub's stream that concerns it draws it again (at most a few
// times a second), so nothing polls.
import { api, ApiError, follow, session } from './api.js';
import { announce, clear, h } from './dom.js';
import * as overview from './page_overview.js';
import * as service from './page_service.js';
import * as rollouts from './page_rollouts.js';
import * as errors from './page_errors.js';
import * as cluster from './page_cluster.js';

const ROUTES = [
  { pattern: /^\/$/, page: overview, nav: '#/' },
  { pattern: /^\/services\/([^/]+)$/, page: service, nav: '#/' },
  { pattern: /^\/rollouts$/, page: rollouts, nav: '#/rollouts' },
  { pattern: /^\/errors(?:\/([0-9a-zA-Z_-]+))?$/, page: errors, nav: '#/errors' },
  { pattern: /^\/cluster$/, page: cluster, nav: '#/cluster' },
];

const main = document.getElementById('main');
const live = document.getElementById('live');
let current = null; // { page, params, topics }
let pending = null;
let drawing = false;
let redrawAgain = false;
let stopFollowing = null;
// Topics every page may care about; each page filters with its own `concerns`.
const TOPICS = ['instance.', 'alert.', 'config.', 'circuit.', 'deployment.', 'errors.', 'liveness.', 'backup.', 'hub.'];

function resolve() {
  const path = decodeURI(location.hash.replace(/^#/, '') || '/');
  for (const route of ROUTES) {
    const match = route.pattern.exec(path);
    if (match) return { route, params: match.slice(1).map((p) => (p === undefined ? undefined : decodeURIComponent(p))) };
  }
  return null;
}

async function draw(moveFocus) {
  if (drawing) {
    redrawAgain = true;
    return;
  }
  drawing = true;
  const resolved = resolve();
  for (const link of document.querySelectorAll('header nav a'))
    link.toggleAttribute('aria-current', Boolean(resolved) && link.getAttribute('href') === resolved.route.nav);
  if (resolved) current = { page: resolved.route.page, params: resolved.params };
  try {
    if (!resolved) {
      clear(main, h('h1', {}, 'No such page'), h('p', {}, h('a', { href: '#/' }, 'Back to the overview')));
    } else {
      const content = await resolved.route.page.render(...resolved.params);
      const focused = document.activeElement && main.contains(document.activeElement) ? document.activeElement.id : '';
      clear(main, content);
      if (focused && document.getElementById(focused)) document.getElementById(focused).focus();
      else if (moveFocus) main.focus();
    }
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 401) return signIn(failure.message);
    clear(main, h('h1', {}, 'The hub could not be read'), h('p', { class: 'problem', role: 'alert' }, failure.message));
  } finally {
    drawing = false;
  }
  if (redrawAgain) {
    redrawAgain = false;
    draw(false);
  }
}

function redrawSoon() {
  if (pending) return;
  pending = setTimeout(() => {
    pending = null;
    draw(false);
  }, 300);
}

function onEvent(event) {
  if (event.topic === 'stream.opened') return redrawSoon(); // what was missed while away
  if (event.topic.startsWith('alert.')) overview.remember(event);
  if (current && current.page.concerns(event, ...current.params)) redrawSoon();
}

function onState(state) {
  live.textContent = state === 'live' ? 'live' : 'reconnecting…';
  live.classList.toggle('on', state === 'live');
}

function showWho() {
  const who = session.who;
  document.getElementById('who').textContent = who.auth_required ? `${who.id} · ${who.role}` : 'no sign-in on this hub';
  document.getElementById('sign-out').hidden = !who.auth_required;
}

async function start() {
  try {
    session.who = await api('/whoami');
  } catch (failure) {
    if (failure instanceof ApiError && failure.status === 401) return signIn(session.token ? failure.message : '');
    clear(main, h('h1', {}, 'The hub could not be reached'), h('p', { class: 'problem', role: 'alert' }, failure.message));
    return;
  }
  showWho();
  if (stopFollowing) stopFollowing();
  stopFollowing = follow(TOPICS, onEvent, onState);
  draw(false);
}

function signIn(problem) {
  if (stopFollowing) stopFollowing();
  stopFollowing = null;
  session.remember('');
  live.textContent = 'signed out';
  live.classList.remove('on');
  document.getElementById('who').textContent = '';
  document.getElementById('sign-out').hidden = true;
  clear(main, document.getElementById('sign-in').content.cloneNode(true));
  const form = document.getElementById('sign-in-form');
  const input = document.getElementById('token');
  document.getElementById('sign-in-problem').textContent = problem || '';
  input.focus();
  form.addEventListener('submit', async (submitted) => {
    submitted.preventDefault();
    const token = input.value.trim();
    try {
      session.who = await api('/whoami', { token });
    } catch (failure) {
      document.getElementById('sign-in-problem').textContent = failure.message;
      input.select();
      return;
    }
    session.remember(token);
    announce(`Signed in as ${session.who.id} (${session.who.role})`);
    start();
  });
}

document.getElementById('sign-out').addEventListener('click', () => signIn(''));
// The fragment names pages, so the skip link moves the focus itself rather than by its #main.
document.querySelector('.skip').addEventListener('click', (clicked) => {
  clicked.preventDefault();
  main.focus();
});
window.addEventListener('hashchange', () => draw(true));
// A page's own control (a version picker) asks for a redraw that keeps the focus where it is.
window.addEventListener('hub:redraw', () => draw(false));
start();
