// Helpers shared by the benchmark scripts: a closed-loop HTTP load generator
// (undici, N connections, no pipelining), statistics, and child processes.
import { spawn, fork } from 'node:child_process';
import { createHash } from 'node:crypto';
import { appendFileSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { Pool } from 'undici';

/**
 * Closed loop: `connections` lanes, each sending its next request when the
 * previous answer has been read. `request(i)` returns {method, path, headers, body}.
 */
export async function load({ origin, connections = 50, durationMs, count, request, expectStatus = 200 }) {
  const pool = new Pool(origin, { connections, pipelining: 1, keepAliveTimeout: 30_000 });
  const latencies = [];
  let errors = 0;
  let bad = 0;
  let badSample;
  let bytes = 0;
  let issued = 0;
  const started = performance.now();
  const deadline = durationMs ? started + durationMs : Infinity;
  const lane = async () => {
    for (;;) {
      if (performance.now() >= deadline) return;
      if (count !== undefined && issued >= count) return;
      const i = issued++;
      const req = request(i);
      const t0 = performance.now();
      try {
        const res = await pool.request({
          method: req.method ?? 'GET',
          path: req.path,
          headers: req.headers,
          body: req.body,
        });
        const text = await res.body.text();
        latencies.push(performance.now() - t0);
        bytes += text.length;
        if (res.statusCode !== expectStatus) {
          bad++;
          badSample ??= `${res.statusCode} ${text.slice(0, 200)}`;
        }
      } catch (err) {
        errors++;
        badSample ??= String(err);
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, lane));
  const elapsed = performance.now() - started;
  await pool.close();
  latencies.sort((a, b) => a - b);
  return {
    requests: latencies.length,
    rps: latencies.length / (elapsed / 1000),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    errors,
    bad,
    badSample,
    meanBytes: latencies.length ? bytes / latencies.length : 0,
  };
}

/** nearest-rank percentile of an ascending array */
export function percentile(sorted, p) {
  if (sorted.length === 0) return NaN;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))];
}

export function median(values) {
  const s = [...values].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
}

export async function freePort() {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => resolve(port));
    });
  });
}

export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `node script` and resolves once a stdout line matches `ready`
 * (the match is returned). The child's output is kept (last lines) for errors.
 */
export function startChild({ script, args = [], env, ready, nodeArgs = [], ipc = false, timeoutMs = 60_000, name }) {
  const stdio = ipc ? ['ignore', 'pipe', 'pipe', 'ipc'] : ['ignore', 'pipe', 'pipe'];
  const child = ipc
    ? fork(script, args, { env: { ...process.env, ...env }, stdio, execArgv: nodeArgs })
    : spawn(process.execPath, [...nodeArgs, script, ...args], { env: { ...process.env, ...env }, stdio });
  const tail = [];
  const keep = (chunk) => {
    for (const line of chunk.toString().split('\n')) {
      if (!line) continue;
      tail.push(line);
      if (tail.length > 40) tail.shift();
    }
  };
  child.stderr.on('data', keep);
  // BENCH_CHILD_LOG=file: every child's output is also appended there (debugging)
  if (process.env.BENCH_CHILD_LOG) {
    const copy = (chunk) => appendFileSync(process.env.BENCH_CHILD_LOG, `[${name}] ${chunk}`);
    child.stdout.on('data', copy);
    child.stderr.on('data', copy);
  }
  return new Promise((resolve, reject) => {
    let buf = '';
    let done = false;
    const timer = setTimeout(() => fail(new Error(`${name}: not ready after ${timeoutMs} ms`)), timeoutMs);
    const fail = (err) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(new Error(`${err.message}\n--- ${name} output ---\n${tail.join('\n')}`));
    };
    child.once('exit', (code, signal) => fail(new Error(`${name} exited (${code ?? signal}) before it was ready`)));
    child.stdout.on('data', (chunk) => {
      keep(chunk);
      if (done) return;
      buf += chunk.toString();
      const m = buf.match(ready);
      if (m) {
        done = true;
        clearTimeout(timer);
        child.removeAllListeners('exit');
        buf = '';
        resolve({ child, match: m, readyAt: Date.now(), tail });
      }
    });
  });
}

/** SIGTERM, then SIGKILL after `graceMs` */
export async function stopChild(child, graceMs = 10_000) {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

/** peak resident set size of a live process, in MB (VmHWM) */
export function peakRssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = status.match(/VmHWM:\s+(\d+)\s+kB/);
  return m ? Number(m[1]) / 1024 : NaN;
}

export function rssMb(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = status.match(/VmRSS:\s+(\d+)\s+kB/);
  return m ? Number(m[1]) / 1024 : NaN;
}

