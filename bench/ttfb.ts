/**
 * Time to first byte of streamed answers: one keep-alive connection (undici Client), one streamed request
 * at a time, timing from sending the request to the first body chunk, and to the end of the stream. A
 * gateway that buffered a stream, or waited for more than the first event, shows here and not in
 * autocannon's whole-response latency. Bounded by a count and by a wall-clock limit.
 *
 * `measureTtfb` times one server for a scenario's row: 500 streams take under half a second, so one
 * background burst or collection on the shared machine moves its p50 (one run read Keel's failover route,
 * which does more per request, 0.23 ms faster than the single route measured a minute earlier).
 * `ttfbInTurns` times the simulator, the bare proxy and Keel alternately in short rounds, so all three
 * see the same moments of the machine; the TTFB target reads it.
 */
import { Client } from 'undici';
import { LatencyRecorder, type LatencySummary } from './latency.js';
import { OPENAI_CALL, type ClientCall } from './requests.js';

export interface TtfbResult {
  /** Request sent → first body chunk. */
  ttfb: LatencySummary;
  /** Request sent → end of the stream. */
  total: LatencySummary;
  errors: number;
}

const WARMUP_REQUESTS = 50; // not recorded: the connection and both ends' JIT warm up
const TIME_LIMIT_MS = 30_000; // a stream here takes well under a millisecond or two; 30 s means trouble

/** One streamed request's first-byte and whole-stream times, or undefined when it failed or came back incomplete. */
async function timeOneStream(client: Client, call: ClientCall, body: string): Promise<{ firstMs: number; totalMs: number } | undefined> {
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
  return call.isComplete('stream', status, text) ? { firstMs: firstAt - startedAt, totalMs: endAt - startedAt } : undefined;
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
      const timed = await timeOneStream(client, call, body);
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

export interface TtfbTurnsTarget {
  name: string;
  url: string;
}

export interface TtfbTurnsResult {
  rounds: number;
  perRound: number;
  /** Per target, in the order given, every round's samples pooled: to the first body chunk, and to the stream's end. */
  targets: Array<{ name: string; first: LatencySummary; total: LatencySummary; errors: number }>;
}

/**
 * The targets' TTFB in turns: each gets its own keep-alive connection and warm-up, then every round each
 * target in turn streams `perRound` requests, the order rotating by one each round.
 */
export async function ttfbInTurns(targets: TtfbTurnsTarget[], rounds: number, perRound: number, call: ClientCall = OPENAI_CALL): Promise<TtfbTurnsResult> {
  const body = call.body('stream');
  const sides = targets.map((t) => ({ ...t, client: new Client(t.url, { pipelining: 1 }), first: new LatencyRecorder(), total: new LatencyRecorder(), errors: 0 }));
  const deadline = Date.now() + TIME_LIMIT_MS;
  try {
    for (const side of sides) for (let i = 0; i < WARMUP_REQUESTS; i++) await timeOneStream(side.client, call, body);
    for (let round = 0; round < rounds && Date.now() < deadline; round++) {
      for (let k = 0; k < sides.length; k++) {
        const side = sides[(round + k) % sides.length]!;
        for (let i = 0; i < perRound; i++) {
          const timed = await timeOneStream(side.client, call, body);
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
  return { rounds, perRound, targets: sides.map((s) => ({ name: s.name, first: s.first.summary(), total: s.total.summary(), errors: s.errors })) };
}
