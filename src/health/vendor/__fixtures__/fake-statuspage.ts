/**
 * A fake Atlassian Statuspage on 127.0.0.1 port 0, for the poller's tests and the end-to-end tests: it
 * serves `/api/v2/summary.json` and `/api/v2/incidents.json` from the incidents and components a test
 * sets, answers conditional requests with 304 when nothing changed, and can misbehave on demand (hang,
 * 500, malformed JSON, a huge body).
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FakeStatuspageMode = 'ok' | 'hang' | 'error500' | 'malformed' | 'huge';

export interface FakeIncidentUpdate {
  status: string;
  body: string;
  at: number;
}

export interface FakeIncident {
  id: string;
  name: string;
  impact: 'none' | 'minor' | 'major' | 'critical';
  components: string[];
  updates: FakeIncidentUpdate[];
  resolvedAt?: number;
}

export interface FakeStatuspage {
  url: string;
  mode: FakeStatuspageMode;
  components: { name: string; status: string }[];
  incidents: FakeIncident[];
  /** Requests by path, and how many of them were answered 304. */
  readonly requests: { path: string; conditional: boolean }[];
  /** Call after changing incidents or components: the documents get a new ETag. */
  changed(): void;
  close(): Promise<void>;
}

const iso = (ms: number): string => new Date(ms).toISOString();

function incidentJson(i: FakeIncident): Record<string, unknown> {
  const last = i.updates.at(-1);
  return {
    id: i.id,
    name: i.name,
    status: last?.status ?? 'investigating',
    impact: i.impact,
    created_at: iso(i.updates[0]?.at ?? 0),
    started_at: iso(i.updates[0]?.at ?? 0),
    resolved_at: i.resolvedAt === undefined ? null : iso(i.resolvedAt),
    shortlink: `https://stspg.example/${i.id}`,
    incident_updates: [...i.updates].reverse().map((u, n) => ({ id: `${i.id}-u${n}`, status: u.status, body: u.body, created_at: iso(u.at), display_at: iso(u.at) })),
    components: i.components.map((name) => ({ id: name, name, status: 'major_outage' })),
    extra_vendor_field: { kept: 'ignored' },
  };
}

export async function startFakeStatuspage(): Promise<FakeStatuspage> {
  let version = 1;
  const hanging = new Set<ServerResponse>();
  const page: FakeStatuspage = {
    url: '',
    mode: 'ok',
    components: [],
    incidents: [],
    requests: [],
    changed: () => void (version += 1),
    close: async () => {
      for (const res of hanging) res.destroy();
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
  const answer = (req: IncomingMessage, res: ServerResponse): void => {
    const path = req.url ?? '/';
    const etag = `"v${version}"`;
    const conditional = req.headers['if-none-match'] === etag;
    page.requests.push({ path, conditional });
    if (page.mode === 'hang') return void hanging.add(res);
    if (page.mode === 'error500') return void res.writeHead(500, { 'content-type': 'text/html' }).end('<h1>Internal Server Error</h1>');
    if (page.mode === 'malformed') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"page": {"id": "x"}, "incidents": [ {"id": 1,');
    if (page.mode === 'huge') {
      res.writeHead(200, { 'content-type': 'application/json' });
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      let sent = 0;
      const more = (): void => {
        while (sent < 64 && res.write(chunk)) sent += 1;
        if (sent >= 64) res.end();
        else res.once('drain', more);
      };
      res.on('error', () => undefined);
      return more();
    }
    if (conditional) return void res.writeHead(304, { etag }).end();
    const incidents = page.incidents.map(incidentJson);
    const body =
      path === '/api/v2/summary.json'
        ? { page: { id: 'fake', name: 'Fake' }, components: page.components.map((c) => ({ id: c.name, ...c })), incidents: incidents.filter((i) => i['resolved_at'] === null) }
        : path === '/api/v2/incidents.json'
          ? { page: { id: 'fake', name: 'Fake' }, incidents }
          : undefined;
    if (body === undefined) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'application/json', etag }).end(JSON.stringify(body));
  };
  const server = createServer(answer);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  page.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return page;
}
