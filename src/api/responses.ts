/**
 * The OpenAI Responses surface: `POST /v1/responses` (JSON and SSE), `GET` and `DELETE
 * /v1/responses/{id}`. A request becomes a canonical request and is routed like any other, so it fails
 * over across every provider; an `openai` deployment gets the client's body as is (pass-through to its own
 * `/v1/responses`), any other an encoding of the canonical answer. Keel keeps the responses it served
 * (per tenant, unless `store: false`), and a later request's `previous_response_id` is expanded here into
 * the whole conversation — so the next turn may be answered by another provider than the last one —
 * as is an `item_reference` to an item Keel served.
 * `background` mode is refused: Keel answers while the client waits.
 */
import type { ChatResponse } from '../core/chat-response.js';
import { KeelError } from '../core/errors.js';
import { parseJsonOrUndefined } from '../core/json-text.js';
import type { Router } from '../router/router.js';
import type { Store, StoredResponse } from '../store/store.js';
import { dispatchInput, jsonAnswer, type ApiAnswer, type ApiRequest } from './api-request.js';
import { encodeResponsesResponse, newResponseId, type Envelope, type Json } from './responses/encode-responses-response.js';
import { parseResponsesRequest } from './responses/parse-responses-request.js';
import { historyItems, resolveItemReferences, storedResponseOf } from './responses/response-history.js';
import type { InputItem } from './responses/responses-request-schema.js';
import { ResponsesStreamEncoder } from './responses/responses-stream-encoder.js';
import { answerDispatch } from './stream-answer.js';

/** Where served responses are kept (the store, or memory when Keel runs without one). */
export type ResponseLog = Pick<Store, 'saveResponse' | 'getResponse' | 'deleteResponse'>;

function tenantOf(req: ApiRequest): string {
  return req.caller?.tenant ?? '';
}

function field(json: unknown, key: string): unknown {
  return json !== null && typeof json === 'object' && !Array.isArray(json) ? (json as Record<string, unknown>)[key] : undefined;
}

/** The conversation a `previous_response_id` continues: its input items and its output, in order. */
async function earlierItems(req: ApiRequest, log: ResponseLog): Promise<InputItem[]> {
  const previous = field(req.json, 'previous_response_id');
  if (typeof previous !== 'string' || previous === '') return [];
  const stored = await log.getResponse(tenantOf(req), previous);
  if (stored === undefined) {
    throw new KeelError('invalid_request', `Previous response with id '${previous}' not found.`, { param: 'previous_response_id', upstreamCode: 'previous_response_not_found' });
  }
  return historyItems(stored);
}

/**
 * The body an `openai` deployment is handed: the client's own, unless Keel expanded an earlier turn
 * into it (OpenAI may never have seen that turn: another provider may have answered it).
 */
function passthroughBody(req: ApiRequest, items: InputItem[], expanded: boolean): Buffer {
  if (!expanded) return req.body;
  // The conversation as Keel expanded it: earlier turns first, references resolved, nothing else changed.
  const { previous_response_id: _previous, ...rest } = req.json as Record<string, unknown>;
  return Buffer.from(JSON.stringify({ ...rest, input: items }));
}

