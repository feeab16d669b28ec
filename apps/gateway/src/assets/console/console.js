// The mesh console: the topology as this gateway sees it, live over server-sent events
// (/api/console/events, read with fetch so that the session token goes along: signed-in users
// only), traffic sparklines, and buttons that go through the local platform's control channel
// (POST /api/console/actions, the operator only). Plain ES modules, no framework, no CDN; the
// session (token in sessionStorage) is the web app's own (/app/session.js).

// URLs served by the gateway (the web app's modules, shared so both pages use one session), not workspace paths:
// eslint-disable-next-line @nx/enforce-module-boundaries
import { ApiError, api } from '/app/api.js';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { currentSession, signIn, signOut } from '/app/session.js';
import { createCharts } from './charts.js';
import { renderRedis, renderServices, serviceModels } from './topology.js';

const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

const state = {
  /** @type {any} */ snapshot: null,
  session: currentSession(),
  /** Actions in flight (their buttons stay disabled). */
  pending: 0,
  /** Aborts the live stream in progress. @type {AbortController | null} */ source: null,
  reconnectTimer: 0,
};

const updateCharts = createCharts($('charts'));

/** Human text of an action, for the live region. */
function describe(body) {
  switch (body.action) {
    case 'kill':
      return body.signal === 'STOP' ? `Hang ${body.target}` : `Kill ${body.target}`;
    case 'revive':
      return `Revive ${body.target}`;
    case 'kill-service':
      return `Kill all ${body.target}`;
    case 'revive-service':
      return `Revive all ${body.target}`;
    case 'redis-failover':
      return 'Fail over Redis';
    case 'add-fault':
      return `Add fault rule on ${body.fault.service}.${body.fault.method ?? '*'}`;
    case 'clear-faults':
      return 'Clear faults';
    default:
      return body.action;
  }
}

/** Appends a line to the action log (a polite live region); keeps the last 6. */
function log(text, kind = 'ok') {
  const line = document.createElement('p');
  line.className = `log-line log-${kind}`;
  line.textContent = `${new Date().toLocaleTimeString()} — ${text}`;
  const logEl = $('action-log');
  logEl.prepend(line);
  while (logEl.children.length > 6) logEl.lastElementChild?.remove();
}

/** Sends an action to the gateway; the result (or the server's message) goes to the live region. */
async function act(body) {
  const what = describe(body);
  if (!state.session || state.session.user !== 'operator') {
    log(`${what}: sign in as operator first`, 'error');
    $('password').focus();
    return;
  }
  state.pending++;
  updateButtons();
  log(`${what}…`, 'pending');
  try {
    const answer = await api('/api/console/actions', { method: 'POST', token: state.session.token, json: body, timeoutMs: 40_000 });
    const master = answer?.result?.master;
    log(`${what}: done${master ? ` (new master ${master})` : ''}`);
  } catch (error) {
    const message = error instanceof ApiError ? error.message : String(error);
    log(`${what} failed: ${message}`, 'error');
    if (error instanceof ApiError && error.status === 401) {
      signOut();
      state.session = null;
      renderSession();
      connect();
    }
  } finally {
    state.pending--;
    updateButtons();
  }
}

/** Enables the action buttons only when they can work, and says why when they cannot. */
function updateButtons() {
  const control = state.snapshot?.control;
  const available = control?.available === true;
  const reason = $('control-reason');
  reason.hidden = !control || available;
  reason.textContent = control && !available ? `Buttons disabled: ${control.reason}` : '';
  const needSignIn = !state.session;
  const needOperator = available && !needSignIn && state.session.user !== 'operator';
  $('sign-in-needed').hidden = !needSignIn;
  $('operator-needed').hidden = !needOperator;
  const describedBy = needSignIn ? 'sign-in-needed' : !available ? 'control-reason' : needOperator ? 'operator-needed' : '';
  for (const button of document.querySelectorAll('button[data-action]')) {
    button.disabled = !available || needSignIn || needOperator;
    // while an action runs, the others wait; aria-disabled (not disabled) keeps the keyboard focus where it is
    if (state.pending > 0 && !button.disabled) button.setAttribute('aria-disabled', 'true');
    else button.removeAttribute('aria-disabled');
    if (describedBy) button.setAttribute('aria-describedby', describedBy);
    else button.removeAttribute('aria-describedby');
  }
}

function renderSession() {
  const signedIn = state.session !== null;
  $('sign-in-form').hidden = signedIn;
  $('session-info').hidden = !signedIn;
  $('session-user').textContent = state.session?.user ?? '';
  updateButtons();
}

function renderFaults(snapshot) {
  const list = $('fault-list');
  const faults = snapshot.platform?.faults ?? [];
  list.replaceChildren(
    ...faults.map((f) => {
      const li = document.createElement('li');
      li.dataset.fault = String(f.id);
      const parts = [];
      if (f.delayMs > 0) parts.push(`delay ${f.delayMs} ms${f.delayPercent !== undefined && f.delayPercent < 100 ? ` on ${f.delayPercent}%` : ''}`);
      if (f.abortPercent > 0) parts.push(`abort ${f.abortPercent}%`);
      li.textContent = `${f.service}.${f.method ?? '*'}: ${parts.join(', ') || 'no effect'} (${f.id})`;
      return li;
    }),
  );
  $('fault-empty').hidden = faults.length > 0;
  $('fault-empty').textContent = snapshot.platform ? 'No fault rule in force.' : 'Fault rules are listed when the control channel is available.';
}

