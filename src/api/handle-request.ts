/**
 * One client request, from method and path to answer, whatever carried it: the endpoint table, the
 * checks every endpoint shares (method, content type, JSON body), and the error body in the caller's
 * format. The node HTTP server and the library's in-process `fetch` both call `handleApiRequest`, so a
 * client sees the same behaviour through either. It never throws: every failure becomes an answer.
 */
import type { WireFormat } from '../core/chat-request.js';
import { KeelError } from '../core/errors.js';
import type { Router } from '../router/router.js';
import { answerMessages } from './anthropic.js';
import { jsonAnswer, type ApiAnswer, type ApiRequest } from './api-request.js';
import { errorAnswer, toKeelError } from './error-body.js';
import { readJsonBody, type BodyLimits } from './hardening/read-json-body.js';
import { answerChatCompletions, answerListModels } from './openai.js';
import type { Grant, RequestGate } from './request-gate.js';

interface Endpoint {
  method: 'GET' | 'POST';
  /** The client API whose error format this endpoint answers in. */
  format: WireFormat;
  answer(req: ApiRequest, router: Router): Promise<ApiAnswer> | ApiAnswer;
}

const ENDPOINTS: ReadonlyMap<string, Endpoint> = new Map<string, Endpoint>([
  ['/v1/chat/completions', { method: 'POST', format: 'openai', answer: answerChatCompletions }],
  ['/chat/completions', { method: 'POST', format: 'openai', answer: answerChatCompletions }],
  ['/v1/models', { method: 'GET', format: 'openai', answer: (_req, router) => answerListModels(router) }],
  ['/v1/messages', { method: 'POST', format: 'anthropic', answer: answerMessages }],
]);

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
}

export async function handleApiRequest(incoming: IncomingApiRequest, router: Router, options: HandleOptions = {}): Promise<HandledRequest> {
  const endpoint = ENDPOINTS.get(incoming.path);
  const format: WireFormat = endpoint?.format ?? (incoming.headers['anthropic-version'] !== undefined ? 'anthropic' : 'openai');
  let grant: Grant | undefined;
  try {
    if (endpoint === undefined) throw new KeelError('not_found', `Unknown path: ${incoming.method} ${incoming.path}.`);
    if (incoming.method !== endpoint.method) {
      throw new KeelError('method_not_allowed', `Method ${incoming.method} is not allowed on ${incoming.path}; use ${endpoint.method}.`);
    }
    // Before the body is read: an unknown key costs Keel a hash, not a 10 MiB upload.
    const caller = options.gate?.authenticate(incoming.headers);
    const req: ApiRequest = { ...incoming, body: Buffer.alloc(0), json: undefined };
    if (caller !== undefined) req.caller = caller;
    if (caller?.keyName !== undefined) incoming.trail.key = caller.keyName;
    if (endpoint.method === 'POST') {
      const contentType = incoming.headers['content-type'];
      if (!isJsonContentType(typeof contentType === 'string' ? contentType : undefined)) {
        throw new KeelError('unsupported_media_type', `Expected Content-Type: application/json, got ${String(contentType ?? 'none')}.`);
      }
      req.body = await incoming.readBody();
      req.json = readJsonBody(req.body, options.limits);
      if (caller !== undefined) grant = await options.gate!.admit(caller, { requestId: incoming.requestId, json: req.json, bodyBytes: req.body.length });
    }
    const answer = await endpoint.answer(req, router);
    if (grant !== undefined) answer.headers = { ...answer.headers, ...grant.headers };
    return { answer };
  } catch (err) {
    grant?.abandon();
    const error = toKeelError(err);
    incoming.trail.outcome = error.code;
    const answer = errorAnswer(error, format, incoming.requestId);
    const headers = { ...grant?.headers, ...answer.headers };
    if (error.code === 'method_not_allowed' && endpoint !== undefined) headers['allow'] = endpoint.method;
    const handled: HandledRequest = { answer: jsonAnswer(answer.status, answer.body, headers), errorCode: error.code };
    if (error.code === 'internal') handled.internal = error.cause;
    return handled;
  }
}

export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const type = value.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}
