// The Routee sandbox for the benchmark, in its own process (so that it does not
// share an event loop with the load generator). It timestamps, for the reaction
// benchmark, each terminal Viber delivery report it posts and each SMS it takes,
// and hands them to the parent over IPC. It counts the tracking requests it
// answers (for the get phase), and keeps the Viber messages to numbers starting
// BENCH_PENDING_PREFIX SENT for good (the get phase's pending flows).
import { createRequire } from 'node:module';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const dist = join(process.cwd(), 'dist/apps/routee-sandbox/src');
const { startSandbox } = require(join(dist, 'sandbox.js'));
const { CallbackSender } = require(join(dist, 'callback-sender.service.js'));
const { MessageService } = require(join(dist, 'message.service.js'));
const scenarios = require(join(dist, 'scenarios.js'));

const VIBER_TERMINAL = new Set(['EXPIRED', 'UNDELIVERED', 'FAILED', 'UNSENT']);
/** phone digits → ms (performance.timeOrigin-based) */
const viberCallbackAt = new Map();
const smsSentAt = new Map();
const viberTo = new Map();

const PENDING_PREFIX = process.env.BENCH_PENDING_PREFIX;
const viberOutcome = scenarios.viberOutcome;
// message.service.js reads the export at each call ((0, scenarios_1.viberOutcome)(…)): SENT, then nothing
scenarios.viberOutcome = (to, timing) =>
  PENDING_PREFIX && to.replace(/\D/g, '').startsWith(PENDING_PREFIX)
    ? {
        kind: 'accepted',
        timeline: [
          {
            name: 'SENT',
            reason: { detailedStatus: 'Sent', description: 'The message was sent to Viber.' },
            atMs: Math.floor(timing.statusDelayMs / 2),
          },
        ],
      }
    : viberOutcome(to, timing);

let trackings = 0;
for (const name of ['viberTracking', 'smsTracking']) {
  const track = MessageService.prototype[name];
  MessageService.prototype[name] = function (...args) {
    trackings++;
    return track.apply(this, args);
  };
}

const post = CallbackSender.prototype.post;
CallbackSender.prototype.post = function (url, payload) {
  const name = payload?.status?.name;
  if (payload?.trackingId && VIBER_TERMINAL.has(name)) {
    const to = viberTo.get(payload.trackingId);
    if (to) viberCallbackAt.set(to, performance.now());
  }
  return post.call(this, url, payload);
};
const sendViberOtp = MessageService.prototype.sendViberOtp;
MessageService.prototype.sendViberOtp = function (raw) {
  const answer = sendViberOtp.call(this, raw);
  viberTo.set(answer.trackingId, String(answer.to).replace(/\D/g, ''));
  return answer;
};
const sendSms = MessageService.prototype.sendSms;
MessageService.prototype.sendSms = function (raw) {
  const answer = sendSms.call(this, raw);
  const to = String(answer.to).replace(/\D/g, '');
  if (!smsSentAt.has(to)) smsSentAt.set(to, performance.now());
  return answer;
};

const sandbox = await startSandbox({
  port: 0,
  latencyMs: 0,
  statusDelayMs: Number(process.env.BENCH_STATUS_DELAY_MS ?? 300),
  seenDelayMs: Number(process.env.BENCH_SEEN_DELAY_MS ?? 100),
});

process.on('message', (msg) => {
  if (msg.type === 'reaction') {
    const pairs = [];
    for (const to of msg.numbers) {
      const cb = viberCallbackAt.get(to);
      const sms = smsSentAt.get(to);
      pairs.push({ to, callbackAt: cb ?? null, smsAt: sms ?? null });
    }
    process.send({ type: 'reaction', id: msg.id, pairs });
  } else if (msg.type === 'viber-callback') {
    // the Routee application's Viber callback URL (set in Routee's portal; /viber/otp takes none per message)
    sandbox.state.setViberCallbackUrl(msg.url);
    process.send({ type: 'viber-callback', id: msg.id });
  } else if (msg.type === 'counts') {
    const s = sandbox.state.stats();
    process.send({
      type: 'counts',
      id: msg.id,
      counts: s.counts,
      callbacksPosted: s.callbacksPosted,
      tokensIssued: s.tokensIssued,
      trackings,
    });
  }
});
process.once('SIGTERM', () => sandbox.close().then(() => process.exit(0)));
process.once('disconnect', () => sandbox.close().then(() => process.exit(0)));
console.log(
  'BENCH_SANDBOX_READY ' + JSON.stringify({ url: sandbox.url, appId: sandbox.appId, appSecret: sandbox.appSecret }),
);
