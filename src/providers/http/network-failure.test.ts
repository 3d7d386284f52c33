import { describe, expect, it } from 'vitest';
import { KeelError } from '../../core/errors.js';
import { StreamTimeoutError, classifyNetworkFailure } from './network-failure.js';

const live = new AbortController().signal;
const aborted = (reason: unknown): AbortSignal => AbortSignal.abort(reason);
const coded = (code: string): Error => Object.assign(new Error(code), { code });

describe('classifyNetworkFailure', () => {
  it("is a timeout, not a cancellation, when the attempt's clock or the deadline aborted", () => {
    for (const phase of ['connect', 'body'] as const) {
      expect(classifyNetworkFailure(new Error('aborted'), aborted(new StreamTimeoutError('first_token', 500)), phase)).toEqual({ outcome: 'timeout', message: 'no first token within 500 ms' });
      const deadline = classifyNetworkFailure(new Error('aborted'), aborted(new KeelError('deadline_exceeded', 'x')), phase);
      expect(deadline.outcome).toBe('timeout');
      expect(deadline.cancelled).toBeUndefined();
    }
  });

  it('is a cancellation when the client went away, whatever the error', () => {
    expect(classifyNetworkFailure(coded('ECONNRESET'), aborted(new Error('client gone')), 'connect')).toMatchObject({ outcome: 'connect_error', cancelled: true });
    expect(classifyNetworkFailure(coded('ECONNRESET'), aborted(new DOMException('This operation was aborted', 'AbortError')), 'body')).toMatchObject({ outcome: 'stream_cut', cancelled: true });
  });

  it('names refused and failed connections', () => {
    expect(classifyNetworkFailure(coded('ECONNREFUSED'), live, 'connect')).toEqual({ outcome: 'connect_error', message: 'connection refused' });
    expect(classifyNetworkFailure(coded('UND_ERR_CONNECT_TIMEOUT'), live, 'connect')).toEqual({ outcome: 'connect_error', message: 'connect timeout' });
    expect(classifyNetworkFailure(coded('ENOTFOUND'), live, 'connect').message).toBe('connection failed (ENOTFOUND)');
  });

  it('is a stream cut when the connection breaks while reading the body', () => {
    expect(classifyNetworkFailure(coded('ECONNRESET'), live, 'body')).toEqual({ outcome: 'stream_cut', message: 'the connection broke mid-response (ECONNRESET)' });
    expect(classifyNetworkFailure(new Error('other side closed'), live, 'body').outcome).toBe('stream_cut');
  });

  it('is a timeout for a stalled body or late headers', () => {
    expect(classifyNetworkFailure(new StreamTimeoutError('idle', 200), live, 'body')).toEqual({ outcome: 'timeout', message: 'stream stalled: no data for 200 ms' });
    expect(classifyNetworkFailure(coded('UND_ERR_HEADERS_TIMEOUT'), live, 'connect').outcome).toBe('timeout');
    expect(classifyNetworkFailure(coded('UND_ERR_BODY_TIMEOUT'), live, 'body').outcome).toBe('timeout');
  });
});
