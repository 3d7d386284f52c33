/**
 * Time to first byte of streamed answers: one keep-alive connection (undici Client), one streamed request
 * at a time, timing from sending the request to the first body chunk, and to the end of the stream. A
 * gateway that buffered a stream, or waited for more than the first event, shows here and not in
 * autocannon's whole-response latency. Bounded by a count and by a wall-clock limit.
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

export async function measureTtfb(origin: string, count: number, model?: string, call: ClientCall = OPENAI_CALL): Promise<TtfbResult> {
  const client = new Client(origin, { pipelining: 1 });
  const body = call.body('stream', model);
  const ttfb = new LatencyRecorder();
  const total = new LatencyRecorder();
  let errors = 0;
  const deadline = Date.now() + TIME_LIMIT_MS;
  try {
    for (let i = 0; i < WARMUP_REQUESTS + count && Date.now() < deadline; i++) {
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
        errors += 1;
        continue;
      }
      const endAt = performance.now();
      if (!call.isComplete('stream', status, text)) {
        errors += 1;
        continue;
      }
      if (i < WARMUP_REQUESTS) continue;
      ttfb.record(firstAt - startedAt);
      total.record(endAt - startedAt);
    }
  } finally {
    await client.close();
  }
  return { ttfb: ttfb.summary(), total: total.summary(), errors };
}
