// The admin console, on tessera/client: users (search, filters, cursor paging), a user's page, the
// audit log with its chain check, and a live panel drawn from /metrics as inline SVG.
import { createClient } from '/client/index.js';
import { credentialItem, describe, when } from '/forms.js';

const $ = (id) => document.getElementById(id);
const client = createClient({ transport: 'session' });
const say = (text, isError = false) => {
  $('message').textContent = text;
  $('message').className = isError ? 'error' : '';
};

async function call(method, path, body) {
  const init = { method, headers: body === undefined ? {} : { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) };
  const response = await client.fetch(path, init);
  if (response.status === 204) return null;
  const data = await response.json();
  if (!response.ok) throw Object.assign(new Error(data.detail ?? data.title), data);
  return data;
}

const cell = (text) => {
  const td = document.createElement('td');
  td.textContent = text;
  return td;
};

// Users -------------------------------------------------------------------------------------------
let filters = new URLSearchParams();
let nextCursor = null;

async function loadUsers(cursor) {
  const query = new URLSearchParams(filters);
  query.set('limit', '20');
  if (cursor) query.set('cursor', cursor);
  try {
    const { users, nextCursor: next } = await call('GET', `/v1/admin/users?${query}`);
    nextCursor = next;
    $('next-page').disabled = next === null;
    $('user-rows').replaceChildren(...users.map(userRow));
    if (users.length === 0) {
      const tr = document.createElement('tr');
      const td = cell('No user matches.');
      td.colSpan = 4;
      tr.append(td);
      $('user-rows').append(tr);
    }
  } catch (error) {
    say(describe(error), true);
  }
}

/** A cell linking to the user's page. */
function userCell(id, username) {
  const td = document.createElement('td');
  const link = document.createElement('a');
  link.href = `#user/${id}`;
  link.textContent = username;
  link.addEventListener('click', (event) => {
    event.preventDefault();
    void openUser(id);
  });
  td.append(link);
  return td;
}

function userRow(user) {
  const tr = document.createElement('tr');
  tr.append(userCell(user.id, user.username), cell(user.role), cell(user.disabled ? 'Disabled' : 'Active'), cell(when(user.createdAt)));
  return tr;
}

$('search').addEventListener('submit', (event) => {
  event.preventDefault();
  filters = new URLSearchParams([...new FormData(event.target)].filter(([, v]) => v !== ''));
  void loadUsers(null);
});
$('first-page').addEventListener('click', () => loadUsers(null));
$('next-page').addEventListener('click', () => loadUsers(nextCursor));

// One user ----------------------------------------------------------------------------------------
let shown = null;

async function openUser(id) {
  try {
    const [user, { sessions }] = await Promise.all([call('GET', `/v1/admin/users/${id}`), call('GET', `/v1/admin/users/${id}/sessions`)]);
    shown = user;
    $('user-title').textContent = user.username;
    $('user-meta').textContent = `${user.role} · ${user.disabled ? 'disabled' : 'active'} · created ${when(user.createdAt)} · id ${user.id}`;
    $('user-role').value = user.role;
    $('toggle-disabled').textContent = user.disabled ? 'Enable account' : 'Disable account';
    $('user-sessions').replaceChildren(...(sessions.length ? sessions.map((s) => credentialItem({ ...s, current: false })) : [Object.assign(document.createElement('li'), { textContent: 'No live session.' })]));
    $('user').hidden = false;
    $('user').focus();
  } catch (error) {
    say(describe(error), true);
  }
}

const ACTIONS = ['user-role', 'save-role', 'toggle-disabled', 'revoke-all'];

/** Runs one change; the controls wait until the page shows its outcome, so that nothing acts on a stale view. */
async function act(what, run) {
  for (const id of ACTIONS) $(id).disabled = true;
  try {
    await run();
    await Promise.all([openUser(shown.id), loadUsers(null), loadAudit(true)]);
    say(what);
  } catch (error) {
    say(describe(error), true);
  } finally {
    for (const id of ACTIONS) $(id).disabled = false;
  }
}

$('save-role').addEventListener('click', () => act(`${shown.username} is now ${$('user-role').value}.`, () => call('PATCH', `/v1/admin/users/${shown.id}`, { role: $('user-role').value })));
$('toggle-disabled').addEventListener('click', () =>
  act(`${shown.username} is ${shown.disabled ? 'enabled' : 'disabled'}.`, () => call('PATCH', `/v1/admin/users/${shown.id}`, { disabled: !shown.disabled })),
);
$('revoke-all').addEventListener('click', () => act(`Every session of ${shown.username} is revoked.`, () => call('DELETE', `/v1/admin/users/${shown.id}/sessions`)));
$('close-user').addEventListener('click', () => {
  $('user').hidden = true;
  $('q').focus();
});

// Audit -------------------------------------------------------------------------------------------
let auditCursor = null;

