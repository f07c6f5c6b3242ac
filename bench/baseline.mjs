// The bare baseline the gateway is measured against: Fastify + pg + undici,
// none of the gateway's layers. It does the same work per request:
//   POST /otp/send-failover: bearer string compare, one transaction inserting a
//     flow row and its primary step row into the gateway's tables, the same
//     Routee (sandbox) Viber OTP call with an OAuth token cache, a response of
//     the gateway's shape and size;
//   GET /otp/failover/:id: the flow and its steps by primary key in one select;
//   POST /otp/verify: the same single-row check as the gateway's usual one: one prepared UPDATE counting the
//     check and answering the code's HMAC, compared in constant time, an answer of the gateway's shape.
// Its rows are written as already sent and not due (send_state 'sent', next_check_at NULL), so
// that no gateway worker of a later phase takes them for stranded sends and sends them again.
// Env: DATABASE_URL, ROUTEE_URL, ROUTEE_APP_ID, ROUTEE_APP_SECRET, API_KEY, PORT (0: free).
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import Fastify from 'fastify';
import pg from 'pg';
import { Agent, request } from 'undici';

const { DATABASE_URL, ROUTEE_URL, ROUTEE_APP_ID, ROUTEE_APP_SECRET, API_KEY, CODE_SECRET, VERIFY_MAX_ATTEMPTS } =
  process.env;
const MAX_ATTEMPTS = Number(VERIFY_MAX_ATTEMPTS ?? 5);
const db = new pg.Pool({ connectionString: DATABASE_URL, max: 10 });
const agent = new Agent({ keepAliveTimeout: 30_000, connections: 128 });
const bearer = `Bearer ${API_KEY}`;

let token;
let tokenInFlight;
async function getToken() {
  if (token && Date.now() < token.refreshAt) return token.value;
  tokenInFlight ??= (async () => {
    const res = await request(`${ROUTEE_URL}/oauth/token`, {
      dispatcher: agent,
      method: 'POST',
      headers: {
        authorization: `Basic ${Buffer.from(`${ROUTEE_APP_ID}:${ROUTEE_APP_SECRET}`).toString('base64')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials',
    });
    const body = await res.body.json();
    token = { value: body.access_token, refreshAt: Date.now() + body.expires_in * 1000 - 60_000 };
    return token.value;
  })().finally(() => (tokenInFlight = undefined));
  return tokenInFlight;
}

const app = Fastify({ logger: false, bodyLimit: 64 * 1024 });
app.addHook('onRequest', async (req, reply) => {
  if (req.headers.authorization !== bearer) return reply.code(401).send({ detail: 'Invalid or expired Bearer token' });
});

app.post('/otp/send-failover', async (req, reply) => {
  const steps = [...req.body.flow].sort((a, b) => a.order - b.order);
  const primary = steps[0];
  const id = randomUUID();
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO flows (id, status, definition, failover_on_delivered, api_key_id, next_check_at) VALUES ($1, 'InProgress', $2, false, 'bench', NULL)`,
      [id, JSON.stringify(steps)],
    );
    await client.query(
      `INSERT INTO steps (flow_id, role, channel, phone_number, label, status, send_state) VALUES ($1, 'primary', 'viber', $2, $3, 'QUEUED', 'sent')`,
      [id, primary.to, primary.label ?? null],
    );
    await client.query('COMMIT');
  } catch (err) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw err;
  } finally {
    client.release();
  }
  const res = await request(`${ROUTEE_URL}/viber/otp`, {
    dispatcher: agent,
    method: 'POST',
    headers: {
      accept: 'application/json',
      'content-type': 'application/json',
      authorization: `Bearer ${await getToken()}`,
    },
    body: JSON.stringify({
      senderInfoTrackingId: primary.senderInfoTrackingId,
      to: `+${primary.to.replace(/\D/g, '')}`,
      ttl: Math.max(30, primary.ttl),
      label: 'transactional',
      templateId: primary.templateId,
      templateParams: { pin: primary.pin },
      templateLang: primary.templateLang ?? 'en',
    }),
  });
  const sent = await res.body.json();
  return reply.send({
    flowId: id,
    status: 'InProgress',
    statusCode: null,
    type: 'Viber',
    flow: steps.map((s, i) => ({ ...s, to: s.to.replace(/\D/g, ''), trackingId: i === 0 ? sent.trackingId : null })),
    createdAt: new Date().toISOString(),
  });
});

app.post('/otp/verify', async (req, reply) => {
  const { id, code } = req.body;
  const { rows } = await db.query({
    name: 'verify',
    text: `UPDATE flows SET verify_attempts = verify_attempts + 1
            WHERE id = $1 AND verification_status = 'pending' AND verify_attempts < $2 AND (code_expires_at IS NULL OR code_expires_at > now())
            RETURNING code_hash, verify_attempts, code_expires_at`,
    values: [id, MAX_ATTEMPTS],
  });
  if (rows.length === 0) return reply.code(404).send({ detail: 'tracking not found' });
  const given = createHmac('sha256', CODE_SECRET).update(`${id}:${code}`).digest();
  const stored = Buffer.from(rows[0].code_hash, 'hex');
  const approved = given.length === stored.length && timingSafeEqual(given, stored);
  return reply.send({
    flowId: id,
    verification: {
      status: approved ? 'approved' : 'denied',
      attemptsLeft: Math.max(0, MAX_ATTEMPTS - rows[0].verify_attempts),
      expiresAt: rows[0].code_expires_at.toISOString(),
    },
  });
});

app.get('/otp/failover/:id', async (req, reply) => {
  const { rows } = await db.query(
    `SELECT f.id, f.status, f.status_code, s.tracking_id, s.role, s.status AS step_status, s.channel, s.phone_number, s.label,
            s.price, s.country, s.operator, s.created_at, s.sent_at, s.delivered_at, s.detailed_status
       FROM flows f JOIN steps s ON s.flow_id = f.id WHERE f.id = $1 ORDER BY s.role DESC`,
    [req.params.id],
  );
  if (rows.length === 0) return reply.code(404).send({ detail: 'tracking not found' });
  return reply.send({
    flowId: rows[0].id,
    status: rows[0].status,
    statusCode: rows[0].status_code,
    total_cost: rows.reduce((sum, r) => sum + (r.price ?? 0), 0),
    steps: rows.map((r) => ({
      trackingId: r.tracking_id,
      role: r.role,
      status: r.step_status,
      channel: r.channel,
      phone_number: r.phone_number,
      price: r.price ?? undefined,
      country: r.country ?? undefined,
      operator: r.operator ?? undefined,
      created_at: r.created_at,
      sent_at: r.sent_at ?? undefined,
      delivered_at: r.delivered_at ?? undefined,
      detailed_status: r.detailed_status ?? undefined,
      label: r.label ?? undefined,
    })),
  });
});

await app.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1' });
const stop = () =>
  app
    .close()
    .then(() => db.end())
    .then(() => agent.close())
    .then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
console.log(`BENCH_BASELINE_READY http://127.0.0.1:${app.server.address().port}`);
