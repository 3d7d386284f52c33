/**
 * One load cell: autocannon, driven programmatically, against one URL with a fixed number of keep-alive
 * connections for a fixed time. Each response is checked (a 200 carrying a whole answer), its exact
 * latency recorded, and Keel's trail headers read, which is how the failover scenario learns how many
 * attempts went to the dead primary. The per-response work is the same in every scenario, so it costs
 * every row of the table alike.
 */
import type { IncomingHttpHeaders } from 'node:http';
import autocannon from 'autocannon';
import { LatencyRecorder, type LatencySummary } from './latency.js';
import { CLIENT_CALLS, type Dialect, type Mode } from './requests.js';

export interface LoadSpec {
  origin: string;
  mode: Mode;
  connections: number;
  durationS: number;
  model?: string;
  /** Extra headers for each request in turn (e.g. one virtual key each); every request alike when unset. */
  requestHeaders?: Array<Record<string, string>> | undefined;
  /** The client's API; OpenAI Chat Completions when unset. */
  dialect?: Dialect | undefined;
}

export interface LoadResult {
  connections: number;
  durationS: number;
  /** Complete 200 answers. */
  ok: number;
  rps: number;
  /** Connection errors, timeouts, non-200 answers and 200s whose body was not a whole answer. */
  errors: number;
  latency: LatencySummary;
  /** Answers by `x-keel-deployment` (Keel only). */
  byDeployment: Record<string, number>;
  /** What the errors were ("status 503", "incomplete 200", "connection errors", "timeouts"), with one sample body. */
  errorKinds: Record<string, number>;
  errorSample?: string;
  /** Σ (x-keel-attempts − 1): attempts beyond the one that answered, i.e. on a failing deployment. */
  extraAttempts: number;
}

/**
 * Each request of the whole run takes the next headers in turn, whichever connection sends it. (A list of
 * requests would be walked by every connection from its start: all connections on the first key at once,
 * then all on the second — a herd on each key's first use, not many keys in turn.)
 */
function inTurn(list: Array<Record<string, string>> | undefined): { setupRequest?: (request: autocannon.Request) => autocannon.Request } {
  if (list === undefined || list.length === 0) return {};
  let next = 0;
  return {
    setupRequest: (request) => {
      const extra = list[next]!;
      next = (next + 1) % list.length;
      return { ...request, headers: { ...request.headers, ...extra } };
    },
  };
}

export async function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const call = CLIENT_CALLS[spec.dialect ?? 'openai'];
  const latency = new LatencyRecorder();
  const byDeployment: Record<string, number> = {};
  let ok = 0;
  let incomplete = 0;
  let extraAttempts = 0;
  const errorKinds: Record<string, number> = {};
  let errorSample: string | undefined;
  const onResponse = (status: number, body: string, _context: object, headers: IncomingHttpHeaders | undefined): void => {
    const attempts = Number(headers?.['x-keel-attempts']);
    if (attempts > 1) extraAttempts += attempts - 1;
    if (!call.isComplete(spec.mode, status, body)) {
      if (status === 200) incomplete += 1;
      const kind = status === 200 ? 'incomplete 200' : `status ${status}`;
      errorKinds[kind] = (errorKinds[kind] ?? 0) + 1;
      errorSample ??= body.slice(0, 400);
      return;
    }
    ok += 1;
    const deployment = headers?.['x-keel-deployment'];
    if (typeof deployment === 'string') byDeployment[deployment] = (byDeployment[deployment] ?? 0) + 1;
  };
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon(
      {
        url: spec.origin,
        connections: spec.connections,
        duration: spec.durationS,
        pipelining: 1,
        timeout: 10, // s: no answer here takes more than milliseconds; 10 s means something is stuck
        requests: [{ method: 'POST', path: call.path, headers: call.headers, body: call.body(spec.mode, spec.model), onResponse, ...inTurn(spec.requestHeaders) }],
      },
      (err: unknown, res: autocannon.Result) => (err === null || err === undefined ? resolve(res) : reject(err instanceof Error ? err : new Error(String(err)))),
    );
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      if (statusCode === 200) latency.record(responseTimeMs);
    });
  });
  // autocannon counts a timeout as an error too.
  const errors = result.errors + result.non2xx + incomplete;
  if (result.errors > result.timeouts) errorKinds['connection errors'] = result.errors - result.timeouts;
  if (result.timeouts > 0) errorKinds['timeouts'] = result.timeouts;
  return {
    connections: spec.connections,
    durationS: result.duration,
    ok,
    rps: Math.round(ok / result.duration),
    errors,
    latency: latency.summary(),
    byDeployment,
    extraAttempts,
    errorKinds,
    ...(errorSample === undefined ? {} : { errorSample }),
  };
}
