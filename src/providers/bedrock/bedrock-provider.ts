/**
 * The `bedrock` provider: Claude on Amazon Bedrock through InvokeModel (`POST /model/{id}/invoke`) and
 * InvokeModelWithResponseStream (`/invoke-with-response-stream`). The body is Anthropic's Messages body
 * with `anthropic_version: bedrock-2023-05-31` and no model (it is in the path); every request is signed
 * with SigV4 for the deployment's region. Answers are Anthropic's: JSON as is, and a stream of AWS
 * event-stream `chunk` messages whose base64 `bytes` are Anthropic stream events, decoded by the same
 * decoder as Anthropic's own SSE. So an Anthropic client is passed through both ways, its stream re-framed
 * as SSE, and exceptions arriving inside the stream are classified like HTTP errors.
 */
import type { Message } from '@smithy/eventstream-codec';
import { toUtf8 } from '@smithy/util-utf8';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import type { ChatRequest } from '../../core/chat-request.js';
import type { AttemptInput, AttemptResult, Provider, StreamItem } from '../types.js';
import { readAnthropicAnswer } from '../anthropic/anthropic-provider.js';
import { readFramedItems, type Emit, type Framing } from '../http/sse-items.js';
import { anthropicPlatformBody } from '../anthropic/anthropic-platform-body.js';
import { AnthropicStreamDecoder } from '../anthropic/anthropic-stream-decoder.js';
import { exchange, type StreamReadOptions } from '../http/exchange.js';
import { InStreamFailure } from '../http/network-failure.js';
import { classifyBedrockError, classifyBedrockStreamException } from './bedrock-error.js';
import { EventStreamCorrupt, EventStreamSplitter, headerText } from './event-stream-reader.js';

/** The Messages API version Bedrock serves Claude with. */
export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';
const EVENT_STREAM = 'application/vnd.amazon.eventstream';
const SIGNING_NAME = 'bedrock';

const chunkPayload = z.looseObject({ bytes: z.string() });

export function bedrockPath(model: string, stream: boolean): string {
  return `/model/${encodeURIComponent(model)}/${stream ? 'invoke-with-response-stream' : 'invoke'}`;
}

/**
 * The AWS SDK's credential chain and request signer, loaded at the first Bedrock call: a Keel without
 * Bedrock deployments never loads them (a few MB of resident memory on every replica).
 */
let awsAuth: Promise<[typeof import('./aws-credentials.js'), typeof import('./sign-aws-request.js')]> | undefined;
const loadAwsAuth = (): NonNullable<typeof awsAuth> => (awsAuth ??= Promise.all([import('./aws-credentials.js'), import('./sign-aws-request.js')]));

export class BedrockProvider implements Provider {
  readonly format = 'anthropic' as const;

  async send(input: AttemptInput): Promise<AttemptResult> {
    const { deployment, request } = input;
    // Bedrock takes images only as base64 data; a URL source is refused by name before any traffic.
    if (input.passthroughBody === undefined && hasImageUrl(request)) {
      return { kind: 'failure', failure: { outcome: 'bad_request', status: 400, message: `image URLs are not supported by Bedrock deployment ${deployment.id}` } };
    }
    const built = anthropicPlatformBody(input, { anthropicVersion: BEDROCK_ANTHROPIC_VERSION, keepStreamField: false });
    if (!built.ok) return { kind: 'failure', failure: built.failure };
    const [{ awsCredentialsFor }, { signAwsRequest }] = await loadAwsAuth();
    const credentials = await awsCredentialsFor(deployment);
    if (!credentials.ok) return { kind: 'failure', failure: { outcome: 'auth', message: `deployment ${deployment.id}: ${credentials.reason}` } };
    const path = bedrockPath(deployment.model, request.stream);
    const headers = await signAwsRequest(
      { method: 'POST', url: new URL(deployment.baseUrl + path), headers: { 'content-type': 'application/json', accept: request.stream ? EVENT_STREAM : 'application/json' }, body: built.body },
      { credentials: credentials.credentials, region: deployment.region ?? 'us-east-1', service: SIGNING_NAME },
    );
    delete headers['host']; // undici sends the same value from the pool's origin
    return exchange(input, {
      path,
      headers,
      body: built.body,
      classifyError: classifyBedrockError,
      streamContentType: EVENT_STREAM,
      readJson: (res) => readAnthropicAnswer(res, input),
      readStream: (stream, options) => bedrockStreamItems(stream, options),
    });
  }
}

export function bedrockStreamItems(body: Readable, options: StreamReadOptions, decoder = new AnthropicStreamDecoder()): AsyncGenerator<StreamItem, void, undefined> {
  return readFramedItems(body, options, decoder, anthropicEventsIn);
}

/**
 * The framing of a Bedrock response stream: the Anthropic event inside each `chunk` message; an exception
 * message, or framing that cannot be followed, ends the stream as a failure.
 */
function anthropicEventsIn(emit: Emit): Framing {
  const splitter = new EventStreamSplitter();
  const framingBroke = (err: unknown): unknown => (err instanceof EventStreamCorrupt ? new InStreamFailure({ outcome: 'stream_cut', message: err.message }) : err);
  return {
    feed(chunk) {
      let messages: Message[];
      try {
        messages = splitter.push(chunk);
      } catch (err) {
        throw framingBroke(err);
      }
      for (const message of messages) {
        const messageType = headerText(message, ':message-type');
        if (messageType === 'exception' || messageType === 'error') {
          const type = headerText(message, ':exception-type') ?? headerText(message, ':error-code');
          throw new InStreamFailure(classifyBedrockStreamException(type, toUtf8(message.body)));
        }
        if (headerText(message, ':event-type') !== 'chunk') continue;
        const chunkBody = chunkPayload.safeParse(safeJson(toUtf8(message.body)));
        // A chunk that is not `{bytes}` is handed on as unreadable data: the decoder drops and counts it.
        emit(chunkBody.success ? Buffer.from(chunkBody.data.bytes, 'base64').toString('utf8') : '', undefined);
      }
    },
    end() {
      if (splitter.pendingBytes > 0) throw framingBroke(new EventStreamCorrupt(`the stream ended inside a message (${splitter.pendingBytes} bytes)`));
    },
  };
}

function hasImageUrl(request: ChatRequest): boolean {
  return request.messages.some((m) => (m.role === 'user' || m.role === 'tool') && m.content.some((part) => part.type === 'image' && part.source.kind === 'url'));
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
