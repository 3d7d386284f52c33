/**
 * One client request, from method and path to answer, whatever carried it: the endpoint table, the
 * checks every endpoint shares (method, content type, JSON body), and the error body in the caller's
 * format. An unknown path's 404 names every endpoint Keel serves: clients report a bare 404 as "model
 * not found", which sends people looking in the wrong place. The node HTTP server and the library's in-process `fetch` both call `handleApiRequest`, so a
 * client sees the same behaviour through either. It never throws: every failure becomes an answer.
 */
import type { WireFormat } from '../core/chat-request.js';
import { KeelError } from '../core/errors.js';
import type { Router } from '../router/router.js';
import { MemoryResponses } from '../store/memory-responses.js';
import { answerMessages } from './anthropic.js';
import { answerCountTokens } from './count-tokens.js';
import { answerEmbeddings } from './embeddings.js';
import { answerGemini, type GeminiAction } from './gemini.js';
import { jsonAnswer, type ApiAnswer, type ApiRequest } from './api-request.js';
import { errorAnswer, toKeelError } from './error-body.js';
import { readJsonBody, type BodyLimits } from './hardening/read-json-body.js';
import { answerChatCompletions, answerListModels } from './openai.js';
import { answerDeleteResponse, answerGetResponse, answerResponses, type ResponseLog } from './responses.js';
import type { Grant, RequestGate } from './request-gate.js';

interface Endpoint {
  method: 'GET' | 'POST' | 'DELETE';
  /** The client API whose error format this endpoint answers in; `by-header`: Anthropic's for a client sending `anthropic-version`. */
  format: WireFormat | 'by-header';
  answer(req: ApiRequest, context: EndpointContext): Promise<ApiAnswer> | ApiAnswer;
}

/** What an endpoint may use besides the request: the router, stored responses, the path's parameters. */
interface EndpointContext {
  router: Router;
  responses: ResponseLog;
  /** The path's captured segments (`/v1/responses/{id}` → [id]). */
  params: string[];
}

interface Resource {
  path: string | RegExp;
  /** How the 404 for an unknown path names it. */
  label: string;
  endpoints: Endpoint[];
}

const RESOURCES: readonly Resource[] = [
  { path: '/v1/chat/completions', label: 'POST /v1/chat/completions', endpoints: [{ method: 'POST', format: 'openai', answer: (req, c) => answerChatCompletions(req, c.router) }] },
  { path: '/chat/completions', label: '', endpoints: [{ method: 'POST', format: 'openai', answer: (req, c) => answerChatCompletions(req, c.router) }] },
  { path: '/v1/responses', label: 'POST /v1/responses', endpoints: [{ method: 'POST', format: 'openai', answer: (req, c) => answerResponses(req, c.router, c.responses) }] },
  {
    path: /^\/v1\/responses\/([^/]+)$/,
    label: 'GET|DELETE /v1/responses/{id}',
    endpoints: [
      { method: 'GET', format: 'openai', answer: (req, c) => answerGetResponse(req, c.responses, c.params[0]!) },
      { method: 'DELETE', format: 'openai', answer: (req, c) => answerDeleteResponse(req, c.responses, c.params[0]!) },
    ],
  },
  {
    path: /^\/(?:v1beta|v1)\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/,
    label: 'POST /v1beta/models/{model}:generateContent|streamGenerateContent|countTokens',
    endpoints: [{ method: 'POST', format: 'gemini', answer: (req, c) => answerGemini(req, c.router, c.params[0]!, c.params[1] as GeminiAction) }],
  },
  { path: '/v1/embeddings', label: 'POST /v1/embeddings', endpoints: [{ method: 'POST', format: 'openai', answer: (req, c) => answerEmbeddings(req, c.router) }] },
  { path: '/v1/models', label: 'GET /v1/models', endpoints: [{ method: 'GET', format: 'by-header', answer: (req, c) => answerListModels(req, c.router) }] },
  { path: '/v1/messages', label: 'POST /v1/messages', endpoints: [{ method: 'POST', format: 'anthropic', answer: (req, c) => answerMessages(req, c.router) }] },
  { path: '/v1/messages/count_tokens', label: 'POST /v1/messages/count_tokens', endpoints: [{ method: 'POST', format: 'anthropic', answer: (req, c) => answerCountTokens(req, c.router) }] },
];

const SERVED = RESOURCES.map((r) => r.label).filter((label) => label !== '').join(', ');

function findResource(path: string): { resource: Resource; params: string[] } | undefined {
  for (const resource of RESOURCES) {
    if (resource.path === path) return { resource, params: [] };
    if (typeof resource.path !== 'string') {
      const match = resource.path.exec(path);
      if (match !== null) return { resource, params: match.slice(1).map((p) => decodeURIComponent(p)) };
    }
  }
  return undefined;
}

