/**
 * Classifies a failure that happened below HTTP (no status code): refused or reset connections, timeouts,
 * and aborts. An abort is a timeout when the request's deadline fired, and a cancellation (no fault of the
 * provider) when the client went away.
 */
import { isKeelError } from '../../core/errors.js';
import type { UpstreamSignal } from '../attempt-signal.js';
import type { UpstreamFailure } from '../types.js';

export class StreamTimeoutError extends Error {
  override readonly name = 'StreamTimeoutError';
  constructor(readonly phase: 'first_token' | 'idle', readonly afterMs: number) {
    super(phase === 'first_token' ? `no first token within ${afterMs} ms` : `stream stalled: no data for ${afterMs} ms`);
  }
}

/**
 * A failure the provider reported inside a stream's own framing (a Bedrock event-stream exception
 * message), already classified: thrown by a frame reader, it ends the stream as that failure.
 */
export class InStreamFailure extends Error {
  override readonly name = 'InStreamFailure';
  constructor(readonly failure: UpstreamFailure) {
    super(failure.message);
  }
}

const CONNECT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'UND_ERR_SOCKET', 'UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_CLOSED']);

export function classifyNetworkFailure(err: unknown, signal: UpstreamSignal, phase: 'connect' | 'body'): UpstreamFailure {
  if (signal.aborted) {
    const reason: unknown = signal.reason;
    // The attempt's clock cut it (router/attempt-clock.ts): the provider was too slow.
    if (reason instanceof StreamTimeoutError) return { outcome: 'timeout', message: reason.message };
    if (isKeelError(reason) && reason.code === 'deadline_exceeded') {
      return { outcome: 'timeout', message: 'the request deadline passed while waiting for the provider' };
    }
    return { outcome: phase === 'connect' ? 'connect_error' : 'stream_cut', message: 'cancelled: the client went away', cancelled: true };
  }
  if (err instanceof InStreamFailure) return err.failure;
  if (err instanceof StreamTimeoutError) return { outcome: 'timeout', message: err.message };
  const code = (err as { code?: string } | undefined)?.code ?? '';
  if (code === 'UND_ERR_HEADERS_TIMEOUT') return { outcome: 'timeout', message: 'no response headers in time' };
  if (code === 'UND_ERR_BODY_TIMEOUT') return { outcome: 'timeout', message: 'the response body stalled' };
  if (phase === 'body') return { outcome: 'stream_cut', message: `the connection broke mid-response (${code || 'closed'})` };
  if (CONNECT_CODES.has(code)) {
    const what = code === 'ECONNREFUSED' ? 'connection refused' : code === 'UND_ERR_CONNECT_TIMEOUT' ? 'connect timeout' : `connection failed (${code})`;
    return { outcome: 'connect_error', message: what };
  }
  return { outcome: 'connect_error', message: `request failed (${code || (err instanceof Error ? err.name : 'unknown')})` };
}
