/**
 * A `fetch` that answers from in-process Keel, for the official SDKs' `fetch` option: the OpenAI and
 * Anthropic clients talk to Keel exactly as over HTTP (same endpoints, same errors, same streams) with no
 * server and no socket. Any host works in the base URL; only the path is read.
 */
import { acceptRequestId } from '../core/request-id.js';
import { handleApiRequest } from '../api/handle-request.js';
import type { Router } from '../router/router.js';
import { bodyTooLarge } from '../server/read-body.js';

export type FetchLike = (input: string | URL | Request, init?: RequestInit) => Promise<Response>;

export function createKeelFetch(router: Router, bodyLimitBytes: number): FetchLike {
  return async (input, init) => {
    const request = new Request(input, init);
    const headers: Record<string, string> = {};
    request.headers.forEach((value, name) => {
      headers[name] = value;
    });
    const requestId = acceptRequestId(headers['x-request-id']);
    const handled = await handleApiRequest(
      {
        method: request.method,
        path: new URL(request.url).pathname,
        headers,
        requestId,
        signal: request.signal,
        trail: {},
        readBody: async () => {
          const body = Buffer.from(await request.arrayBuffer());
          if (body.length > bodyLimitBytes) throw bodyTooLarge(bodyLimitBytes);
          return body;
        },
      },
      router,
    );
    const { status, headers: answerHeaders, body, sent } = handled.answer;
    const responseHeaders = { ...answerHeaders, 'x-request-id': requestId };
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      try {
        return new Response(body, { status, headers: responseHeaders });
      } finally {
        sent?.();
      }
    }
    const frames = body[Symbol.asyncIterator]();
    const encoder = new TextEncoder();
    const stream = new ReadableStream<Uint8Array>({
      async pull(controller) {
        const next = await frames.next();
        if (next.done === true) controller.close();
        // A passed-through stream's frames may be the provider's own bytes already.
        else controller.enqueue(typeof next.value === 'string' ? encoder.encode(next.value) : next.value);
      },
      async cancel() {
        await frames.return?.();
      },
    });
    return new Response(stream, { status, headers: responseHeaders });
  };
}
