/**
 * One request at a time on one keep-alive connection (undici Client), timed from sending the request to
 * the first body chunk and to the end of the answer. A gateway that buffered a stream, or waited for more
 * than the first event, shows in the first and not in autocannon's whole-response latency. Bounded by a
 * count and by a wall-clock limit.
 *
 * `measureTtfb` times one server's streams for a scenario's row: 500 streams take under half a second, so
 * one background burst or collection on the shared machine moves its p50 (one run read Keel's failover
 * route, which does more per request, 0.23 ms faster than the single route measured a minute earlier).
 * `oneAtATimeInTurns` times the simulator, the bare proxy and Keel alternately in short rounds, so all
 * three see the same moments of the machine; the TTFB target reads it (floor-turns.ts).
 */
import { Client } from 'undici';
import { LatencyRecorder, type LatencySummary } from './latency.js';
import { OPENAI_CALL, type ClientCall, type Mode } from './requests.js';

export interface TtfbResult {
  /** Request sent → first body chunk. */
  ttfb: LatencySummary;
  /** Request sent → end of the stream. */
  total: LatencySummary;
  errors: number;
}

const WARMUP_REQUESTS = 50; // not recorded: the connection and both ends' JIT warm up
const TIME_LIMIT_MS = 30_000; // an answer here takes well under a millisecond or two; 30 s means trouble

/** One request's first-byte and whole-answer times, or undefined when it failed or came back incomplete. */
async function timeOne(client: Client, call: ClientCall, mode: Mode, body: string): Promise<{ firstMs: number; totalMs: number } | undefined> {
  const startedAt = performance.now();
  let firstAt = Number.NaN;
  let text = '';
  let status = 0;
  try {
    const res = await client.request({ method: 'POST', path: call.path, headers: call.headers, body });
    status = res.statusCode;
    for await (const chunk of res.body) {
      if (Number.isNaN(firstAt)) firstAt = performance.now();
      text += (chunk as Buffer).toString('utf8');
    }
  } catch {
    return undefined;
  }
  const endAt = performance.now();
  return call.isComplete(mode, status, text) ? { firstMs: firstAt - startedAt, totalMs: endAt - startedAt } : undefined;
}

export async function measureTtfb(origin: string, count: number, model?: string, call: ClientCall = OPENAI_CALL): Promise<TtfbResult> {
  const client = new Client(origin, { pipelining: 1 });
  const body = call.body('stream', model);
  const ttfb = new LatencyRecorder();
  const total = new LatencyRecorder();
  let errors = 0;
  const deadline = Date.now() + TIME_LIMIT_MS;
  try {
    for (let i = 0; i < WARMUP_REQUESTS + count && Date.now() < deadline; i++) {
      const timed = await timeOne(client, call, 'stream', body);
      if (timed === undefined) errors += 1;
      else if (i >= WARMUP_REQUESTS) {
        ttfb.record(timed.firstMs);
        total.record(timed.totalMs);
      }
    }
  } finally {
    await client.close();
  }
  return { ttfb: ttfb.summary(), total: total.summary(), errors };
}

export interface TurnsTarget {
  name: string;
  url: string;
}

export interface OneAtATimeTurns {
  mode: Mode;
  rounds: number;
  perRound: number;
  /** Per target, in the order given, every round's samples pooled: to the first body chunk, and to the answer's end. */
  targets: Array<{ name: string; first: LatencySummary; total: LatencySummary; errors: number }>;
}

/**
 * The targets one request at a time, in turns: each gets its own keep-alive connection and warm-up, then
 * every round each target in turn answers `perRound` requests, the order rotating by one each round.
 */
export async function oneAtATimeInTurns(targets: TurnsTarget[], mode: Mode, rounds: number, perRound: number, call: ClientCall = OPENAI_CALL): Promise<OneAtATimeTurns> {
  const body = call.body(mode);
  const sides = targets.map((t) => ({ ...t, client: new Client(t.url, { pipelining: 1 }), first: new LatencyRecorder(), total: new LatencyRecorder(), errors: 0 }));
  const deadline = Date.now() + TIME_LIMIT_MS;
  try {
    for (const side of sides) for (let i = 0; i < WARMUP_REQUESTS; i++) await timeOne(side.client, call, mode, body);
    for (let round = 0; round < rounds && Date.now() < deadline; round++) {
      for (let k = 0; k < sides.length; k++) {
        const side = sides[(round + k) % sides.length]!;
        for (let i = 0; i < perRound; i++) {
          const timed = await timeOne(side.client, call, mode, body);
          if (timed === undefined) side.errors += 1;
          else {
            side.first.record(timed.firstMs);
            side.total.record(timed.totalMs);
          }
        }
      }
    }
  } finally {
    await Promise.all(sides.map((s) => s.client.close()));
  }
  return { mode, rounds, perRound, targets: sides.map((s) => ({ name: s.name, first: s.first.summary(), total: s.total.summary(), errors: s.errors })) };
}