/** Without a store (the in-process library), each router keeps its responses in memory. */
const memoryLogs = new WeakMap<Router, ResponseLog>();

function memoryLog(router: Router): ResponseLog {
  let log = memoryLogs.get(router);
  if (log === undefined) memoryLogs.set(router, (log = new MemoryResponses()));
  return log;
}

export interface IncomingApiRequest extends Omit<ApiRequest, 'body' | 'json'> {
  method: string;
  path: string;
  /** Reads the body under the size limit (throws KeelError body_too_large). */
  readBody(): Promise<Buffer>;
}

export interface HandledRequest {
  answer: ApiAnswer;
  /** The error code when the answer is an error (for logs and counters). */
  errorCode?: string;
  /** The underlying error when Keel itself failed (an `internal` error), for the log. */
  internal?: unknown;
}

export interface HandleOptions {
  /** Authenticates callers and enforces their limits; without one every request is anonymous. */
  gate?: RequestGate;
  /** JSON depth and message/tool caps (defaults when unset). */
  limits?: BodyLimits;
  /** Where Responses API answers are kept (Keel's store); in memory when unset. */
  responses?: ResponseLog;
}

export async function handleApiRequest(incoming: IncomingApiRequest, router: Router, options: HandleOptions = {}): Promise<HandledRequest> {
  const found = findResource(incoming.path);
  const endpoint = found?.resource.endpoints.find((e) => e.method === incoming.method);
  const declared = (endpoint ?? found?.resource.endpoints[0])?.format ?? 'by-header';
  const format: WireFormat = declared !== 'by-header' ? declared : incoming.headers['anthropic-version'] !== undefined ? 'anthropic' : 'openai';
  let grant: Grant | undefined;
  try {
    if (found === undefined) throw new KeelError('not_found', `Unknown path: ${incoming.method} ${incoming.path}. Keel serves ${SERVED}.`);
    if (endpoint === undefined) {
      throw new KeelError('method_not_allowed', `Method ${incoming.method} is not allowed on ${incoming.path}; use ${allowedMethods(found.resource).replace(', ', ' or ')}.`);
    }
    // Before the body is read: an unknown key costs Keel a hash, not a 10 MiB upload.
    const caller = options.gate?.authenticate(incoming.headers);
    // Built field by field: a spread of `incoming` copies its transport fields (method, path, readBody) too, and costs more.
    const req: ApiRequest = { headers: incoming.headers, requestId: incoming.requestId, body: NO_BODY, json: undefined, signal: incoming.signal, trail: incoming.trail };
    if (caller !== undefined) req.caller = caller;
    if (caller?.keyName !== undefined) incoming.trail.key = caller.keyName;
    if (endpoint.method === 'POST') {
      const contentType = incoming.headers['content-type'];
      if (!isJsonContentType(typeof contentType === 'string' ? contentType : undefined)) {
        throw new KeelError('unsupported_media_type', `Expected Content-Type: application/json, got ${String(contentType ?? 'none')}.`);
      }
      req.body = await incoming.readBody();
      req.json = readJsonBody(req.body, options.limits);
      if (caller !== undefined) {
        const admitted = options.gate!.admit(caller, { json: req.json, bodyBytes: req.body.length });
        grant = admitted instanceof Promise ? await admitted : admitted; // at once unless the counters must wait
        req.grant = grant;
      }
    }
    const answer = await endpoint.answer(req, { router, responses: options.responses ?? memoryLog(router), params: found.params });
    grant?.writeHeaders(answer.headers); // every answer's headers are its own
    return { answer };
  } catch (err) {
    grant?.abandon();
    const error = toKeelError(err);
    incoming.trail.outcome = error.code;
    const answer = errorAnswer(error, format, incoming.requestId);
    const headers: Record<string, string> = {};
    grant?.writeHeaders(headers);
    Object.assign(headers, answer.headers);
    if (error.code === 'method_not_allowed' && found !== undefined) headers['allow'] = allowedMethods(found.resource);
    const handled: HandledRequest = { answer: jsonAnswer(answer.status, answer.body, headers), errorCode: error.code };
    if (error.code === 'internal') handled.internal = error.cause;
    return handled;
  }
}

/** The methods a resource answers, for a 405's message and `Allow` header. */
function allowedMethods(resource: Resource): string {
  return resource.endpoints.map((e) => e.method).join(', ');
}

/** A GET's body: one shared empty buffer (nothing writes into a zero-length buffer). */
const NO_BODY = Buffer.alloc(0);

export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  if (value === 'application/json') return true; // what nearly every client sends
  const type = value.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}
