// The topology model (services → instances, merged from the control channel's process list and
// this gateway's sidecar view) and its rendering as service cards with instance chips. Elements
// are keyed and updated in place every second, so focus and keyboard use survive the updates.

/** Services in display order (`haproxy`: the front doors, shown as "front door"). */
export const SERVICES = ['upload', 'likes', 'feed', 'gateway', 'haproxy'];

/** What a front door's role means, for its badge. */
const ROLE_TEXT = {
  active: 'active (shares the port)',
  MASTER: 'MASTER (holds the virtual IP)',
  BACKUP: 'BACKUP (takes the IP over)',
  FAULT: 'FAULT (gave the IP up)',
  unknown: 'role unknown',
};

/** Process states of the control channel → the chip's colour class. */
const STATE_CLASS = {
  running: 'up',
  paused: 'paused',
  held: 'down',
  failed: 'down',
  stopped: 'down',
  backoff: 'starting',
  pending: 'starting',
  stopping: 'starting',
};

/**
 * @typedef {{ id: string, service: string, zone: string, address: string, state: 'up'|'starting'|'paused'|'down',
 *   stateText: string, breaker: string, ejected: boolean, inDiscovery: boolean, pid: number|null, restarts: number|null,
 *   leader: boolean, self: boolean, role: string|null }} InstanceModel
 * @typedef {{ service: string, breaker: string, instances: InstanceModel[] }} ServiceModel
 */

/**
 * The services and their instances from a console snapshot.
 * @param {any} snapshot
 * @returns {ServiceModel[]}
 */