export async function answerResponses(req: ApiRequest, router: Router, log: ResponseLog): Promise<ApiAnswer> {
  if (field(req.json, 'background') === true) {
    throw new KeelError('invalid_request', "Background mode is not supported by Keel: send the request without 'background' and wait for the answer (stream it to see progress).", { param: 'background', upstreamCode: 'unsupported_parameter' });
  }
  const earlier = await earlierItems(req, log);
  const references = await resolveItemReferences(field(req.json, 'input'), (id) => log.getResponse(tenantOf(req), id));
  const json = references.resolved ? { ...(req.json as Record<string, unknown>), input: references.input } : req.json;
  const { request, params, items } = parseResponsesRequest(json, earlier);
  const expanded = earlier.length > 0 || references.resolved;
  // A passed-through Responses stream carries OpenAI's own item ids and numbering, which an encoder taking
  // over mid-answer cannot continue: such a stream is not resumed on another deployment.
  const input = dispatchInput(req, request, 'openai-responses', passthroughBody(req, items, expanded));
  input.passthroughResumable = false;
  const result = await router.dispatch(input);
  const envelope: Envelope = { id: newResponseId(), createdAt: Math.floor(Date.now() / 1000), model: params.model, params };
  const keep = async (response: Json | undefined): Promise<void> => {
    if (params.store === false || response === undefined) return;
    // Awaited before the client gets the end of the answer: a next turn sent at once must find it. A
    // store that fails costs only the continuation of this conversation, never the answer itself.
    try {
      await log.saveResponse(storedResponseOf(response, tenantOf(req), items));
    } catch {
      return;
    }
  };
  let lastSequence: number | undefined;
  const encoder = new ResponsesStreamEncoder(envelope, () => (result.passthrough ? lastSequence : undefined));
  const answer = answerDispatch(req, result, {
    encodeResponse: (response: ChatResponse) => encodeResponsesResponse(response, envelope),
    streamEncoder: () => encoder,
    // A passed-through stream's own `response.completed` is its end: nothing to add.
    passthroughEnd: '',
    failure: (failure) => encoder.failed(failure.outcome === 'rate_limited' ? 'rate_limit_exceeded' : 'server_error', `The answer was interrupted: ${failure.message}`),
    // Its frames are read below (sequence numbers, the completed response) and may be rewritten.
    readsFrames: true,
  });
  // OpenAI was handed the whole conversation, not the id it may never have seen: its answer says it
  // continues nothing, and the client must read back the id it sent.
  const previous = field(req.json, 'previous_response_id');
  const restore = (text: string): string =>
    result.passthrough && earlier.length > 0 ? text.replaceAll('"previous_response_id":null', `"previous_response_id":${JSON.stringify(previous)}`) : text;
  if (typeof answer.body === 'string' || Buffer.isBuffer(answer.body)) {
    const body = restore(answer.body.toString());
    if (answer.status === 200) await keep(parseJsonObject(body));
    return { ...answer, body };
  }
  const frames = answer.body;
  return {
    ...answer,
    body: (async function* watch() {
      for await (const raw of frames) {
        // Text, as this surface asks for (`readsFrames`); the type also allows a stream's own bytes.
        const frame = restore(typeof raw === 'string' ? raw : raw.toString('utf8'));
        lastSequence = lastSequenceOf(frame) ?? lastSequence;
        const completed = completedResponseOf(frame);
        if (completed !== undefined) await keep(completed);
        yield frame;
      }
    })(),
  };
}

export async function answerGetResponse(req: ApiRequest, log: ResponseLog, id: string): Promise<ApiAnswer> {
  const stored = await log.getResponse(tenantOf(req), id);
  if (stored === undefined) throw notFound(id);
  return jsonAnswer(200, stored.response);
}

export async function answerDeleteResponse(req: ApiRequest, log: ResponseLog, id: string): Promise<ApiAnswer> {
  if (!(await log.deleteResponse(tenantOf(req), id))) throw notFound(id);
  return jsonAnswer(200, { id, object: 'response', deleted: true });
}

function notFound(id: string): KeelError {
  return new KeelError('not_found', `Response with id '${id}' not found.`, { param: 'response_id' });
}

function parseJsonObject(text: string): Json | undefined {
  const value = parseJsonOrUndefined(text);
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : undefined;
}

const SEQUENCE = /"sequence_number":(\d+)/g;
const COMPLETED = /^event: response\.(?:completed|incomplete)\ndata: (.*)$/m;

/** The highest sequence number in a chunk of frames (a passed-through stream numbers its own). */
function lastSequenceOf(frame: string): number | undefined {
  let last: number | undefined;
  for (const match of frame.matchAll(SEQUENCE)) last = Number(match[1]);
  return last;
}

/** The finished response carried by a chunk of frames, if it holds the stream's closing event. */
function completedResponseOf(frame: string): Json | undefined {
  const data = COMPLETED.exec(frame)?.[1];
  if (data === undefined) return undefined;
  const response = field(parseJsonObject(data), 'response');
  return response !== null && typeof response === 'object' ? (response as Json) : undefined;
}

export type { StoredResponse };