function renderRates(snapshot) {
  const rows = snapshot.services.map((s) => {
    const tr = document.createElement('tr');
    tr.dataset.service = s.service;
    const cells = [s.service, s.breaker, s.rates.requests, s.rates.failures, s.rates.fallbacks, s.rates.retries].map((v, i) => {
      const cell = document.createElement(i === 0 ? 'th' : 'td');
      if (i === 0) cell.scope = 'row';
      cell.textContent = typeof v === 'number' ? v.toFixed(1) : String(v);
      if (i === 1) cell.className = `breaker-cell breaker-${s.breaker}`;
      return cell;
    });
    tr.append(...cells);
    return tr;
  });
  $('rates-body').replaceChildren(...rows);
}

function render(snapshot) {
  state.snapshot = snapshot;
  $('seen-by').textContent = `${snapshot.gateway.id}${snapshot.gateway.zone ? ` (${snapshot.gateway.zone})` : ''}`;
  renderServices($('services'), serviceModels(snapshot), snapshot.gateway.id);
  renderRedis({ nodes: $('redis-nodes'), sentinels: $('redis-sentinels'), error: $('redis-error'), name: $('redis-master-name') }, snapshot);
  updateCharts(snapshot.traffic);
  renderRates(snapshot);
  renderFaults(snapshot);
  updateButtons();
  document.body.dataset.ready = 'true';
}

function setStreamState(kind, text) {
  const node = $('stream-state');
  node.dataset.state = kind;
  node.textContent = text;
}

/** Handles one server-sent event (`event:` and `data:` lines). */
function onEvent(block) {
  let type = 'message';
  const data = [];
  for (const line of block.split('\n')) {
    if (line.startsWith('event:')) type = line.slice(6).trim();
    else if (line.startsWith('data:')) data.push(line.slice(5).replace(/^ /, ''));
  }
  if (type !== 'snapshot' || data.length === 0) return;
  try {
    render(JSON.parse(data.join('\n')));
    setStreamState('live', 'live');
  } catch (error) {
    setStreamState('error', `cannot show the update: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Reads the event stream of `response` until it ends or is aborted. */
async function readStream(response) {
  const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    buffer += value.replace(/\r\n?/g, '\n');
    let end;
    while ((end = buffer.indexOf('\n\n')) !== -1) {
      onEvent(buffer.slice(0, end));
      buffer = buffer.slice(end + 2);
    }
  }
}

/** Opens the live stream (signed-in users only); reconnects (after a pause) when the server refuses or goes away. */
function connect() {
  clearTimeout(state.reconnectTimer);
  state.source?.abort();
  state.source = null;
  if (!state.session) {
    setStreamState('offline', 'sign in to see the live topology');
    return;
  }
  const controller = new AbortController();
  state.source = controller;
  setStreamState('connecting', 'connecting…');
  const retry = (text) => {
    if (controller.signal.aborted) return;
    setStreamState('offline', `${text} — retrying in 5 s`);
    state.reconnectTimer = window.setTimeout(connect, 5000);
  };
  fetch('/api/console/events', { headers: { Accept: 'text/event-stream', Authorization: `Bearer ${state.session.token}` }, signal: controller.signal })
    .then(async (response) => {
      if (response.status === 401) {
        signOut();
        state.session = null;
        renderSession();
        setStreamState('offline', 'the session ended: sign in again');
        return;
      }
      if (!response.ok || !response.body) return retry(`refused (HTTP ${response.status})`);
      setStreamState('live', 'live');
      await readStream(response);
      retry('disconnected');
    })
    .catch(() => retry('disconnected'));
}

$('sign-in-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  $('sign-in-error').textContent = '';
  try {
    state.session = await signIn(/** @type {HTMLSelectElement} */ ($('user')).value, /** @type {HTMLInputElement} */ ($('password')).value);
    /** @type {HTMLInputElement} */ ($('password')).value = '';
    renderSession();
    connect();
  } catch (error) {
    $('sign-in-error').textContent = `Sign-in failed: ${error instanceof Error ? error.message : String(error)}`;
  }
});

$('sign-out').addEventListener('click', () => {
  signOut({ revoke: true });
  state.session = null;
  renderSession();
  connect();
});

// every action button, present and future (chips are created as instances appear)
document.addEventListener('click', (event) => {
  const button = event.target instanceof Element ? event.target.closest('button[data-action]') : null;
  if (!button || button.disabled || button.getAttribute('aria-disabled') === 'true' || button.dataset.action === 'add-fault') return;
  const { action, target } = button.dataset;
  if (action === 'hang') void act({ action: 'kill', target, signal: 'STOP' });
  else if (action === 'kill') void act({ action, target, signal: 'KILL' });
  else if (target) void act({ action, target });
  else void act({ action });
});

$('fault-form').addEventListener('submit', (event) => {
  event.preventDefault();
  if (state.pending > 0 || /** @type {HTMLButtonElement} */ ($('add-fault')).disabled) return;
  const fault = { service: /** @type {HTMLSelectElement} */ ($('fault-service')).value };
  const method = /** @type {HTMLInputElement} */ ($('fault-method')).value.trim();
  if (method && method !== '*') fault.method = method;
  const delay = Number(/** @type {HTMLInputElement} */ ($('fault-delay')).value || 0);
  const abort = Number(/** @type {HTMLInputElement} */ ($('fault-abort')).value || 0);
  if (delay > 0) fault.delayMs = delay;
  if (abort > 0) fault.abortPercent = abort;
  void act({ action: 'add-fault', fault });
});

renderSession();
connect();
