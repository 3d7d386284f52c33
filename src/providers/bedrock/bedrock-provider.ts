/**
 * The `bedrock` provider: Claude on Amazon Bedrock through InvokeModel (`POST /model/{id}/invoke`) and
 * InvokeModelWithResponseStream (`/invoke-with-response-stream`). The body is Anthropic's Messages body
 * with `anthropic_version: bedrock-2023-05-31` and no model (it is in the path); every request is signed
 * with SigV4 for the deployment's region. Answers are Anthropic's: JSON as is, and a stream of AWS
 * event-stream `chunk` messages whose base64 `bytes` are Anthropic stream events, decoded by the same
 * decoder as Anthropic's own SSE. So an Anthropic client is passed through both ways, its stream re-framed
 * as SSE, and exceptions arriving inside the stream are classified like HTTP errors.
 */
import type { ChatRequest } from '../../core/chat-request.js';
import type { AttemptInput, AttemptResult, Provider } from '../types.js';
import { readAnthropicAnswer } from '../anthropic/anthropic-provider.js';
import { anthropicPlatformBody } from '../anthropic/anthropic-platform-body.js';
import { exchange } from '../http/exchange.js';
import { classifyBedrockError } from './bedrock-error.js';

/** The Messages API version Bedrock serves Claude with. */
export const BEDROCK_ANTHROPIC_VERSION = 'bedrock-2023-05-31';
const EVENT_STREAM = 'application/vnd.amazon.eventstream';
const SIGNING_NAME = 'bedrock';

export function bedrockPath(model: string, stream: boolean): string {
  return `/model/${encodeURIComponent(model)}/${stream ? 'invoke-with-response-stream' : 'invoke'}`;
}

/**
 * What only Bedrock needs, from the AWS SDK: the credential chain, the request signer and the event-stream
 * reader, loaded at the first Bedrock call. A Keel without Bedrock deployments never loads them (a few
 * MB of resident memory on every replica).
 */
let aws: Promise<[typeof import('./aws-credentials.js'), typeof import('./sign-aws-request.js'), typeof import('./bedrock-stream.js')]> | undefined;
const loadAws = (): NonNullable<typeof aws> => (aws ??= Promise.all([import('./aws-credentials.js'), import('./sign-aws-request.js'), import('./bedrock-stream.js')]));

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
    const [{ awsCredentialsFor }, { signAwsRequest }, { bedrockStreamItems }] = await loadAws();
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
      readStream: bedrockStreamItems,
    });
  }
}

function hasImageUrl(request: ChatRequest): boolean {
  return request.messages.some((m) => (m.role === 'user' || m.role === 'tool') && m.content.some((part) => part.type === 'image' && part.source.kind === 'url'));
}