async function loadAudit(reset = false) {
  if (reset) {
    auditCursor = null;
    $('audit-rows').replaceChildren();
  }
  try {
    const query = new URLSearchParams({ limit: '50' });
    if (auditCursor) query.set('cursor', auditCursor);
    const { entries, nextCursor: next } = await call('GET', `/v1/admin/audit?${query}`);
    if (entries.length) auditCursor = String(entries.at(-1).seq);
    $('audit-more').disabled = next === null;
    $('audit-rows').append(...entries.map((e) => {
      const tr = document.createElement('tr');
      const user = e.userId === null ? cell('—') : e.username === null ? cell(e.userId) : userCell(e.userId, e.username);
      // The reason names an acting administrator by id: shown by name, as the API resolves it.
      const reason = e.actor?.username ? (e.reason ?? '').replace(`(by ${e.actor.id})`, `(by ${e.actor.username})`) : (e.reason ?? '');
      tr.append(cell(String(e.seq)), cell(when(e.at)), cell(e.event), user, cell(e.ip ?? '—'), cell(reason));
      return tr;
    }));
    const check = await call('GET', '/v1/admin/audit/verification');
    $('chain').textContent = check.ok ? 'Chain verified' : 'Chain broken';
    $('chain').className = `badge ${check.ok ? 'ok' : 'bad'}`;
    $('chain-detail').textContent = check.ok
      ? `${check.entries} entries, every link intact${check.checkpoint ? `; signed checkpoint at #${check.checkpoint.seq} holds` : ''}.`
      : `The chain breaks at entry #${check.brokenAt ?? '?'}${check.checkpoint && !check.checkpoint.ok ? ` (${check.checkpoint.reason})` : ''}.`;
  } catch (error) {
    say(describe(error), true);
  }
}
$('audit-more').addEventListener('click', () => loadAudit(false));

// Live --------------------------------------------------------------------------------------------
const SERIES = [
  { key: 'logins', title: 'Logins per second', unit: '/s' },
  { key: 'refreshes', title: 'Refreshes per second', unit: '/s' },
  { key: 'revocations', title: 'Revocations per second', unit: '/s' },
  { key: 'latency', title: 'Mean latency', unit: ' ms' },
];
const POINTS = 60;
const history = Object.fromEntries(SERIES.map((s) => [s.key, []]));
let previous = null;

/** Sums every sample of the named metrics in Prometheus' text format. */
function totals(text) {
  const sums = { logins: 0, refreshes: 0, revocations: 0, latencySum: 0, latencyCount: 0 };
  const names = { tessera_logins_total: 'logins', tessera_refreshes_total: 'refreshes', tessera_revocations_total: 'revocations', tessera_http_request_duration_seconds_sum: 'latencySum', tessera_http_request_duration_seconds_count: 'latencyCount' };
  for (const line of text.split('\n')) {
    if (line.startsWith('#')) continue;
    const match = /^([a-z_]+)(?:\{[^}]*\})? ([0-9.eE+-]+)/.exec(line);
    if (match && names[match[1]]) sums[names[match[1]]] += Number(match[2]);
  }
  return sums;
}

const SVG = 'http://www.w3.org/2000/svg';
const svgNode = (name, attributes) => {
  const node = document.createElementNS(SVG, name);
  for (const [k, v] of Object.entries(attributes)) node.setAttribute(k, String(v));
  return node;
};

function drawCharts() {
  $('charts').replaceChildren(...SERIES.map(({ key, title, unit }) => {
    const values = history[key];
    const last = values.at(-1) ?? 0;
    const max = Math.max(1e-9, ...values);
    const figure = document.createElement('figure');
    figure.className = 'chart card';
    const caption = document.createElement('figcaption');
    caption.append(Object.assign(document.createElement('div'), { textContent: title, className: 'small muted' }), Object.assign(document.createElement('div'), { textContent: `${last.toFixed(key === 'latency' ? 1 : 2)}${unit}`, className: 'stat' }));
    const svg = svgNode('svg', { viewBox: `0 0 ${POINTS - 1} 40`, preserveAspectRatio: 'none', role: 'img', 'aria-label': `${title}: ${last.toFixed(2)}${unit} now, at most ${max.toFixed(2)}${unit} in the last two minutes` });
    svg.append(svgNode('line', { x1: 0, y1: 40, x2: POINTS - 1, y2: 40, class: 'axis', 'vector-effect': 'non-scaling-stroke' }));
    const points = values.map((v, i) => `${i + POINTS - values.length},${(40 - (v / max) * 36).toFixed(2)}`).join(' ');
    svg.append(svgNode('polyline', { points, class: 'line', 'vector-effect': 'non-scaling-stroke' }));
    figure.append(caption, svg);
    return figure;
  }));
}

async function sample() {
  try {
    const response = await fetch('/metrics');
    if (!response.ok) throw new Error(`/metrics answered ${response.status}`);
    const now = { at: Date.now(), ...totals(await response.text()) };
    if (previous) {
      const seconds = Math.max(0.001, (now.at - previous.at) / 1000);
      for (const key of ['logins', 'refreshes', 'revocations']) history[key].push(Math.max(0, now[key] - previous[key]) / seconds);
      const count = now.latencyCount - previous.latencyCount;
      history.latency.push(count > 0 ? ((now.latencySum - previous.latencySum) / count) * 1000 : 0);
      for (const key of Object.keys(history)) history[key] = history[key].slice(-POINTS);
      drawCharts();
    }
    previous = now;
  } catch (error) {
    say(`Live panel: ${error.message}`, true);
  }
}

// Start ---------------------------------------------------------------------------------------------
client.onChange(({ type }) => {
  if (type === 'signedOut') {
    $('console').hidden = true;
    say('You are signed out. Sign in on the home page.', true);
  }
});

const state = await client.ready();
if (state.status !== 'signedIn') {
  say('Sign in as an administrator first.', true);
} else if (state.user.role !== 'admin') {
  say('This console is for administrators.', true);
} else {
  $('console').hidden = false;
  drawCharts();
  await Promise.all([loadUsers(null), loadAudit(true), sample()]);
  setInterval(sample, 2_000);
}
