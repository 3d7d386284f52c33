/**
 * The `openai` and `openai-compatible` providers: one attempt against a Chat Completions endpoint — or,
 * for a Responses API client on an `openai` deployment, against its Responses endpoint. A same-format
 * client's body goes out as the client sent it (model swapped); stream events come back both decoded
 * (for translation, health and usage) and verbatim (for forwarding).
 */
import type { Deployment } from '../../config/resolve-config.js';
import type { WireFormat } from '../../core/chat-request.js';
import type { AttemptInput, AttemptResult, Provider, UpstreamFailure } from '../types.js';
import { readSseItems } from '../http/sse-items.js';
import { exchange, readJsonAnswer } from '../http/exchange.js';
import { appendJsonMember, setJsonMember } from '../http/json-members.js';
import { classifyOpenAIError } from './openai-error.js';
import { decodeOpenAIResponse } from './decode-openai-response.js';
import { encodeOpenAIRequest } from './encode-openai-request.js';
import { OpenAIStreamDecoder } from './openai-stream-decoder.js';
import { readOpenAIChatResponse } from './openai-wire-check.js';
import { sendOpenAIResponses } from './send-openai-responses.js';

/**
 * Where a Chat Completions endpoint lives and how it is authorised: OpenAI's (and compatible servers')
 * `/chat/completions` with a bearer key by default; Azure OpenAI says otherwise.
 */
export interface OpenAIEndpoint {
  path(deployment: Deployment): string;
  authHeaders(deployment: Deployment): Record<string, string>;
  classifyError: typeof classifyOpenAIError;
  /** An answer wholly withheld by the provider's filter (no content, `finish_reason: content_filter`) is a refusal. */
  filteredAnswerIsRefusal: boolean;
}

const OPENAI_ENDPOINT: OpenAIEndpoint = {
  path: () => '/chat/completions',
  authHeaders: (d) => (d.apiKey === undefined ? {} : { authorization: `Bearer ${d.apiKey}` }),
  classifyError: classifyOpenAIError,
  filteredAnswerIsRefusal: false,
};

const STREAM_OPTIONS_KEY = Buffer.from('"stream_options"');
const STREAM_USAGE_MEMBER = Buffer.from('"stream_options":{"include_usage":true}');

/**
 * The client's `stream_options` (its other members kept) with `include_usage: true`. Most bodies have no
 * `stream_options` at all: the member is then added without reading the body (one native search for
 * the key, anywhere in it; a key spelled with escapes is read as absent, and the added member, the
 * last, is the one the provider reads).
 */
function withStreamUsage(body: Buffer): Buffer {
  if (body.indexOf(STREAM_OPTIONS_KEY) === -1) return appendJsonMember(body, STREAM_USAGE_MEMBER);
  return setJsonMember(body, 'stream_options', (current) => ({ ...(current !== null && typeof current === 'object' ? current : {}), include_usage: true }));
}

export class OpenAIProvider implements Provider {
  readonly format = 'openai' as const;

  constructor(private readonly endpoint: OpenAIEndpoint = OPENAI_ENDPOINT) {}

  /** Per deployment, its requests' headers for a stream and for a JSON answer (see `headersFor`). */
  private readonly headerSets = new WeakMap<Deployment, { stream: Record<string, string>; json: Record<string, string> }>();

  /**
   * The headers of a request to `deployment`: the same few every time (a deployment's key never changes;
   * a changed config makes new deployments), so made once per deployment, not built and spread per
   * attempt. Frozen: every request shares them.
   */
  private headersFor(deployment: Deployment, stream: boolean): Record<string, string> {
    let sets = this.headerSets.get(deployment);
    if (sets === undefined) {
      const auth = this.endpoint.authHeaders(deployment);
      const made = (accept: string): Record<string, string> => Object.freeze({ 'content-type': 'application/json', accept, ...auth });
      sets = { stream: made('text/event-stream'), json: made('application/json') };
      this.headerSets.set(deployment, sets);
    }
    return stream ? sets.stream : sets.json;
  }

  /** OpenAI itself also takes Responses API bodies; OpenAI-compatible servers know only Chat Completions. */
  speaks(deployment: Deployment, format: WireFormat): boolean {
    return format === 'openai' || (format === 'openai-responses' && deployment.provider === 'openai');
  }

  /**
   * Not async: the exchange's own promise is returned, not wrapped in another (an async function that
   * returns a promise adds one, and two turns of the microtask queue, to every attempt). What throws
   * before the exchange starts still comes as a rejection.
   */
  send(input: AttemptInput): Promise<AttemptResult> {
    try {
      return this.start(input);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private start(input: AttemptInput): Promise<AttemptResult> {
    const { deployment, request } = input;
    const headers = this.headersFor(deployment, request.stream);
    const passthroughBody = input.passthroughBody;
    if (request.surface === 'openai-responses' && passthroughBody !== undefined) return sendOpenAIResponses({ ...input, passthroughBody }, headers);
    // Every stream asks for its usage: Keel charges it to the key, the spend and the token metrics. A
    // translated request always does; a passed-through one whose client did not ask is asked for it here,
    // and its usage chunk is kept from the client (see OpenAIStreamDecoder).
    const askUsage = passthroughBody !== undefined && request.stream && !request.streamUsage;
    const body = passthroughBody === undefined ? JSON.stringify(encodeOpenAIRequest(request, deployment.model)) : askUsage ? withStreamUsage(passthroughBody) : passthroughBody;
    const extension = request.extensions.openai;
    const expectedChoices = typeof extension?.['n'] === 'number' ? extension['n'] : 1;
    return exchange(input, {
      path: this.endpoint.path(deployment),
      headers,
      body,
      classifyError: this.endpoint.classifyError,
      readJson: async (res) => {
        const read = await readJsonAnswer(res, readOpenAIChatResponse, 'a chat completion', request.stream);
        if (!read.ok) return { kind: 'failure', failure: read.failure };
        const response = decodeOpenAIResponse(read.json, Math.floor(Date.now() / 1000));
        if (this.endpoint.filteredAnswerIsRefusal && response.finishReason === 'content_filter' && response.content.length === 0) {
          const refusal: UpstreamFailure = { outcome: 'content_filter', message: `the provider's content filter withheld the answer of deployment ${deployment.id}` };
          return { kind: 'failure', failure: refusal };
        }
        return input.passthroughBody === undefined || request.stream ? { kind: 'json', response } : { kind: 'json', response, raw: read.raw };
      },
      readStream: (stream, options) => readSseItems(stream, options, new OpenAIStreamDecoder(expectedChoices, !askUsage)),
    });
  }
}
