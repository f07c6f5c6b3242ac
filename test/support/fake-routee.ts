import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

export interface RecordedRequest {
  method: string;
  /** path and query, as sent */
  url: string;
  headers: IncomingHttpHeaders;
  /** the raw body text */
  text: string;
  /** the body parsed as JSON, when it is JSON */
  json?: unknown;
}

export interface FakeAnswer {
  status: number;
  body: unknown;
}

export interface FakeRoutee {
  url: string;
  requests: RecordedRequest[];
  /** requests to `METHOD /path` (query ignored) */
  requestsTo(route: string): RecordedRequest[];
  /** answer `METHOD /path` (query ignored) with `answer` instead of the default given at start (unknown routes: 404) */
  answer(route: string, answer: FakeAnswer | ((req: RecordedRequest) => FakeAnswer)): void;
  /** forget the requests and the answers set with answer() */
  reset(): void;
  close(): Promise<void>;
}

const routeOf = (method: string, url: string) => `${method} ${url.split('?')[0]}`;

/**
 * A Routee stand-in that answers with Routee's documented bodies (test/fixtures/routee-reference.ts)
 * and records every request exactly as it arrived: what the contract tests compare with Routee's reference.
 */
export async function startFakeRoutee(
  defaults: Record<string, FakeAnswer | ((req: RecordedRequest) => FakeAnswer)>,
): Promise<FakeRoutee> {
  const requests: RecordedRequest[] = [];
  let overrides: Record<string, FakeAnswer | ((req: RecordedRequest) => FakeAnswer)> = {};
  const server: Server = createServer((req, res) => {
    let text = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => (text += chunk));
    req.on('end', () => {
      let json: unknown;
      try {
        json = text ? JSON.parse(text) : undefined;
      } catch {
        json = undefined;
      }
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        text,
        json,
      };
      requests.push(recorded);
      const route = routeOf(recorded.method, recorded.url);
      const configured = overrides[route] ?? defaults[route];
      const answer =
        typeof configured === 'function'
          ? configured(recorded)
          : (configured ?? { status: 404, body: { code: '404000000', developerMessage: 'Not found' } });
      res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    requestsTo: (route) => requests.filter((r) => routeOf(r.method, r.url) === route),
    answer: (route, answer) => {
      overrides[route] = answer;
    },
    reset: () => {
      requests.length = 0;
      overrides = {};
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
