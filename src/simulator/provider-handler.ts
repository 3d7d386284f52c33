/**
 * The life of one provider request, the same for every format: read and record it (every request is one
 * attempt, failed or not), check the key and protocol headers, let the fault book decide its fate, plan
 * the deterministic reply and hand it to the format's codec as JSON or as a paced stream.
 *
 * Order matters and is fixed: auth and protocol checks (401, missing anthropic-version, invalid JSON) come
 * before faults, because a real provider rejects those before any model is involved; body validation
 * (missing max_tokens, empty messages) comes after faults, so a drill's outage hides it as it would upstream.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { anthropicCodec } from './anthropic-format.js';
import { azureCodec } from './azure-platform.js';
import { bedrockCodec, bedrockErrorReply, readBedrockBody } from './bedrock-platform.js';
import { verifySigV4, type AwsKeyPair } from './sigv4-verifier.js';
import { checkBearer, googleError, readVertexAnthropicBody, vertexAnthropicCodec } from './vertex-platform.js';
import type { FaultBook } from './faults.js';
import { sendErrorFault, sendErrorReply, sendJsonBody } from './fault-responses.js';
import { InvalidRequestError, type ErrorReply, type FormatCodec, type ReplyContext } from './format-codec.js';
import { geminiCodec } from './gemini-format.js';
import { flattenHeaders, pause, readBody, sendJson, untilAborted } from './http-io.js';
import { asString, isRecord } from './json-shape.js';
import { openaiCodec } from './openai-format.js';
import { responsesCodec } from './responses-format.js';
import { countTokensCodec, embeddingsCodec, geminiCountTokensCodec } from './utility-formats.js';
import { estimateTokens, planReply, type NeutralRequest } from './reply-plan.js';
import { presentedKeys, type ProviderApi, type ProviderRoute } from './routes.js';
import { sseHeaders } from './sse-writer.js';
import { playStream } from './stream-player.js';
import type { StatsRecorder } from './stats.js';
import type { SimModelSpec, WireFormat } from './types.js';

/** What the handlers share with the server that owns them. */
export interface SimulatorCore {
  faults: FaultBook;
  stats: StatsRecorder;
  apiKey: string | undefined;
  /** Bedrock requests must be SigV4-signed with this key pair (any signature is taken when unset). */
  aws: AwsKeyPair | undefined;
  /** Vertex requests must present this bearer token or a JWT of this service account (any token when neither is set). */
  googleToken: string | undefined;
  googleServiceAccount: { clientEmail: string; publicKeyPem: string } | undefined;
  tokenDelayMs: number;
  models: Map<string, SimModelSpec>;
  newId(prefix: string): string;
}

const CODECS: Record<WireFormat, FormatCodec> = {
  openai: openaiCodec,
  anthropic: anthropicCodec,
  gemini: geminiCodec,
};

const API_CODECS: Record<ProviderApi, FormatCodec> = {
  responses: responsesCodec,
  embeddings: embeddingsCodec,
  count_tokens: countTokensCodec,
  gemini_count_tokens: geminiCountTokensCodec,
};

const BEDROCK = bedrockCodec(anthropicCodec);
const VERTEX_ANTHROPIC = vertexAnthropicCodec(anthropicCodec, geminiCodec);
const AZURE = azureCodec(openaiCodec);

/** The codec of a route: the vendor's own format, or a cloud's variant of it. */
function codecFor(route: Extract<ProviderRoute, { kind: 'generate' }>): FormatCodec {
  switch (route.platform) {
    case 'bedrock':
      return BEDROCK;
    case 'vertex':
      return route.format === 'anthropic' ? VERTEX_ANTHROPIC : geminiCodec;
    case 'azure':
      return AZURE;
    case 'direct':
      return route.api === undefined ? CODECS[route.format] : API_CODECS[route.api];
  }
}

