import { jest } from '@jest/globals';
import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { finalFlow, waitFor } from './support/engine-support';
import { failoverRequest, phone } from './support/factories';
import { numberUnder, seedUnverifiedFlows } from './support/pumping';
import { AUTH, startTestGateway, TEST_KEY, type TestGateway } from './support/test-gateway';
import { WebhookReceiver } from './support/webhook-receiver';

/**
 * The operators' console (/console, CONTRACT section 12) in a real browser: Debian's chromium driven by
 * playwright-core, against a real gateway listening on a port, its sandbox and Postgres. The operator
 * pastes the key, searches by phone and by tag on both surfaces, opens a flow's timeline, re-sends a
 * dead webhook, reads the stats charts and lifts a pumping block. Screenshots go to test-output/console/.
 */
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SHOTS = join(process.cwd(), 'test-output', 'console');
const hasChromium = existsSync(CHROMIUM);
// every test here (jest's default is 30 s): several 20 s waits (the page's default, the worker's) on a loaded CI machine
jest.setTimeout(90_000);
if (!hasChromium) {
  console.warn(
    `\n*** SKIPPED: test/console.e2e-spec.ts (the operators' console in a browser) needs Chromium at ${CHROMIUM}, ` +
      `which is missing. Install Debian's package: apt-get install -y chromium (.ci/run does), or set CHROMIUM_PATH. ***\n`,
  );
}

const describeInBrowser = hasChromium ? describe : describe.skip;

interface EventRow {
  id: string;
  state: string;
}