export function serviceModels(snapshot) {
  const views = new Map(snapshot.services.map((s) => [s.service, s]));
  const leader = snapshot.trending?.leader ?? snapshot.platform?.trendingLeader ?? null;
  return SERVICES.map((service) => {
    const view = views.get(service);
    const seen = new Map((view?.instances ?? []).map((i) => [i.id, i]));
    /** @type {InstanceModel[]} */
    let instances;
    if (snapshot.platform) {
      instances = snapshot.platform.instances
        .filter((p) => p.service === service)
        .map((p) => {
          const mine = seen.get(p.id);
          let state = STATE_CLASS[p.state] ?? 'starting';
          if (state === 'up' && p.ready === false) state = 'starting';
          const readyText = p.state === 'running' ? (p.ready === false ? 'not ready' : p.ready ? 'ready' : 'readiness unknown') : '';
          return {
            id: p.id,
            service,
            zone: p.zone ?? mine?.zone ?? '',
            address: mine?.address ?? (p.url ? p.url.replace(/^https?:\/\//, '') : ''),
            state,
            stateText: [p.state, readyText].filter(Boolean).join(', '),
            breaker: mine?.breaker ?? 'none',
            ejected: mine?.ejected ?? false,
            inDiscovery: mine !== undefined,
            pid: p.pid,
            restarts: p.restarts,
            leader: p.id === leader,
            self: p.id === snapshot.gateway.id,
            role: p.role ?? null,
          };
        });
    } else if (service === 'haproxy') {
      instances = []; // the front doors are known only through the control channel
    } else if (service === 'gateway') {
      instances = [{ id: snapshot.gateway.id, service, zone: snapshot.gateway.zone, address: location.host, state: 'up', stateText: 'serving this console', breaker: 'none', ejected: false, inDiscovery: false, pid: snapshot.gateway.pid, restarts: null, leader: false, self: true, role: null }];
    } else {
      instances = (view?.instances ?? []).map((i) => ({
        id: i.id,
        service,
        zone: i.zone,
        address: i.address,
        state: i.ejected ? 'down' : 'up',
        stateText: i.ejected ? 'registered, ejected by outlier detection' : 'registered in discovery',
        breaker: i.breaker,
        ejected: i.ejected,
        inDiscovery: true,
        pid: null,
        restarts: null,
        leader: i.id === leader,
        self: false,
        role: null,
      }));
    }
    instances.sort((a, b) => a.id.localeCompare(b.id, 'en', { numeric: true }));
    return { service, breaker: view?.breaker ?? 'none', instances };
  });
}

/** Creates `tag` with `className` and optional text. */
function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

/** A button that performs a console action (enabled or disabled by the page). */
export function actionButton(text, action, target, label, extraClass = '') {
  const button = el('button', extraClass, text);
  button.type = 'button';
  button.dataset.action = action;
  if (target) button.dataset.target = target;
  if (label) button.setAttribute('aria-label', label);
  return button;
}

/**
 * Keeps `container`'s children in step with `items`: one element per key, created once by
 * `create`, updated by `update`, removed when its key goes, in the order of `items`.
 */
export function keyed(container, items, keyOf, create, update) {
  const existing = new Map([...container.children].map((child) => [child.dataset.key, child]));
  const wanted = [];
  for (const item of items) {
    const key = keyOf(item);
    let node = existing.get(key);
    if (!node) {
      node = create(item);
      node.dataset.key = key;
    }
    existing.delete(key);
    update(node, item);
    wanted.push(node);
  }
  for (const stale of existing.values()) stale.remove();
  wanted.forEach((node, index) => {
    if (container.children[index] !== node) container.insertBefore(node, container.children[index] ?? null);
  });
}

function breakerText(breaker) {
  return breaker === 'none' ? 'no breaker' : `breaker ${breaker}`;
}

function createChip(instance) {
  const li = el('li', 'chip');
  li.dataset.instance = instance.id;
  const head = el('div', 'chip-head');
  const name = el('span', 'chip-id', instance.id);
  const crown = el('span', 'crown', '♛');
  crown.title = 'leads the trending job';
  crown.dataset.role = 'leader';
  const crownText = el('span', 'visually-hidden', ' (trending leader)');
  crownText.dataset.role = 'leader-text';
  const zone = el('span', 'zone-tag');
  zone.dataset.role = 'zone';
  head.append(name, crown, crownText, zone);
  const state = el('p', 'chip-state');
  state.dataset.role = 'state';
  const breaker = el('p', 'chip-breaker');
  const badge = el('span', 'badge');
  badge.dataset.role = 'breaker';
  breaker.append(badge);
  const meta = el('p', 'chip-meta');
  meta.dataset.role = 'meta';
  const actions = el('div', 'chip-actions');
  actions.append(
    actionButton('Kill', 'kill', instance.id, `Kill ${instance.id}`, 'danger small'),
    actionButton('Hang', 'hang', instance.id, `Hang ${instance.id} (SIGSTOP)`, 'secondary small'),
    actionButton('Revive', 'revive', instance.id, `Revive ${instance.id}`, 'secondary small'),
  );
  li.append(head, state, breaker, meta, actions);
  return li;
}

function updateChip(li, instance) {
  li.className = `chip state-${instance.state}${instance.self ? ' self' : ''}`;
  li.dataset.state = instance.state;
  li.dataset.breaker = instance.breaker;
  li.dataset.leader = String(instance.leader);
  if (instance.role) li.dataset.frontDoorRole = instance.role;
  li.querySelector('[data-role="leader"]').hidden = !instance.leader;
  li.querySelector('[data-role="leader-text"]').hidden = !instance.leader;
  li.querySelector('[data-role="zone"]').textContent = instance.zone || 'no zone';
  li.querySelector('[data-role="state"]').textContent = instance.stateText + (instance.self ? ' (this gateway)' : '');
  const badge = li.querySelector('[data-role="breaker"]');
  badge.className = `badge breaker-${instance.breaker}`;
  if (instance.service === 'haproxy') badge.className = `badge role-${instance.role ?? 'unknown'}`;
  badge.textContent = instance.service === 'haproxy' ? (ROLE_TEXT[instance.role ?? 'unknown'] ?? instance.role) : instance.service === 'gateway' ? 'public edge' : instance.inDiscovery || instance.breaker !== 'none' ? breakerText(instance.breaker) + (instance.ejected ? ', ejected' : '') : 'not in discovery';
  const meta = [instance.address, instance.pid ? `pid ${instance.pid}` : '', instance.restarts ? `${instance.restarts} restart${instance.restarts === 1 ? '' : 's'}` : ''].filter(Boolean);
  li.querySelector('[data-role="meta"]').textContent = meta.join(' · ');
}

function createService(model) {
  const section = el('section', 'service');
  section.dataset.service = model.service;
  section.setAttribute('aria-labelledby', `service-${model.service}`);
  const head = el('div', 'service-head');
  const title = el('h3', '', model.service === 'haproxy' ? 'front door' : model.service);
  title.id = `service-${model.service}`;
  const badge = el('span', 'badge');
  badge.dataset.role = 'service-breaker';
  head.append(title, badge);
  const chips = el('ul', 'chips');
  chips.dataset.role = 'chips';
  chips.setAttribute('aria-label', `Instances of ${model.service}`);
  const buttons = el('div', 'buttons');
  // the front doors are killed one by one (never both: that would cut this console off too)
  if (model.service !== 'gateway' && model.service !== 'haproxy') buttons.append(actionButton(`Kill all ${model.service}`, 'kill-service', model.service, undefined, 'danger'));
  if (model.service !== 'haproxy') buttons.append(actionButton(`Revive all ${model.service}`, 'revive-service', model.service, undefined, 'secondary'));
  section.append(head, chips, buttons);
  return section;
}

/**
 * Renders the service cards into `container` (keyed, in place).
 * @param {HTMLElement} container
 * @param {ServiceModel[]} models
 * @param {string} gatewayId the gateway whose view this is
 */
export function renderServices(container, models, gatewayId) {
  keyed(
    container,
    models,
    (m) => m.service,
    createService,
    (section, model) => {
      section.dataset.breaker = model.breaker;
      const badge = section.querySelector('[data-role="service-breaker"]');
      badge.className = `badge breaker-${model.breaker}`;
      badge.textContent = model.service === 'haproxy' ? frontDoorText(model.instances) : model.service === 'gateway' ? 'behind the front door' : `${breakerText(model.breaker)} at ${gatewayId}`;
      const chips = section.querySelector('[data-role="chips"]');
      keyed(chips, model.instances, (i) => i.id, createChip, updateChip);
      if (model.instances.length === 0 && !chips.querySelector('.empty')) {
        const empty = el('li', 'empty hint', model.service === 'haproxy' ? 'known only with the control channel' : 'no instance in discovery');
        empty.dataset.key = '__empty';
        chips.append(empty);
      }
    },
  );
}

/** The front door card's badge: how the pair shares the traffic. */
function frontDoorText(instances) {
  if (instances.some((i) => i.role === 'MASTER' || i.role === 'BACKUP' || i.role === 'FAULT')) return 'VRRP pair: the MASTER holds the virtual IP';
  if (instances.some((i) => i.role === 'active')) return 'active-active on one port';
  return 'the public entrance';
}

/**
 * Renders Redis data nodes and sentinels (chips with role and state; pids from the control channel).
 * @param {{ nodes: HTMLElement, sentinels: HTMLElement, error: HTMLElement, name: HTMLElement }} target
 * @param {any} snapshot
 */
export function renderRedis(target, snapshot) {
  const redis = snapshot.redis;
  const processes = new Map((snapshot.platform?.redis.nodes ?? []).map((n) => [`${n.host}:${n.port}`, n]));
  target.name.textContent = `(master name ${redis.masterName})`;
  const nodes = redis.nodes.length > 0 ? redis.nodes : [...processes.values()].filter((n) => n.role !== 'sentinel').map((n) => ({ address: `${n.host}:${n.port}`, role: n.role, state: n.state === 'running' ? 'up' : 'down' }));
  const chip = () => {
    const li = el('li', 'chip redis-chip');
    li.append(el('span', 'chip-id'), el('p', 'chip-state'), el('p', 'chip-meta'));
    return li;
  };
  const update = (li, node) => {
    const process = processes.get(node.address);
    const state = process?.state === 'paused' ? 'paused' : node.state === 'up' ? 'up' : node.state === 'unknown' ? 'starting' : 'down';
    li.className = `chip redis-chip state-${state}${node.role === 'master' ? ' master' : ''}`;
    li.dataset.role = node.role;
    li.dataset.state = state;
    li.children[0].textContent = `${node.role} ${node.address}`;
    li.children[1].textContent = process ? `${node.state}, process ${process.state}` : node.state;
    li.children[2].textContent = process?.pid ? `pid ${process.pid}` : '';
  };
  keyed(target.nodes, nodes, (n) => n.address, chip, update);
  keyed(target.sentinels, redis.sentinels.map((s) => ({ ...s, role: 'sentinel' })), (n) => n.address, chip, update);
  target.error.textContent = redis.error ? `Redis view incomplete: ${redis.error}` : '';
}