/** CPU time (user + system) a live process has used so far, in ms, and its write system calls */
export function processCost(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const [utime, stime] = [Number(fields[11]), Number(fields[12])]; // fields 14, 15 of proc(5)
  const io = readFileSync(`/proc/${pid}/io`, 'utf8');
  return {
    cpuMs: ((utime + stime) * 1000) / CLOCK_TICKS,
    sysMs: (stime * 1000) / CLOCK_TICKS,
    writes: Number(io.match(/syscw:\s+(\d+)/)?.[1] ?? NaN),
  };
}

/** USER_HZ: 100 on Linux */
const CLOCK_TICKS = 100;

/**
 * How fast this machine is right now: the median time of a fixed CPU task (JSON and hashing, 110-130 ms on
 * the bench machine). Shared machines drift: the same code has given the worker figure 35 % apart an
 * hour apart, with the sandbox's untouched code using 25 % more CPU per step. Lower is faster.
 */
export function calibrationMs() {
  const item = {
    flowId: '0f8fad5b-d9cb-469f-a165-70867728950e',
    status: 'InProgress',
    steps: [{ role: 'primary', status: 'QUEUED', price: 0.02 }],
  };
  const times = [];
  for (let round = 0; round < 5; round++) {
    const t0 = process.hrtime.bigint();
    for (let i = 0; i < 20_000; i++) {
      const text = JSON.stringify({ ...JSON.parse(JSON.stringify(item)), i });
      createHash('sha256').update(text).digest('hex');
    }
    times.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(times);
}

/**
 * A bulk load's frame, as the list, search and stats phases do it: the named indexes of flows and steps dropped
 * (a load of 1M rows into indexed tables is several times slower), `load()` run with synchronous_commit off, the
 * indexes built again, the tables analysed, and the load's dirty pages written now rather than by a checkpoint
 * during the first queries. Answers the seconds the rows and the indexes took.
 */
export async function loadWithoutIndexes(admin, indexNames, load) {
  const t0 = Date.now();
  const { rows: defs } = await admin.query(
    `SELECT indexname, indexdef FROM pg_indexes WHERE tablename IN ('flows', 'steps', 'failover_search') AND indexname = ANY($1)`,
    [indexNames],
  );
  await admin.query(`SET maintenance_work_mem = '256MB'`);
  await admin.query(`SET synchronous_commit = off`);
  for (const d of defs) await admin.query(`DROP INDEX ${d.indexname}`);
  await load();
  const loadedAt = Date.now();
  for (const d of defs) await admin.query(d.indexdef);
  await admin.query(`VACUUM ANALYZE flows`);
  await admin.query(`VACUUM ANALYZE steps`);
  await admin.query(`VACUUM ANALYZE failover_search`);
  await admin.query(`CHECKPOINT`);
  return { rowsSec: (loadedAt - t0) / 1000, indexesSec: (Date.now() - loadedAt) / 1000 };
}

// ---------------------------------------------------------------- request bodies
/** a Failover OTP send (POST /otp/send-failover): Viber OTP, then SMS, to one number (digits, no +) */
export function sendBody(to, viberTtl = 60) {
  return JSON.stringify({
    flow: [
      {
        type: 'ViberOtp',
        to: `+${to}`,
        order: 1,
        ttl: viberTtl,
        label: 'login',
        senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
        templateId: '0aac888f-2ee2-4112-9659-1755a951966a',
        templateLang: 'en',
        pin: '482913',
      },
      {
        type: 'Sms',
        to: `+${to}`,
        order: 2,
        ttl: 300,
        label: 'login',
        from: 'Acme',
        message: { body: 'Your code is 482913' },
      },
    ],
  });
}

/** Routee's Failover API: seed 004's three steps, Sms → Voice → Viber, to one number */
export function failoverBody(to) {
  return JSON.stringify({
    flow: [
      { type: 'Sms', order: 1, from: 'Acme', to: `+${to}`, ttl: 30, message: { body: 'Your code is 482913' } },
      {
        type: 'Voice',
        order: 2,
        from: 'Acme',
        to: { phone: `+${to}` },
        dialPlan: {
          verbs: [{ type: 'SAY', message: { language: 'en-US', gender: 'female', text: 'Your code is 4 8 2 9 1 3' } }],
        },
        machineDetection: { strategy: 'Hangup' },
        failoverOnStatuses: ['Busy', 'NoAnswer'],
      },
      {
        type: 'Viber',
        order: 3,
        senderInfoTrackingId: '0094d198-4dd2-4fb5-b451-d46aca191b27',
        to: `+${to}`,
        ttl: 10,
        message: { text: 'Your code is 482913' },
      },
    ],
  });
}
