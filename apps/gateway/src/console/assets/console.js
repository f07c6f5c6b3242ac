// The operators' console (CONTRACT section 12): plain DOM over the gateway's own API, no framework, no build.
// Everything shown comes from the API and is written with textContent (never innerHTML), so no answer can
// inject markup. The API key lives in sessionStorage only: it goes with the tab, never into localStorage
// or a cookie, and "Forget key" drops it at once.

const KEY_STORAGE = 'otp-gateway-console-key';
const SVG = 'http://www.w3.org/2000/svg';

const $ = (selector) => document.querySelector(selector);

/** an element with attributes and children (strings become text nodes: escaped by construction) */
function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === undefined || value === null || value === false) continue;
    if (name === 'onclick') node.addEventListener('click', value);
    else node.setAttribute(name, value === true ? '' : String(value));
  }
  node.append(...children.flat().map((c) => (c instanceof Node ? c : document.createTextNode(text(c)))));
  return node;
}

function svg(tag, attrs = {}, content) {
  const node = document.createElementNS(SVG, tag);
  for (const [name, value] of Object.entries(attrs)) node.setAttribute(name, String(value));
  if (content !== undefined) node.textContent = text(content);
  return node;
}

/** what a value reads as in a cell: nothing for absent values */
function text(value) {
  if (value === undefined || value === null) return '';
  return typeof value === 'object' ? JSON.stringify(value) : String(value);
}

/** an ISO instant as "2026-02-16 12:00:01" (UTC) */
function when(iso) {
  if (!iso) return '';
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? String(iso) : d.toISOString().replace('T', ' ').slice(0, 19);
}

function money(value) {
  return typeof value === 'number' ? value.toFixed(4) : '';
}

function percent(value) {
  return typeof value === 'number' ? `${Math.round(value * 1000) / 10} %` : '';
}

const OK = /^(delivered|seen|sent|completed|succeeded|approved)$/i;
const BAD = /^(failed|undelivered|expired|rejected|unsent|busy|noanswer|terminated|dead|too_many_attempts)$/i;

function tone(status) {
  if (OK.test(status ?? '')) return 'ok';
  if (BAD.test(status ?? '')) return 'bad';
  return /^(pending|queued|inprogress|delivering)$/i.test(status ?? '') ? 'warn' : '';
}

function badge(status) {
  return el('span', { class: `status ${tone(status)}`, 'data-status': status ?? '' }, status ?? '—');
}

// ---- messages and the key ----

function say(message, isError = false) {
  const box = $('#message');
  box.textContent = message;
  box.classList.toggle('error', isError);
  box.hidden = !message;
}

function key() {
  return sessionStorage.getItem(KEY_STORAGE);
}

