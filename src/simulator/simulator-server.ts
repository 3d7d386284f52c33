/**
 * The simulator's HTTP server and lifecycle: binds node:http on loopback, dispatches to the control API
 * or the provider handlers, and owns every socket. Sockets are tracked because faults like `hang` and
 * `stream_stall` keep connections open on purpose; `stopListening()` and `close()` destroy them all so
 * neither a test nor a drill ever waits on a connection the simulator itself is holding.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { handleControl } from './control-api.js';
import { VendorStatusPage } from './vendor-status-page.js';
import { FaultBook, parseFaultSpec, seededRandom } from './faults.js';
import { sendJson } from './http-io.js';
import { handleGenerate, handleListModels, type SimulatorCore } from './provider-handler.js';
import { matchRoute } from './routes.js';
import { StatsRecorder } from './stats.js';
import type { FaultSpec, SimStats, Simulator, SimulatorOptions } from './types.js';

const DEFAULTS = {
  host: '127.0.0.1', // loopback only: the simulator is a test double, never a public service
  port: 0, // ephemeral, so parallel test files never collide
  seed: 1,
  tokenDelayMs: 0, // fastest mode, for benchmarks; tests that need pacing ask for it
} as const;

const ID_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/** Ids that look like the providers' but repeat from run to run for the same seed and request order. */
function idMaker(seed: number): (prefix: string) => string {
  const random = seededRandom(seed ^ 0x5eed5eed);
  return (prefix) => {
    let id = prefix;
    for (let i = 0; i < 24; i += 1) id += ID_ALPHABET[Math.floor(random() * ID_ALPHABET.length)] ?? 'x';
    return id;
  };
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

function notFound(req: IncomingMessage, res: ServerResponse, path: string): void {
  // OpenAI's shape, the one most clients (and openai-compatible servers) understand.
  sendJson(res, 404, {
    error: { message: `Invalid URL (${req.method ?? 'GET'} ${path})`, type: 'invalid_request_error', param: null, code: null },
  });
}

export async function startSimulator(opts: SimulatorOptions = {}): Promise<Simulator> {
  const host = opts.host ?? DEFAULTS.host;
  const seed = opts.seed ?? DEFAULTS.seed;
  const core: SimulatorCore = {
    faults: new FaultBook(seed),
    stats: new StatsRecorder(),
    apiKey: opts.apiKey,
    aws: opts.aws,
    googleToken: opts.googleToken,
    googleServiceAccount: opts.googleServiceAccount,
    tokenDelayMs: opts.tokenDelayMs ?? DEFAULTS.tokenDelayMs,
    models: new Map((opts.models ?? []).map((spec) => [spec.name, spec])),
    newId: idMaker(seed),
  };
  const vendorStatus = new VendorStatusPage();

  const onRequest = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    // One signal per request: aborted when the response closes, finished or not, so every pause and
    // wait of this request ends when its client leaves or the simulator destroys the socket.
    const controller = new AbortController();
    res.once('close', () => controller.abort());
    const url = new URL(req.url ?? '/', 'http://simulator.invalid');
    if (url.pathname.startsWith('/_sim/')) return handleControl(req, res, url.pathname, { ...core, vendorStatus });
    if (req.method === 'GET' && url.pathname.startsWith('/api/v2/')) {
      const ifNoneMatch = req.headers['if-none-match'];
      const answer = vendorStatus.handle(url.pathname, typeof ifNoneMatch === 'string' ? ifNoneMatch : undefined);
      if (answer !== undefined) {
        res.writeHead(answer.status, answer.headers).end(answer.body);
        return;
      }
    }
    const route = matchRoute(req.method ?? 'GET', url, req.headers);
    if (route === null) return notFound(req, res, url.pathname);
    if (route.kind === 'list-models') return handleListModels(req, res, url, route, core);
    return handleGenerate(req, res, url, route, core, controller.signal);
  };

  const server = createServer((req, res) => {
    onRequest(req, res).catch((error: unknown) => {
      if (res.headersSent) {
        res.destroy();
        return;
      }
      const message = error instanceof Error ? error.message : String(error);
      sendJson(res, 500, { error: { message: `simulator failure: ${message}`, type: 'server_error', param: null, code: null } });
    });
  });
  const sockets = new Set<Socket>();
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });

  await listen(server, opts.port ?? DEFAULTS.port, host);
  const port = (server.address() as AddressInfo).port;
  const urlHost = host.includes(':') ? `[${host}]` : host;
  let closed = false;

  const stopListening = async (): Promise<void> => {
    const serverClosed = server.listening
      ? new Promise<void>((resolve) => server.close(() => resolve()))
      : Promise.resolve();
    for (const socket of sockets) socket.destroy();
    await serverClosed;
  };

  return {
    url: `http://${urlHost}:${port}`,
    port,
    vendorStatus,
    // Validated like the control API's faults, for callers outside the type checker (JS, YAML drills).
    setFault: (model: string, fault: FaultSpec | null) => core.faults.set(model, fault === null ? null : parseFaultSpec(fault)),
    clearFaults: () => core.faults.clear(),
    stats: (): SimStats => core.stats.snapshot(),
    resetStats: () => core.stats.reset(),
    stopListening,
    resumeListening: async () => {
      if (closed) throw new Error('the simulator is closed; start a new one');
      if (!server.listening) await listen(server, port, host);
    },
    close: async () => {
      closed = true;
      await stopListening();
    },
  };
}
