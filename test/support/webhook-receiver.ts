import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ReceivedWebhook {
  id: string;
  type: string;
  attempt: number;
  signature?: string;
  /** every header as received (lower-case names): the Standard Webhooks ones among them */
  headers: IncomingHttpHeaders;
  body: string;
  json: {
    flowId: string;
    status: string;
    statusCode: number | null;
    steps: { role: string; status: string; trackingId: string | null }[];
  };
  /** what the receiver answered */
  answered: number;
  at: number;
}

/** decides the answer to one request: a status code, or 'hang' to never answer */
export type Responder = (hook: Omit<ReceivedWebhook, 'answered'>, req: IncomingMessage) => number | 'hang';

/** A local integrator endpoint that records every webhook POST and answers as told. */
export class WebhookReceiver {
  readonly received: ReceivedWebhook[] = [];
  respond: Responder = () => 200;
  private server!: Server;
  private readonly sockets = new Set<Socket>();
  url = '';

  async start(): Promise<this> {
    this.server = createServer((req, res) => void this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/otp-events`;
    return this;
  }

  /** deliveries answered 2xx, in arrival order */
  get delivered(): ReceivedWebhook[] {
    return this.received.filter((r) => r.answered >= 200 && r.answered < 300);
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks).toString('utf8');
    const hook = {
      id: String(req.headers['x-webhook-id']),
      type: String(req.headers['x-webhook-event']),
      attempt: Number(req.headers['x-webhook-attempt']),
      signature: req.headers['x-webhook-signature'] as string | undefined,
      headers: req.headers,
      body,
      json: JSON.parse(body),
      at: Date.now(),
    };
    const answer = this.respond(hook, req);
    if (answer === 'hang') {
      this.received.push({ ...hook, answered: 0 });
      return; // never answered: the gateway's timeout must end it
    }
    this.received.push({ ...hook, answered: answer });
    res.writeHead(answer, answer >= 300 && answer < 400 ? { location: `${this.url}/elsewhere` } : {}).end('ok');
  }
}