class ApiError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** one call to the gateway with the session's key; the error bodies of both surfaces read as one message */
async function api(method, path, body) {
  const headers = { Authorization: `Bearer ${key() ?? ''}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(path, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const answer = await res.json().catch(() => null);
  if (res.ok) return answer;
  let message = `HTTP ${res.status}`;
  if (answer && typeof answer.detail === 'string') message = answer.detail;
  else if (answer && Array.isArray(answer.detail))
    message = answer.detail.map((d) => `${d.loc.slice(1).join('.')}: ${d.msg}`).join('; ');
  else if (answer && answer.developerMessage)
    message = [answer.developerMessage, ...Object.entries(answer.properties ?? {}).map(([k, v]) => `${k}: ${v}`)].join(
      '; ',
    );
  if (res.status === 401 || res.status === 403) message = `the gateway refused the key: ${message}`;
  throw new ApiError(res.status, message);
}

/** runs an action, showing its error (and not throwing) */
async function guarded(action) {
  try {
    return await action();
  } catch (err) {
    say(err instanceof Error ? err.message : String(err), true);
    return undefined;
  }
}

function showSignedIn(signedIn) {
  $('#key-form').hidden = signedIn;
  $('#key-state').hidden = !signedIn;
  $('#app').hidden = !signedIn;
}

async function useKey(event) {
  event.preventDefault();
  const input = $('#key');
  sessionStorage.setItem(KEY_STORAGE, input.value.trim());
  input.value = '';
  say('');
  // one cheap call tells a refused key at once
  const ok = await guarded(() => api('GET', '/otp/failover?limit=1'));
  if (ok === undefined) {
    sessionStorage.removeItem(KEY_STORAGE);
    return;
  }
  showSignedIn(true);
  await search();
}

function forgetKey() {
  sessionStorage.removeItem(KEY_STORAGE);
  for (const body of document.querySelectorAll('tbody, #steps, #flow-summary, #stats-charts')) body.replaceChildren();
  $('#results thead').replaceChildren();
  $('#flow').hidden = true;
  for (const p of ['#search-summary', '#stats-summary', '#pumping-summary', '#page-label']) $(p).textContent = '';
  showSignedIn(false);
  say('Key forgotten: it is no longer kept in this tab.');
}

// ---- tabs ----

function selectTab(name) {
  for (const tab of document.querySelectorAll('[role=tab]'))
    tab.setAttribute('aria-selected', tab.dataset.tab === name);
  for (const panel of document.querySelectorAll('[data-panel]')) panel.hidden = panel.dataset.panel !== name;
  if (name === 'stats') void guarded(loadStats);
  if (name === 'pumping') void guarded(loadBlocks);
}

// ---- deliveries ----

const paging = { page: 0 };

function criteria() {
  const form = new FormData($('#search'));
  const value = (name) => String(form.get(name) ?? '').trim();
  return {
    surface: value('surface'),
    tag: value('tag'),
    phone: value('phone').replace(/^\+/, ''),
    status: value('status'),
    flowId: value('flowId'),
    size: Number(value('size')) || 20,
  };
}

async function search(page = 0) {
  paging.page = page;
  const c = criteria();
  say('');
  if (c.surface === 'failover') await searchFailoverApi(c, page);
  else await searchDeliveries(c, page);
}

async function searchDeliveries(c, page) {
  const query = new URLSearchParams({ limit: String(c.size), offset: String(page * c.size) });
  if (c.tag) query.set('tag', c.tag);
  if (c.phone) query.set('phone_number', c.phone);
  if (c.status) query.set('status', c.status);
  if (c.flowId) query.set('flow_id', c.flowId);
  const list = await api('GET', `/otp/failover?${query}`);
  header(['Created', 'Flow', 'Role', 'Channel', 'Phone', 'Status', 'Tag', 'Price', '']);
  rows(
    list.results.map((d) =>
      el(
        'tr',
        { 'data-flow-id': d.flowId },
        el('td', {}, when(d.created_at)),
        el('td', {}, el('code', {}, d.flowId)),
        el('td', {}, d.role),
        el('td', {}, d.channel),
        el('td', {}, d.phone_number),
        el('td', {}, badge(d.status)),
        el('td', {}, d.label),
        el('td', {}, money(d.price)),
        el('td', {}, el('button', { type: 'button', onclick: () => void guarded(() => openFlow(d.flowId)) }, 'Open')),
      ),
    ),
  );
  const total = `${list.total}${list.total_exact ? '' : '+'}`;
  $('#search-summary').textContent =
    `${total} ${list.total === 1 && list.total_exact ? 'delivery' : 'deliveries'}${list.results.length ? `, ${list.offset + 1}–${list.offset + list.results.length} shown` : ''}`;
  pager(page, list.offset + list.results.length < list.total);
}

async function searchFailoverApi(c, page) {
  const filters = [];
  if (c.tag) filters.push({ fieldName: 'label', searchOperator: 'contains', searchTerm: c.tag });
  if (c.phone) filters.push({ fieldName: 'to', searchOperator: 'contains', searchTerm: c.phone });
  if (c.status) filters.push({ fieldName: 'status', searchOperator: 'is', searchTerm: c.status });
  if (c.flowId) filters.push({ fieldName: 'trackingId', searchOperator: 'is', searchTerm: c.flowId });
  const result = await api('POST', `/failover/tracking?page=${page}&size=${c.size}`, filters);
  header(['Created', 'Flow (trackingId)', 'Steps', 'To', 'Status', 'Ended on', 'Price', '']);
  rows(
    result.content.map((f) =>
      el(
        'tr',
        { 'data-flow-id': f.trackingId },
        el('td', {}, when(f.createdAt)),
        el('td', {}, el('code', {}, f.trackingId)),
        el('td', {}, f.messages.map((m) => m.type).join(' → ')),
        el('td', {}, recipient(f.messages[0]?.to)),
        el('td', {}, badge(f.status)),
        el('td', {}, f.terminationChannel),
        el('td', {}, money(f.totalPrice)),
        el(
          'td',
          {},
          el(
            'button',
            { type: 'button', onclick: () => void guarded(() => openFlow(f.trackingId, 'failover')) },
            'Open',
          ),
        ),
      ),
    ),
  );
  $('#search-summary').textContent =
    `${result.totalElements} Failover API ${result.totalElements === 1 ? 'flow' : 'flows'}, page ${result.number + 1} of ${Math.max(result.totalPages, 1)}`;
  pager(page, !result.last);
}

function recipient(to) {
  return to && typeof to === 'object' ? to.phone : to;
}

function header(names) {
  $('#results thead').replaceChildren(
    el(
      'tr',
      {},
      names.map((n) => el('th', {}, n)),
    ),
  );
}

function rows(trs) {
  $('#results tbody').replaceChildren(
    ...(trs.length ? trs : [el('tr', {}, el('td', { colspan: 9, class: 'muted' }, 'Nothing matches.'))]),
  );
}

function pager(page, hasNext) {
  $('#prev').disabled = page === 0;
  $('#next').disabled = !hasNext;
  $('#page-label').textContent = `page ${page + 1}`;
}

// ---- one flow ----

const opened = { id: null, surface: null };

/** a flow by any of its ids: a Failover OTP flow, else (or when told) a Failover API flow */
async function openFlow(id, surface) {
  let flow;
  let kind = surface ?? 'otp';
  if (kind === 'otp') {
    try {
      flow = await api('GET', `/otp/failover/${encodeURIComponent(id)}`);
    } catch (err) {
      if (!(err instanceof ApiError) || err.status !== 404) throw err;
      kind = 'failover';
    }
  }
  if (kind === 'failover') flow = await api('GET', `/failover/tracking/${encodeURIComponent(id)}`);
  const flowId = kind === 'otp' ? flow.flowId : flow.trackingId;
  opened.id = flowId;
  opened.surface = kind;
  $('#flow-id').textContent = flowId;
  $('#flow').dataset.kind = kind;
  if (kind === 'otp') renderOtpFlow(flow);
  else renderFailoverApiFlow(flow);
  $('#flow').hidden = false;
  await loadWebhooks(flowId);
  $('#flow').scrollIntoView({ block: 'start' });
}

function summary(pairs) {
  $('#flow-summary').replaceChildren(
    ...pairs.flatMap(([name, value]) => [
      el('dt', {}, name),
      el('dd', {}, value instanceof Node ? value : text(value)),
    ]),
  );
}

function renderOtpFlow(flow) {
  const v = flow.verification;
  summary([
    ['Surface', 'Failover OTP'],
    ['Status', badge(flow.status)],
    ['Status code', flow.statusCode],
    ['Total cost', money(flow.total_cost)],
    ['Verification', v ? badge(v.status) : 'no code'],
    ['Verified at', v ? when(v.verified_at) : ''],
    ['Checks', v ? v.attempts : ''],
  ]);
  $('#steps').replaceChildren(
    ...flow.steps.map((s) =>
      el(
        'li',
        { class: tone(s.status), 'data-role': s.role },
        el('div', { class: 'step-title' }, `${s.role} · ${s.channel} · `, badge(s.status), ` ${s.phone_number}`),
        el(
          'div',
          { class: 'times' },
          [
            `created ${when(s.created_at)}`,
            s.sent_at && `sent ${when(s.sent_at)}`,
            s.delivered_at && `delivered ${when(s.delivered_at)}`,
            s.latency_ms !== undefined && `latency ${s.latency_ms} ms`,
          ]
            .filter(Boolean)
            .join(' · '),
        ),
        el(
          'div',
          {},
          [
            s.trackingId && `trackingId ${s.trackingId}`,
            s.price !== undefined && `price ${money(s.price)}`,
            s.country && `country ${s.country}`,
            s.operator && `operator ${s.operator}`,
            s.label && `tag ${s.label}`,
            s.detailed_status && `detail ${s.detailed_status}`,
            s.error_message && `error ${s.error_message}`,
            s.failover_from_message_token && `after ${s.failover_from_message_token}`,
          ]
            .filter(Boolean)
            .join(' · '),
        ),
      ),
    ),
  );
}

function renderFailoverApiFlow(flow) {
  summary([
    ['Surface', 'Failover API'],
    ['Status', badge(flow.status)],
    ['Status code', flow.statusCode],
    ['Total price', money(flow.totalPrice)],
    ['Ended on', flow.terminationChannel],
    ['Created', when(flow.createdAt)],
    ['Updated', when(flow.updatedAt)],
  ]);
  $('#steps').replaceChildren(
    ...flow.messages.map((m) =>
      el(
        'li',
        { class: tone(m.status?.name), 'data-role': `step ${m.order}` },
        el(
          'div',
          { class: 'step-title' },
          `step ${m.order} · ${m.type} · `,
          badge(m.status?.name),
          ` ${recipient(m.to)}`,
        ),
        el(
          'div',
          { class: 'times' },
          [`created ${when(m.createdAt)}`, m.status?.updatedDate && `status at ${when(m.status.updatedDate)}`]
            .filter(Boolean)
            .join(' · '),
        ),
        el(
          'div',
          {},
          [
            (m.messageId ?? m.trackingId) && `id ${m.messageId ?? m.trackingId}`,
            m.price !== null && m.price !== undefined && `price ${money(m.price)}`,
            m.country && `country ${m.country}`,
            m.label && `tag ${m.label}`,
            m.status?.reason?.detailedStatus && `detail ${m.status.reason.detailedStatus}`,
            m.status?.reason?.description && m.status.reason.description,
            `fails over on ${(m.failoverOnStatuses ?? []).join(', ') || 'nothing'}`,
          ]
            .filter(Boolean)
            .join(' · '),
        ),
      ),
    ),
  );
}

async function loadWebhooks(flowId) {
  const { events } = await api('GET', `/otp/failover/${encodeURIComponent(flowId)}/webhooks`);
  $('#webhooks-summary').textContent = events.length
    ? `${events.length} events to ${events[0].url}`
    : 'No webhook events (the flow has no callback URL, or nothing has happened yet).';
  $('#webhooks tbody').replaceChildren(
    ...events.map((e) =>
      el(
        'tr',
        { 'data-event-id': e.id, 'data-state': e.state },
        el('td', {}, when(e.created_at)),
        el('td', {}, e.type),
        el('td', {}, badge(e.state)),
        el('td', {}, e.attempts),
        el('td', {}, [e.last_status_code, e.last_error].filter((x) => x !== undefined).join(' · ')),
        el('td', {}, when(e.delivered_at ?? e.next_attempt_at)),
        el(
          'td',
          {},
          e.state === 'dead'
            ? el('button', { type: 'button', onclick: () => void guarded(() => resend(flowId, e.id)) }, 'Resend')
            : '',
        ),
      ),
    ),
  );
}

async function resend(flowId, eventId) {
  const answer = await api('POST', `/otp/failover/${encodeURIComponent(flowId)}/webhooks/${eventId}/resend`);
  say(`Webhook event ${answer.id} re-sent: ${answer.state}.`);
  await loadWebhooks(flowId);
}

// ---- stats ----

const SERIES = [
  { name: 'flows', color: '#2857c5' },
  { name: 'delivered', color: '#1a7f47' },
  { name: 'verified', color: '#a15c00' },
];
const RATES = [
  { name: 'conversion', color: '#1a7f47' },
  { name: 'failover_rate', color: '#b42318' },
];

async function loadStats() {
  const form = new FormData($('#stats-form'));
  const query = new URLSearchParams();
  for (const name of ['from', 'to', 'group_by']) {
    const value = String(form.get(name) ?? '').trim();
    if (value) query.set(name, value);
  }
  const stats = await api('GET', `/otp/stats?${query}`);
  const t = stats.total;
  $('#stats-summary').textContent =
    `${when(stats.from)} to ${when(stats.to)} by ${stats.group_by}: ${t.flows} flows, ${t.verified} verified ` +
    `(${percent(t.conversion)}), failover rate ${percent(t.failover_rate)}, ${t.sms_saved} SMS saved, cost ${money(t.cost)}`;
  $('#stats-charts').replaceChildren(
    chart('Flows, delivered and verified per group', stats.groups, SERIES, (v) => v, Math.max(1, t.flows)),
    chart('Conversion and failover rate per group', stats.groups, RATES, percent, 1),
  );
  const columns = ['key', 'flows', 'viber', 'sms', 'delivered', 'verified', 'conversion', 'failover_rate', 'sms_saved'];
  const more = ['median_time_to_deliver_sec', 'median_time_to_verify_sec', 'cost', 'cost_per_verified'];
  $('#stats-table thead').replaceChildren(
    el(
      'tr',
      {},
      [...columns, ...more].map((c) => el('th', {}, c)),
    ),
  );
  const line = (g, key) =>
    el(
      'tr',
      { 'data-group': key },
      el('td', {}, key),
      el('td', {}, g.flows),
      el('td', {}, g.messages.viber),
      el('td', {}, g.messages.sms),
      el('td', {}, g.delivered),
      el('td', {}, g.verified),
      el('td', {}, percent(g.conversion)),
      el('td', {}, percent(g.failover_rate)),
      el('td', {}, g.sms_saved),
      el('td', {}, g.median_time_to_deliver_sec),
      el('td', {}, g.median_time_to_verify_sec),
      el('td', {}, money(g.cost)),
      el('td', {}, money(g.cost_per_verified)),
    );
  $('#stats-table tbody').replaceChildren(...stats.groups.map((g) => line(g, g.key)), line(t, 'total'));
}

/** grouped vertical bars, one group per stats group, one bar per series, drawn as SVG elements */
function chart(title, groups, series, label, max) {
  const barWidth = 18;
  const groupWidth = series.length * barWidth + 24;
  const height = 180;
  const top = 16;
  const bottom = 36;
  const left = 8;
  const width = Math.max(260, left * 2 + groups.length * groupWidth);
  const peak = Math.max(max === 1 ? 1 : 0, ...groups.flatMap((g) => series.map((s) => g[s.name] ?? 0)), 1e-9);
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, role: 'img', 'aria-label': title });
  root.append(svg('title', {}, title));
  const plot = height - top - bottom;
  root.append(svg('line', { x1: left, x2: width - left, y1: top + plot, y2: top + plot, stroke: '#d9dde5' }));
  groups.forEach((g, i) => {
    const x0 = left + i * groupWidth + 12;
    series.forEach((s, j) => {
      const value = g[s.name] ?? 0;
      const h = Math.round((value / peak) * plot);
      const x = x0 + j * barWidth;
      const bar = svg('rect', {
        x,
        y: top + plot - h,
        width: barWidth - 3,
        height: Math.max(h, 1),
        fill: s.color,
        'data-series': s.name,
        'data-group': g.key,
      });
      bar.append(svg('title', {}, `${g.key} ${s.name}: ${label(value)}`));
      root.append(bar);
      root.append(
        svg('text', { x: x + (barWidth - 3) / 2, y: top + plot - h - 3, 'text-anchor': 'middle' }, label(value)),
      );
    });
    root.append(
      svg('text', { x: x0 + (series.length * barWidth) / 2, y: height - bottom + 16, 'text-anchor': 'middle' }, g.key),
    );
  });
  const swatch = (color) => {
    const box = svg('svg', { width: 10, height: 10, viewBox: '0 0 10 10', 'aria-hidden': 'true' });
    box.append(svg('rect', { width: 10, height: 10, fill: color }));
    return box;
  };
  const legend = el(
    'figcaption',
    {},
    `${title} `,
    series.map((s) => el('span', { class: 'legend' }, swatch(s.color), ` ${s.name} `)),
  );
  return el('figure', {}, groups.length ? root : el('p', { class: 'muted' }, 'No flows in this window.'), legend);
}

// ---- pumping blocks ----

async function loadBlocks() {
  const all = new FormData($('#pumping-form')).get('all') === 'on';
  const { blocks } = await api('GET', `/otp/pumping/blocks?all=${all}`);
  $('#pumping-summary').textContent = blocks.length
    ? `${blocks.filter((b) => b.state === 'in_force').length} in force`
    : all
      ? 'No blocks recorded.'
      : 'No block in force: every destination prefix is open.';
  $('#blocks tbody').replaceChildren(
    ...blocks.map((b) =>
      el(
        'tr',
        { 'data-prefix': b.prefix, 'data-state': b.state },
        el('td', {}, `+${b.prefix}`),
        el('td', {}, badge(b.state), b.lifted_at ? ` ${when(b.lifted_at)}` : ''),
        el('td', {}, when(b.blocked_at)),
        el('td', {}, when(b.until)),
        el('td', {}, `${b.approved} / ${b.flows}`),
        el('td', {}, percent(b.conversion)),
        el(
          'td',
          {},
          b.state === 'in_force'
            ? el('button', { type: 'button', onclick: () => void guarded(() => lift(b.prefix)) }, 'Lift')
            : '',
        ),
      ),
    ),
  );
}

async function lift(prefix) {
  await api('DELETE', `/otp/pumping/blocks/${encodeURIComponent(prefix)}`);
  say(`Block on +${prefix} lifted: sends to it go through at once.`);
  await loadBlocks();
}

// ---- wiring ----

function start() {
  $('#key-form').addEventListener('submit', (e) => void useKey(e));
  $('#forget').addEventListener('click', forgetKey);
  for (const tab of document.querySelectorAll('[role=tab]'))
    tab.addEventListener('click', () => selectTab(tab.dataset.tab));
  $('#search').addEventListener('submit', (e) => {
    e.preventDefault();
    void guarded(() => search(0));
  });
  $('#prev').addEventListener('click', () => void guarded(() => search(Math.max(0, paging.page - 1))));
  $('#next').addEventListener('click', () => void guarded(() => search(paging.page + 1)));
  $('#flow-close').addEventListener('click', () => ($('#flow').hidden = true));
  $('#flow-refresh').addEventListener('click', () => void guarded(() => openFlow(opened.id, opened.surface)));
  $('#stats-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void guarded(loadStats);
  });
  $('#pumping-form').addEventListener('submit', (e) => {
    e.preventDefault();
    void guarded(loadBlocks);
  });
  const signedIn = Boolean(key());
  showSignedIn(signedIn);
  if (signedIn) void guarded(() => search(0));
}

start();