/** The platform's credential check, or null when the request may go on. */
async function platformDenial(req: IncomingMessage, url: URL, route: Extract<ProviderRoute, { kind: 'generate' }>, core: SimulatorCore, rawBody: Buffer, ctx: ReplyContext): Promise<ErrorReply | null> {
  switch (route.platform) {
    case 'bedrock': {
      if (core.aws === undefined) return null;
      const verdict = await verifySigV4(req, rawBody, core.aws);
      return verdict.ok ? null : bedrockErrorReply(verdict.type, verdict.status, verdict.message, ctx);
    }
    case 'vertex':
      return checkBearer(req, { token: core.googleToken, serviceAccount: core.googleServiceAccount });
    default:
      return authorized(url, req, core) ? null : codecFor(route).errorReply({ model: ctx.model, status: 401, kind: 'auth' }, ctx);
  }
}

/** The platform's body rules (Bedrock and Vertex move the model to the URL): the body to read, or a 400. */
function platformBody(route: Extract<ProviderRoute, { kind: 'generate' }>, body: unknown, model: string, ctx: ReplyContext): { ok: true; body: unknown } | { ok: false; reply: ErrorReply } {
  if (route.platform === 'bedrock') {
    const read = readBedrockBody(body, model);
    return read.ok ? read : { ok: false, reply: bedrockErrorReply('ValidationException', 400, read.message, ctx) };
  }
  if (route.platform === 'vertex' && route.format === 'anthropic') {
    const read = readVertexAnthropicBody(body, model);
    return read.ok ? read : { ok: false, reply: googleError(400, 'INVALID_ARGUMENT', read.message) };
  }
  return { ok: true, body };
}

function sendReply(res: ServerResponse, codec: FormatCodec, reply: ErrorReply, ctx: ReplyContext): void {
  sendJson(res, reply.status, reply.body, { ...codec.responseHeaders(ctx), ...reply.headers });
}

const INVALID_JSON: Record<WireFormat, string> = {
  openai:
    'We could not parse the JSON body of your request. (HINT: This likely means you aren\'t using your HTTP '
    + 'library correctly. The OpenAI API expects a JSON payload, but what was sent was not valid JSON.)',
  anthropic: 'There was an error parsing the body of your request. It is not valid JSON.',
  gemini: 'Invalid JSON payload received. Unexpected token.',
};

/** Names listed by the list-models endpoints when no model specs were given. */
const DEFAULT_MODEL_NAMES = ['keel-sim-model'];

function replyContext(model: string, core: SimulatorCore): ReplyContext {
  return { model, createdS: Math.floor(Date.now() / 1000), newId: (prefix) => core.newId(prefix) };
}

function authorized(url: URL, req: IncomingMessage, core: SimulatorCore): boolean {
  return core.apiKey === undefined || presentedKeys(url, req.headers).includes(core.apiKey);
}

export function handleListModels(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  route: Extract<ProviderRoute, { kind: 'list-models' }>,
  core: SimulatorCore,
): void {
  const codec = CODECS[route.format];
  const ctx = replyContext('', core);
  if (!authorized(url, req, core)) {
    sendErrorReply(res, codec, { model: '', status: 401, kind: 'auth' }, ctx);
    return;
  }
  const names = core.models.size > 0 ? [...core.models.keys()] : DEFAULT_MODEL_NAMES;
  sendJson(res, 200, codec.listModels(names, ctx), codec.responseHeaders(ctx));
}

