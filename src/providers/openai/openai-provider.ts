/**
 * The `openai` and `openai-compatible` providers: one attempt against a Chat Completions endpoint. A
 * same-format client's body goes out as the client sent it (model swapped); stream events come back both
 * decoded (for translation, health and usage) and verbatim (for forwarding).
 */
import type { AttemptInput, AttemptResult, Provider, StreamItem } from '../types.js';
import { classifyNetworkFailure } from '../http/network-failure.js';
import { readSseEvents } from '../http/sse-reader.js';
import { readBodyBuffer, readBodyText, sendUpstream, type UpstreamResponse } from '../http/upstream-request.js';
import { classifyOpenAIError } from './openai-error.js';
import { decodeOpenAIResponse } from './decode-openai-response.js';
import { encodeOpenAIRequest } from './encode-openai-request.js';
import { OpenAIStreamDecoder } from './openai-stream-decoder.js';
import { openaiChatResponse } from './openai-wire.js';

export class OpenAIProvider implements Provider {
  readonly format = 'openai' as const;

  async send(input: AttemptInput): Promise<AttemptResult> {
    const { deployment, request } = input;
    const body = input.passthroughBody ?? JSON.stringify(encodeOpenAIRequest(request, deployment.model));
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      accept: request.stream ? 'text/event-stream' : 'application/json',
    };
    if (deployment.apiKey !== undefined) headers['authorization'] = `Bearer ${deployment.apiKey}`;
    const sent = await sendUpstream({ deployment, path: '/chat/completions', headers, body, signal: input.signal, headersTimeoutMs: input.timeouts.ttftMs });
    if (!sent.ok) return { kind: 'failure', failure: sent.failure };
    const res = sent.response;
    try {
      if (res.status >= 400) {
        const text = await readBodyText(res.body);
        return { kind: 'failure', failure: classifyOpenAIError(res.status, text, res.headers, Date.now()) };
      }
      const contentType = String(res.headers['content-type'] ?? '');
      if (!request.stream || !contentType.includes('text/event-stream')) return await this.readJson(res, input);
      const extension = request.extensions.openai;
      const expectedChoices = typeof extension?.['n'] === 'number' ? extension['n'] : 1;
      // A translated request always asks for usage; a passed-through one gets what its client asked for.
      const usageExpected = input.passthroughBody === undefined || request.streamUsage;
      return { kind: 'stream', items: this.readStream(res, input, new OpenAIStreamDecoder(expectedChoices, usageExpected)) };
    } catch (err) {
      res.body.destroy();
      return { kind: 'failure', failure: classifyNetworkFailure(err, input.signal, 'body') };
    }
  }

  private async readJson(res: UpstreamResponse, input: AttemptInput): Promise<AttemptResult> {
    const raw = await readBodyBuffer(res.body);
    let json: unknown;
    try {
      json = JSON.parse(raw.toString('utf8'));
    } catch {
      return { kind: 'failure', failure: { outcome: 'server_error', message: 'the provider answered with invalid JSON', status: res.status } };
    }
    const parsed = openaiChatResponse.safeParse(json);
    if (!parsed.success) {
      const streamWanted = input.request.stream ? ' (a JSON body where a stream was asked for)' : '';
      return { kind: 'failure', failure: { outcome: 'server_error', message: `the provider's answer is not a chat completion${streamWanted}`, status: res.status } };
    }
    const response = decodeOpenAIResponse(parsed.data, Math.floor(Date.now() / 1000));
    return input.passthroughBody === undefined || input.request.stream ? { kind: 'json', response } : { kind: 'json', response, raw };
  }

  private async *readStream(res: UpstreamResponse, input: AttemptInput, decoder: OpenAIStreamDecoder): AsyncGenerator<StreamItem, void, undefined> {
    const firstEventMs = input.timeouts.ttftMs - (Date.now() - res.startedAtMs);
    try {
      const reading = { firstEventMs, idleMs: input.timeouts.idleMs, completed: () => decoder.finished };
      for await (const event of readSseEvents(res.body, reading)) {
        const decoded = decoder.push(event.data);
        if (decoded.failure !== undefined) {
          yield { kind: 'failure', failure: decoded.failure };
          return;
        }
        if (decoded.done === true) {
          yield decoder.finished ? { kind: 'end' } : { kind: 'failure', failure: { outcome: 'stream_cut', message: 'the provider ended the stream before the answer finished' } };
          return;
        }
        if (decoded.raw !== undefined) yield { kind: 'data', events: decoded.events, raw: decoded.raw };
        if (decoder.complete) {
          yield { kind: 'end' };
          return;
        }
      }
      yield decoder.finished
        ? { kind: 'end' }
        : { kind: 'failure', failure: { outcome: 'stream_cut', message: 'the stream ended before the answer finished' } };
    } catch (err) {
      yield { kind: 'failure', failure: classifyNetworkFailure(err, input.signal, 'body') };
    }
  }
}
