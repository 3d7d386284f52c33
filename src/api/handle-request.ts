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
import { answerChatCompletions, answerListModels } from './openai.js';

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

export async function handleApiRequest(incoming: IncomingApiRequest, router: Router): Promise<HandledRequest> {
  const endpoint = ENDPOINTS.get(incoming.path);
  const format: WireFormat = endpoint?.format ?? (incoming.headers['anthropic-version'] !== undefined ? 'anthropic' : 'openai');
  try {
    if (endpoint === undefined) throw new KeelError('not_found', `Unknown path: ${incoming.method} ${incoming.path}.`);
    if (incoming.method !== endpoint.method) {
      throw new KeelError('method_not_allowed', `Method ${incoming.method} is not allowed on ${incoming.path}; use ${endpoint.method}.`);
    }
    const req: ApiRequest = { ...incoming, body: Buffer.alloc(0), json: undefined };
    if (endpoint.method === 'POST') {
      const contentType = incoming.headers['content-type'];
      if (!isJsonContentType(typeof contentType === 'string' ? contentType : undefined)) {
        throw new KeelError('unsupported_media_type', `Expected Content-Type: application/json, got ${String(contentType ?? 'none')}.`);
      }
      req.body = await incoming.readBody();
      req.json = parseJsonBody(req.body);
    }
    return { answer: await endpoint.answer(req, router) };
  } catch (err) {
    const error = toKeelError(err);
    incoming.trail.outcome = error.code;
    const answer = errorAnswer(error, format, incoming.requestId);
    const headers = { ...answer.headers };
    if (error.code === 'method_not_allowed' && endpoint !== undefined) headers['allow'] = endpoint.method;
    const handled: HandledRequest = { answer: jsonAnswer(answer.status, answer.body, headers), errorCode: error.code };
    if (error.code === 'internal') handled.internal = error.cause;
    return handled;
  }
}

/** Parses a JSON body, turning a syntax error into a 400 that says where the JSON broke. */
export function parseJsonBody(body: Buffer): unknown {
  if (body.length === 0) throw new KeelError('invalid_json', 'The request body is empty; expected a JSON object.');
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    const detail = err instanceof SyntaxError ? err.message : 'invalid JSON';
    throw new KeelError('invalid_json', `The request body is not valid JSON: ${detail}.`);
  }
}

export function isJsonContentType(value: string | undefined): boolean {
  if (value === undefined) return false;
  const type = value.split(';')[0]!.trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}