function parseJson(raw: string): { ok: true; body: unknown } | { ok: false } {
  try {
    return raw.trim().length === 0 ? { ok: false } : { ok: true, body: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}

export async function handleGenerate(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  route: Extract<ProviderRoute, { kind: 'generate' }>,
  core: SimulatorCore,
  signal: AbortSignal,
): Promise<void> {
  core.stats.begin();
  try {
    await answer(req, res, url, route, core, signal);
  } finally {
    core.stats.end();
  }
}

async function answer(
  req: IncomingMessage,
  res: ServerResponse,
  url: URL,
  route: Extract<ProviderRoute, { kind: 'generate' }>,
  core: SimulatorCore,
  signal: AbortSignal,
): Promise<void> {
  const codec = codecFor(route);
  const rawText = await readBody(req);
  const parsed = parseJson(rawText);
  let body = parsed.ok ? parsed.body : null;
  const model = route.model ?? (isRecord(body) ? asString(body['model']) : undefined) ?? '';
  const stream = route.transport === 'by-body' ? isRecord(body) && body['stream'] === true : route.transport !== 'json';
  const transport = route.transport === 'by-body' ? (stream ? 'sse' : 'json') : route.transport;
  const streaming = transport === 'sse' || transport === 'event-stream';
  const record = core.stats.record({
    at: Date.now(), format: route.format, model, path: url.pathname, stream, headers: flattenHeaders(req.headers), body,
  });
  const ctx = replyContext(model, core);
  const refuse = (status: number, kind: 'auth' | 'bad_request', message?: string, param?: string | null): void =>
    sendErrorReply(res, codec, {
      model, status, kind,
      ...(message !== undefined ? { message } : {}),
      ...(param !== undefined ? { param } : {}),
    }, ctx);

  const denied = await platformDenial(req, url, route, core, Buffer.from(rawText, 'utf8'), ctx);
  if (denied !== null) return sendReply(res, codec, denied, ctx);
  if (route.format === 'anthropic' && route.platform === 'direct' && req.headers['anthropic-version'] === undefined) {
    return refuse(400, 'bad_request', 'anthropic-version: header is required');
  }
  if (!parsed.ok) return refuse(400, 'bad_request', INVALID_JSON[route.format]);
  const platform = platformBody(route, body, model, ctx);
  if (!platform.ok) return sendReply(res, codec, platform.reply, ctx);
  body = platform.body;

  // Read the body now (its token count shapes some faults), but answer its validation errors after faults.
  let request: NeutralRequest | InvalidRequestError;
  try {
    request = codec.readRequest(body, { model: route.model, stream });
  } catch (error) {
    if (!(error instanceof InvalidRequestError)) throw error;
    request = error;
  }
  const inputTokens = request instanceof InvalidRequestError ? 1 : estimateTokens(request.inputChars);
  const spec = core.models.get(model);

  const fault = core.faults.take(model);
  if (fault !== null) core.stats.faultApplied(record, fault.type);
  await pause(spec?.latencyMs ?? 0, signal);
  if (signal.aborted) return;
  switch (fault?.type) {
    case 'reset':
      req.socket.resetAndDestroy();
      return;
    case 'hang':
      return untilAborted(signal);
    case 'error':
      return sendErrorFault(res, codec, fault, ctx, { inputTokens, transport: transport === 'event-stream' ? 'sse' : transport });
    case 'latency':
      await pause(fault.ms, signal);
      break;
    case 'slow_first_token':
      if (!streaming) await pause(fault.ms, signal);
      break;
    case 'in_stream_error':
      if (!streaming) {
        // Without a stream to break, the same failure arrives as the provider's error status.
        const kind = fault.kind ?? 'overloaded';
        const status = kind === 'server_error' ? 500 : route.format === 'anthropic' ? 529 : 503;
        return sendErrorReply(res, codec, { model, status, kind }, ctx);
      }
      break;
    default:
      break;
  }
  if (signal.aborted) return;

  if (request instanceof InvalidRequestError) return refuse(400, 'bad_request', request.message, request.param);
  const result = planReply(request, spec);
  if (!result.ok) {
    return sendErrorReply(res, codec, {
      model, status: 400, kind: 'context_length', inputTokens: result.inputTokens, contextWindow: result.contextWindow,
    }, ctx);
  }
  const headers = codec.responseHeaders(ctx);
  if (transport === 'json') {
    return sendJsonBody(res, codec.renderJson(result.plan, request, ctx), headers, fault, signal);
  }
  const frames = codec.renderStream(result.plan, request, ctx);
  if (transport === 'json-array') return sendJsonBody(res, frames.map((frame) => frame.data), headers, fault, signal);
  res.writeHead(200, { ...headers, ...sseHeaders(codec.sseContentType) });
  await playStream(res, {
    frames,
    signal,
    tokenDelayMs: spec?.tokenDelayMs ?? core.tokenDelayMs,
    firstTokenDelayMs: fault?.type === 'slow_first_token' ? fault.ms : 0,
    fault,
    malformedEvent: codec.malformedEvent,
    ...(codec.encodeFrame === undefined ? {} : { encode: codec.encodeFrame }),
    errorFrame: fault?.type === 'in_stream_error' ? codec.streamError(fault.kind ?? 'overloaded', ctx) : null,
  });
}
