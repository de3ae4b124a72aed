// Elements from data: text is always set as text, never parsed as HTML, so a service name or an
// error message from a registrant cannot inject markup.
export function h(tag, attributes = {}, ...children) {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) continue;
    if (name.startsWith('on')) element.addEventListener(name.slice(2), value);
    else if (name === 'class') element.className = value;
    else element.setAttribute(name, value === true ? '' : String(value));
  }
  append(element, children);
  return element;
}

function append(element, children) {
  for (const child of children.flat(Infinity)) {
    if (child === undefined || child === null || child === false) continue;
    element.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

export function clear(element, ...children) {
  element.replaceChildren();
  append(element, children);
  return element;
}

// A status as a badge: the word is always shown, so the colour is never the only cue.
export function badge(status) {
  const word = String(status ?? 'unknown');
  return h('span', { class: `badge badge-${word.replace(/[^a-z_]/g, '')}` }, word);
}

export function table(caption, headings, rows, empty = 'None.') {
  if (!rows.length) return h('p', { class: 'empty' }, `${caption}: ${empty}`);
  return h('table', {},
    h('caption', {}, caption),
    h('thead', {}, h('tr', {}, headings.map((heading) => h('th', { scope: 'col' }, heading)))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((cell) => h('td', {}, cell))))));
}

export function section(title, ...children) {
  const id = `section-${title.toLowerCase().replace(/[^a-z0-9]+/g, '-')}`;
  return h('section', { 'aria-labelledby': id }, h('h2', { id }, title), ...children);
}

export function ago(iso) {
  if (!iso) return '—';
  const seconds = Math.round((Date.now() - Date.parse(iso)) / 1000);
  if (!Number.isFinite(seconds)) return String(iso);
  if (seconds < 60) return `${Math.max(seconds, 0)} s ago`;
  if (seconds < 3600) return `${Math.round(seconds / 60)} min ago`;
  if (seconds < 86400) return `${Math.round(seconds / 3600)} h ago`;
  return `${Math.round(seconds / 86400)} d ago`;
}

export function ms(value) {
  return value === null || value === undefined ? '—' : `${Number(value).toFixed(value < 10 ? 1 : 0)} ms`;
}

export function link(href, text) {
  return h('a', { href }, text);
}

// A button that asks before it acts; `act` returns a promise, and the outcome is announced.
export function action(label, question, act, { disabled = false, why = '' } = {}) {
  const button = h('button', { type: 'button', disabled: disabled || undefined, title: disabled ? why : undefined }, label);
  button.addEventListener('click', async () => {
    if (question && !(await confirmDialog(question))) return;
    button.disabled = true;
    try {
      await act();
      announce(`${label}: done`);
    } catch (failure) {
      announce(`${label} failed: ${failure.message}`, true);
    } finally {
      button.disabled = false;
    }
  });
  return button;
}

let announced = null;
export function announce(text, problem = false) {
  const region = document.getElementById('announcer');
  region.className = problem ? 'problem' : '';
  region.textContent = text;
  clearTimeout(announced);
  if (!problem) announced = setTimeout(() => (region.textContent = ''), 6000);
}

// The page's own dialog rather than window.confirm: it is styled, labelled, and keyboard-driven.
export function confirmDialog(question) {
  const dialog = document.getElementById('confirm');
  document.getElementById('confirm-question').textContent = question;
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'yes'), { once: true });
    dialog.showModal();
    dialog.querySelector('button[value="no"]').focus();
  });
}
