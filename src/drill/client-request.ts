/**
 * One drill client request over plain HTTP (undici), in the OpenAI, Anthropic or Gemini format, and what
 * its client observed: latency, time to first token for streams, the trail headers Keel set, and a
 * verdict from `answer-reader.ts`. A hard timeout bounds every request; a request that hits it, a socket
 * error or a malformed answer ends as "lost", never as a silent success.
 */
import { createParser } from 'eventsource-parser';
import { request, type Dispatcher } from 'undici';
import { judgeJson, judgeStreamEvent, type ClientFormat, type Verdict } from './answer-reader.js';

export interface ClientCall {
  /** Origin, e.g. http://127.0.0.1:8787: Keel's, or a provider endpoint for direct probes. */
  origin: string;
  format: ClientFormat;
  model: string;
  prompt: string;
  maxTokens: number;
  stream: boolean;
  requestId: string;
  timeoutMs: number;
  dispatcher: Dispatcher;
}

export interface ClientObservation {
  verdict: Verdict;
  status: number | undefined;
  latencyMs: number;
  /** Streams: time to the first content token. */
  ttftMs: number | undefined;
  /** Keel's trail headers (absent on direct probes). */
  deployment: string | undefined;
  attempts: number | undefined;
  degraded: string | undefined;
}

function target(call: ClientCall): { path: string; headers: Record<string, string>; body: unknown } {
  const messages = [{ role: 'user', content: call.prompt }];
  const common = { 'content-type': 'application/json', 'x-request-id': call.requestId };
  if (call.format === 'anthropic') {
    return {
      path: '/v1/messages',
      headers: { ...common, 'x-api-key': 'drill', 'anthropic-version': '2023-06-01' },
      body: { model: call.model, max_tokens: call.maxTokens, messages, stream: call.stream },
    };
  }
  if (call.format === 'gemini') {
    // Direct probes only, and never streamed: a Gemini primary is probed with generateContent.
    return {
      path: `/v1beta/models/${encodeURIComponent(call.model)}:generateContent`,
      headers: { ...common, 'x-goog-api-key': 'drill' },
      body: { contents: [{ role: 'user', parts: [{ text: call.prompt }] }], generationConfig: { maxOutputTokens: call.maxTokens } },
    };
  }
  return {
    path: '/v1/chat/completions',
    headers: { ...common, authorization: 'Bearer drill' },
    body: { model: call.model, max_tokens: call.maxTokens, messages, stream: call.stream, ...(call.stream ? { stream_options: { include_usage: true } } : {}) },
  };
}

function header(headers: Record<string, string | string[] | undefined>, name: string): string | undefined {
  const value = headers[name];
  return Array.isArray(value) ? value[0] : value;
}

export async function sendClientRequest(call: ClientCall): Promise<ClientObservation> {
  const started = performance.now();
  const { path, headers, body } = target(call);
  const signal = AbortSignal.timeout(call.timeoutMs);
  const observation: ClientObservation = { verdict: { kind: 'lost', reason: 'no answer' }, status: undefined, latencyMs: 0, ttftMs: undefined, deployment: undefined, attempts: undefined, degraded: undefined };
  try {
    const res = await request(call.origin + path, { method: 'POST', headers, body: JSON.stringify(body), dispatcher: call.dispatcher, signal });
    observation.status = res.statusCode;
    observation.deployment = header(res.headers, 'x-keel-deployment');
    observation.degraded = header(res.headers, 'x-keel-degraded');
    const attempts = Number(header(res.headers, 'x-keel-attempts'));
    if (Number.isInteger(attempts)) observation.attempts = attempts;
    const isStream = res.statusCode === 200 && (header(res.headers, 'content-type') ?? '').startsWith('text/event-stream');
    if (call.stream && res.statusCode === 200 && !isStream) {
      await res.body.dump();
      observation.verdict = { kind: 'lost', reason: 'asked for a stream, got a 200 that is not one' };
    } else if (isStream) {
      observation.verdict = await readStream(call.format, res.body, started, (ttft) => (observation.ttftMs ??= ttft));
    } else {
      observation.verdict = judgeJson(call.format, res.statusCode, await res.body.text());
    }
  } catch (err) {
    observation.verdict = { kind: 'lost', reason: signal.aborted ? `no complete answer within ${call.timeoutMs} ms` : `socket error (${errorCode(err)})` };
  }
  observation.latencyMs = performance.now() - started;
  return observation;
}

/** Reads a stream to its end; the verdict is decided by how it ended. */
async function readStream(format: ClientFormat, body: AsyncIterable<Buffer>, started: number, onFirstToken: (ms: number) => void): Promise<Verdict> {
  let verdict: Verdict | undefined;
  const parser = createParser({
    onEvent: (event) => {
      if (verdict !== undefined) return;
      const step = judgeStreamEvent(format, event.data);
      if (step === 'content') onFirstToken(performance.now() - started);
      else if (step === 'done') verdict = { kind: 'ok' };
      else if (typeof step === 'object' && 'error' in step) verdict = { kind: 'error', errorType: step.error };
      else if (typeof step === 'object') verdict = { kind: 'lost', reason: `malformed stream: ${step.malformed}` };
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of body) parser.feed(decoder.decode(chunk, { stream: true }));
  parser.feed(decoder.decode());
  return verdict ?? { kind: 'lost', reason: 'the stream ended without a terminator or an error event' };
}

function errorCode(err: unknown): string {
  if (err instanceof Error) return (err as NodeJS.ErrnoException).code ?? err.name;
  return 'unknown';
}
