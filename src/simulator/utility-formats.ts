/**
 * The provider endpoints that are not chat: OpenAI's `POST /v1/embeddings` (a deterministic vector per
 * input, so a test can tell which model made it: the vector depends on the model name as well as the
 * text), Anthropic's `POST /v1/messages/count_tokens` and Gemini's `:countTokens` (the same estimate the
 * chat answers report as input tokens). Both answer JSON only, and go through the same fault book as every other request.
 */
import { createHash } from 'node:crypto';
import { anthropicCodec } from './anthropic-format.js';
import { geminiCodec } from './gemini-format.js';
import { readGeminiRequest } from './gemini-request.js';
import { readAnthropicRequest } from './anthropic-request.js';
import { InvalidRequestError, type FormatCodec } from './format-codec.js';
import { asArray, asNumber, asString, isRecord } from './json-shape.js';
import { openaiCodec } from './openai-format.js';
import { estimateTokens, type NeutralRequest } from './reply-plan.js';

const DEFAULT_DIMENSIONS = 8;
/** OpenAI's largest embedding model has 3072 dimensions; it refuses more. */
const MAX_DIMENSIONS = 3072;

/** A unit-length vector that depends only on the model and the text. */
export function simulatedVector(model: string, text: string, dimensions: number): number[] {
  const values: number[] = [];
  for (let i = 0; values.length < dimensions; i += 1) {
    const digest = createHash('sha256').update(`${model}\u0000${i}\u0000${text}`).digest();
    for (let at = 0; at + 4 <= digest.length && values.length < dimensions; at += 4) values.push(digest.readUInt32BE(at) / 0xffffffff - 0.5);
  }
  const norm = Math.hypot(...values) || 1;
  return values.map((v) => v / norm);
}

function embeddingInputs(body: Record<string, unknown>): string[] {
  const input = body['input'];
  if (typeof input === 'string') return [input];
  const list = asArray(input);
  if (list.length === 0) throw new InvalidRequestError("'$.input' is invalid. Please check the API reference: https://platform.openai.com/docs/api-reference.", 'input');
  // Token arrays are embedded as their text form: the simulator has no tokenizer.
  return list.map((item) => (typeof item === 'string' ? item : JSON.stringify(item)));
}

function readEmbeddingsRequest(body: unknown): NeutralRequest {
  if (!isRecord(body)) throw new InvalidRequestError('The request body must be a JSON object.');
  const model = asString(body['model']);
  if (model === undefined || model === '') throw new InvalidRequestError('you must provide a model parameter', 'model');
  const inputs = embeddingInputs(body);
  const dimensions = body['dimensions'];
  if (dimensions !== undefined && (!Number.isInteger(dimensions) || (dimensions as number) < 1 || (dimensions as number) > MAX_DIMENSIONS)) {
    throw new InvalidRequestError(`Invalid 'dimensions': expected an integer from 1 to ${MAX_DIMENSIONS}.`, 'dimensions');
  }
  return {
    model, stream: false, streamUsage: false, inputChars: inputs.join('').length, lastUserText: '', endsWithUser: false,
    toolResults: [], imageCount: 0, tools: [], toolChoice: { type: 'auto' }, maxTokens: null, stopSequences: [],
    jsonMode: false, thinking: false, echo: body,
  };
}

export const embeddingsCodec: FormatCodec = {
  ...openaiCodec,
  readRequest: (body) => readEmbeddingsRequest(body),
  renderJson: (_plan, request, ctx) => {
    const body = request.echo ?? {};
    const dimensions = asNumber(body['dimensions']) ?? DEFAULT_DIMENSIONS;
    const base64 = body['encoding_format'] === 'base64';
    const data = embeddingInputs(body).map((text, index) => {
      const vector = simulatedVector(ctx.model, text, dimensions);
      const embedding = base64 ? Buffer.from(new Float32Array(vector).buffer).toString('base64') : vector;
      return { object: 'embedding', index, embedding };
    });
    const tokens = estimateTokens(request.inputChars);
    return { object: 'list', data, model: ctx.model, usage: { prompt_tokens: tokens, total_tokens: tokens } };
  },
};

export const countTokensCodec: FormatCodec = {
  ...anthropicCodec,
  // count_tokens takes a Messages body without `max_tokens`.
  readRequest: (body, target) => readAnthropicRequest(isRecord(body) ? { max_tokens: 1, ...body } : body, target),
  renderJson: (plan) => ({ input_tokens: plan.inputTokens }),
};

export const geminiCountTokensCodec: FormatCodec = {
  ...geminiCodec,
  // countTokens takes `{contents}` or `{generateContentRequest: {...}}`.
  readRequest: (body, target) => readGeminiRequest(isRecord(body) && isRecord(body['generateContentRequest']) ? body['generateContentRequest'] : body, target),
  renderJson: (plan) => ({ totalTokens: plan.inputTokens }),
};