describeInBrowser('the operators console, in Chromium', () => {
  let t: TestGateway;
  let receiver: WebhookReceiver;
  /** the Failover API flow's endpoint: down for good */
  let apiReceiver: WebhookReceiver;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let url: string;
  const problems: string[] = [];
  const failed: string[] = [];
  const otpPhone = phone('01'); // Viber EXPIRED, then the SMS failover delivered
  let otpFlowId: string;
  let otherFlowId: string;
  /** the status of a Failover OTP send to a number under `prefix` (the pumping guard's block refuses it: 429) */
  const sendUnder = async (prefix: string) =>
    (
      await t.http
        .post('/otp/send-failover')
        .set(AUTH)
        .send(failoverRequest(numberUnder(prefix)))
    ).status;
  /** a label that would be markup if the page wrote it as HTML */
  const markupTag = 'signup<img src=x id=injected>';
  let apiFlowId: string;
  const apiPhone = phone('06'); // the SMS undelivered, then the call

  const events = async (flowId: string) =>
    (await t.db.query<EventRow>('SELECT id, state FROM webhook_events WHERE flow_id = $1 ORDER BY seq', [flowId])).rows;
  const shot = (name: string) => page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });

  beforeAll(async () => {
    mkdirSync(SHOTS, { recursive: true });
    // the integrator's endpoint is down: every event of the flow dies after two attempts
    receiver = await new WebhookReceiver().start();
    receiver.respond = () => 500;
    apiReceiver = await new WebhookReceiver().start();
    apiReceiver.respond = () => 500;
    t = await startTestGateway({
      env: {
        PUMPING_GUARD: 'true',
        REFRESH_INTERVAL_MS: '100',
        WEBHOOK_ALLOW_PRIVATE: 'true',
        WEBHOOK_MAX_ATTEMPTS: '2',
        WEBHOOK_POLL_MS: '50',
        WEBHOOK_BACKOFF_BASE_MS: '20',
        WEBHOOK_BACKOFF_MAX_MS: '40',
        WEBHOOK_TIMEOUT_MS: '500',
      },
    });
    await t.db.query('TRUNCATE pumping_blocks');
    await t.gateway.app.listen(0, '127.0.0.1');
    url = `http://127.0.0.1:${(t.gateway.app.getHttpServer().address() as AddressInfo).port}`;

    // a Failover OTP flow that fails over to SMS and tells a receiver that is down
    const sent = await t.http
      .post('/otp/send-failover')
      .set(AUTH)
      .send(
        failoverRequest(otpPhone, {
          viber: { label: 'console-login' },
          sms: { label: 'console-login' },
          body: { callback: { url: receiver.url } },
        }),
      );
    expect(sent.status).toBe(200);
    otpFlowId = sent.body.flowId;
    const other = await t.http
      .post('/otp/send-failover')
      .set(AUTH)
      .send(failoverRequest(phone('04'), { viber: { label: markupTag }, sms: { label: markupTag } }));
    otherFlowId = other.body.flowId;
    // a Failover API flow: an SMS, then a call; its callbacks go to a receiver that stays down
    const api = await t.http
      .post('/failover')
      .set(AUTH)
      .send({
        flow: [
          {
            type: 'Sms',
            order: 1,
            from: 'Acme',
            to: `+${apiPhone}`,
            message: { body: 'Your code is 4829', label: 'console-api' },
          },
          {
            type: 'Voice',
            order: 2,
            from: 'Acme',
            to: { phone: `+${phone('04')}` },
            dialPlan: { verbs: [{ type: 'SAY', message: { language: 'en-US', gender: 'female', text: 'Code 4829' } }] },
          },
        ],
        callback: { strategy: 'OnStep', url: apiReceiver.url },
      });
    expect(api.status).toBe(200);
    apiFlowId = api.body.trackingId;
    // a prefix blocked by the guard: 50 unverified flows, then a send refused
    await seedUnverifiedFlows(t.db, '4479');
    expect(await sendUnder('4479')).toBe(429);

    // the flow ends Succeeded at the SMS's Sent; no worker polls a final flow, a read refreshes its SMS to Delivered
    // (one more event), as an operator's first look would
    await finalFlow(t.db, otpFlowId, 20_000);
    await waitFor(
      'the SMS failover to read Delivered',
      async () => (await t.http.get(`/otp/failover/${otpFlowId}`).set(AUTH)).body.steps?.[1]?.status === 'Delivered',
      20_000,
      150,
    );
    await waitFor(
      'every event of the flow to die',
      async () => {
        const all = await events(otpFlowId);
        return all.length > 0 && all.every((r) => r.state === 'dead');
      },
      20_000,
    );

    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
    page = await context.newPage();
    // a wait that fails says what it waited for well before jest's own timeout (90 s), with time to spare for a
    // loaded machine
    page.setDefaultTimeout(20_000);
    // a CSP violation, a script error or a failed request shows here
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('console', (msg) => {
      // a failed request is reported by the response listener, with its URL
      if (msg.type() === 'error' && !msg.text().startsWith('Failed to load resource')) {
        problems.push(`console: ${msg.text()}`);
      }
    });
    page.on('response', (res) => {
      if (res.status() >= 400)
        failed.push(`${res.status()} ${new URL(res.url()).pathname}${new URL(res.url()).search}`);
    });
  }, 120_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
    await receiver?.close();
    await apiReceiver?.close();
  });

  it('serves the page, its script and stylesheet with a strict CSP (self only, nothing inline)', async () => {
    const res = await page.goto(`${url}/console`);
    expect(res?.status()).toBe(200);
    expect(res?.headers()['content-type']).toBe('text/html; charset=utf-8');
    const csp = res?.headers()['content-security-policy'] ?? '';
    expect(csp).toContain("script-src 'self'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    for (const [path, type] of [
      ['/console/console.js', 'text/javascript; charset=utf-8'],
      ['/console/console.css', 'text/css; charset=utf-8'],
    ]) {
      const asset = await t.http.get(path);
      expect([path, asset.status, asset.headers['content-type']]).toEqual([path, 200, type]);
    }
    await expect(page.locator('#app').isHidden()).resolves.toBe(true);
  });

  it('refuses a wrong key and keeps nothing of it', async () => {
    await page.fill('#key', 'not-a-key');
    await page.click('#key-form button[type=submit]');
    await page.locator('#message.error').waitFor();
    expect(await page.textContent('#message')).toBe('the gateway refused the key: Invalid or expired Bearer token');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await expect(page.locator('#app').isHidden()).resolves.toBe(true);
  });

  it('takes the pasted key into sessionStorage only (no localStorage, no cookie) and lists the newest deliveries', async () => {
    // no password field, which the browser would offer to keep in its password manager; the characters masked
    expect(await page.getAttribute('#key', 'type')).toBe('text');
    expect(await page.getAttribute('#key', 'autocomplete')).toBe('off');
    expect(
      await page.evaluate(`getComputedStyle(document.getElementById('key')).getPropertyValue('-webkit-text-security')`),
    ).toBe('disc');
    await page.fill('#key', TEST_KEY);
    await page.click('#key-form button[type=submit]');
    await page.locator('#results tbody tr[data-flow-id]').first().waitFor();
    expect(await page.evaluate('Object.values(sessionStorage)')).toEqual([TEST_KEY]);
    expect(await page.evaluate('localStorage.length')).toBe(0);
    expect(await context.cookies()).toEqual([]);
    expect(await page.inputValue('#key')).toBe('');
    await expect(page.locator('#key-form').isHidden()).resolves.toBe(true);
    await expect(page.locator('#forget').isVisible()).resolves.toBe(true);
  });

  it('searches Failover OTP deliveries by phone and by tag, writing what it finds as text', async () => {
    await page.fill('#search [name=phone]', `+${otpPhone}`);
    await page.click('#search button[type=submit]');
    await page
      .locator('#search-summary')
      .filter({ hasText: /^2 deliveries/ })
      .waitFor();
    const rows = page.locator('#results tbody tr');
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-flow-id')))).toEqual([
      otpFlowId,
      otpFlowId,
    ]);
    // newest first: the SMS failover, then the Viber primary
    expect(
      await rows.evaluateAll((trs) => trs.map((tr) => [...tr.children].slice(2, 6).map((td) => td.textContent))),
    ).toEqual([
      ['failover', 'sms', otpPhone, 'Delivered'],
      ['primary', 'viber', otpPhone, 'EXPIRED'],
    ]);

    await page.fill('#search [name=phone]', '');
    await page.fill('#search [name=tag]', 'signup');
    await page.click('#search button[type=submit]');
    await page
      .locator('#search-summary')
      .filter({ hasText: /^1 delivery,/ })
      .waitFor();
    expect(await rows.evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-flow-id')))).toEqual([otherFlowId]);
    // the label shows as the characters it is, no element made of it
    expect(await rows.first().locator('td').nth(6).textContent()).toBe(markupTag);
    expect(await page.locator('#injected, #results img').count()).toBe(0);
  });

  it("opens a flow's timeline: its steps with statuses, times and prices, its verification, its dead webhooks", async () => {
    await page.fill('#search [name=tag]', 'console-login');
    await page.click('#search button[type=submit]');
    await page
      .locator('#search-summary')
      .filter({ hasText: /^2 deliveries/ })
      .waitFor();
    await page.locator('#results tbody tr').first().getByRole('button', { name: 'Open' }).click();
    await page.locator('#webhooks tbody tr').first().waitFor();
    expect(await page.textContent('#flow-id')).toBe(otpFlowId);
    const steps = page.locator('#steps li');
    expect(await steps.evaluateAll((lis) => lis.map((li) => li.getAttribute('data-role')))).toEqual([
      'primary',
      'failover',
    ]);
    const titles = await steps.locator('.step-title').allTextContents();
    expect(titles).toEqual([`primary · viber · EXPIRED ${otpPhone}`, `failover · sms · Delivered ${otpPhone}`]);
    const times = await steps.locator('.times').allTextContents();
    expect(times[1]).toMatch(/^created \d{4}-\d\d-\d\d \d\d:\d\d:\d\d · sent .* · delivered .*/);
    expect(await page.textContent('#flow-summary')).toContain('Succeeded');
    expect(await page.textContent('#flow-summary')).toContain('Verificationpending');
    const dead = page.locator('#webhooks tbody tr[data-state=dead]');
    expect(await dead.count()).toBe((await events(otpFlowId)).length);
    expect(await dead.first().textContent()).toContain('500');
    await shot('flow');
  });

  it('re-sends a dead webhook: the receiver, back up, gets it with the same id', async () => {
    receiver.respond = () => 200;
    const [first] = await events(otpFlowId);
    await page
      .locator(`#webhooks tbody tr[data-event-id="${first.id}"]`)
      .getByRole('button', { name: 'Resend' })
      .click();
    await page
      .locator('#message')
      .filter({ hasText: /re-sent: pending/ })
      .waitFor();
    await waitFor(
      'the re-sent event to be delivered',
      async () => receiver.delivered.some((h) => h.id === first.id),
      20_000,
    );
    await page.click('#flow-refresh');
    await page.locator(`#webhooks tbody tr[data-event-id="${first.id}"][data-state=delivered]`).waitFor();
    expect(await page.locator(`#webhooks tbody tr[data-event-id="${first.id}"] button`).count()).toBe(0);
    await shot('webhook-resent');
  });

  it('searches Failover API flows by tag and phone, and opens one: its messages, its webhook events, a resend', async () => {
    await page.selectOption('#search [name=surface]', 'failover');
    await page.fill('#search [name=tag]', 'console-api');
    await page.click('#search button[type=submit]');
    await page
      .locator('#search-summary')
      .filter({ hasText: /^1 Failover API flow,/ })
      .waitFor();
    expect(
      await page.locator('#results tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-flow-id'))),
    ).toEqual([apiFlowId]);
    await finalFlow(t.db, apiFlowId, 20_000);
    await page.locator('#results tbody tr').first().getByRole('button', { name: 'Open' }).click();
    await page.locator('#flow[data-kind=failover] #flow-id').filter({ hasText: apiFlowId }).waitFor();
    const titles = await page.locator('#steps li .step-title').allTextContents();
    expect(titles[0]).toMatch(/^step 1 · Sms · (Undelivered) \+\d+$/);
    expect(titles[1]).toMatch(/^step 2 · Voice · \S+ \+\d+$/);
    // the webhook routes take a Failover API flow's id too: its events listed, a dead one sent again
    const dead = await waitFor(
      'its events to die',
      async () => {
        const all = await events(apiFlowId);
        return all.length > 0 && all.every((e) => e.state === 'dead') && all;
      },
      20_000,
    );
    await page.click('#flow-refresh');
    await page
      .locator('#webhooks tbody tr[data-state=dead]')
      .nth(dead.length - 1)
      .waitFor();
    await shot('failover-api-flow');
    const attempts = () => apiReceiver.received.filter((h) => h.id === dead[0].id).length;
    expect(attempts()).toBe(2);
    await page
      .locator(`#webhooks tbody tr[data-event-id="${dead[0].id}"]`)
      .getByRole('button', { name: 'Resend' })
      .click();
    await page
      .locator('#message')
      .filter({ hasText: `Webhook event ${dead[0].id} re-sent: pending.` })
      .waitFor();
    await waitFor('the re-sent event to be tried again', async () => attempts() > 2, 20_000);

    await page.fill('#search [name=tag]', '');
    await page.fill('#search [name=phone]', apiPhone);
    await page.click('#search button[type=submit]');
    await page
      .locator('#search-summary')
      .filter({ hasText: /^1 Failover API flow,/ })
      .waitFor();
  });

  it('draws the stats as SVG bars, with the figures beside them', async () => {
    await page.getByRole('tab', { name: 'Stats' }).click();
    await page.locator('#stats-charts svg rect[data-series=flows]').first().waitFor();
    const stats = await t.http.get('/otp/stats').set(AUTH);
    const rows = await page
      .locator('#stats-table tbody tr')
      .evaluateAll((trs) =>
        trs.map((tr) => [tr.getAttribute('data-group'), tr.children[1].textContent, tr.children[5].textContent]),
      );
    expect(rows).toEqual([
      ...stats.body.groups.map((g: { key: string; flows: number; verified: number }) => [
        g.key,
        String(g.flows),
        String(g.verified),
      ]),
      ['total', String(stats.body.total.flows), String(stats.body.total.verified)],
    ]);
    const bars = await page.locator('#stats-charts svg rect[data-series]').count();
    expect(bars).toBe(stats.body.groups.length * 5);
    await shot('stats');
  });

  it('lists the pumping block and lifts it: sends to the prefix go through again', async () => {
    await page.getByRole('tab', { name: 'Pumping blocks' }).click();
    const row = page.locator('#blocks tbody tr[data-prefix="4479"]');
    await row.waitFor();
    expect(await row.getAttribute('data-state')).toBe('in_force');
    expect(await row.textContent()).toContain('0 / 50');
    await shot('pumping');
    await row.getByRole('button', { name: 'Lift' }).click();
    await page
      .locator('#pumping-summary')
      .filter({ hasText: /^No block in force/ })
      .waitFor();
    expect(await page.textContent('#message')).toBe('Block on +4479 lifted: sends to it go through at once.');
    const { rows } = await t.db.query(`SELECT lifted_at FROM pumping_blocks WHERE prefix = '4479'`);
    expect(rows[0].lifted_at).toBeInstanceOf(Date);
    expect(await sendUnder('4479')).toBe(200);
  });

  it('forgets the key: gone from the session, the data cleared from the page', async () => {
    await page.click('#forget');
    expect(await page.evaluate('sessionStorage.length')).toBe(0);
    await expect(page.locator('#app').isHidden()).resolves.toBe(true);
    expect(await page.locator('#results tbody tr, #blocks tbody tr, #steps li').count()).toBe(0);
    // a reload asks for a key again
    await page.reload();
    await expect(page.locator('#key-form').isVisible()).resolves.toBe(true);
    await expect(page.locator('#app').isHidden()).resolves.toBe(true);
  });

  it('met no script error and no CSP violation on the way; the one refused request was the wrong key', () => {
    expect(problems).toEqual([]);
    expect(failed).toEqual(['401 /otp/failover?limit=1']);
  });
});
