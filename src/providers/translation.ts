/**
 * What every translating encoder shares: refusing what its format cannot express (one error, turned into a
 * `bad_request` failure naming the feature and the deployment, before any upstream traffic), and reading a
 * tool call's arguments as the JSON object Anthropic and Gemini require — text a model produced may not be
 * JSON, and that is refused by name rather than sent on broken.
 */
import type { Deployment } from '../config/resolve-config.js';
import type { UpstreamFailure } from './types.js';

type Json = Record<string, unknown>;

export type EncodeResult = { ok: true; body: Json } | { ok: false; failure: UpstreamFailure };

/** Thrown inside an encoder for a request its format cannot take; `encodeOrRefuse` turns it into a failure. */
export class NotTranslatable extends Error {
  override readonly name = 'NotTranslatable';
}

export function encodeOrRefuse(encode: () => Json): EncodeResult {
  try {
    return { ok: true, body: encode() };
  } catch (err) {
    if (!(err instanceof NotTranslatable)) throw err;
    return { ok: false, failure: { outcome: 'bad_request', status: 400, message: err.message } };
  }
}

/** `label` names the provider in messages: "Anthropic", "Gemini". */
export function refuseFeature(feature: string, label: string, deployment: Deployment): never {
  throw new NotTranslatable(`${feature} is not supported by ${label} deployment ${deployment.id}`);
}

export function toolArgumentsObject(id: string, name: string, args: string, label: string, deployment: Deployment): Json {
  if (args.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(args);
  } catch {
    throw new NotTranslatable(`tool call ${id} (${name}) has arguments that are not valid JSON; ${label} deployment ${deployment.id} needs a JSON object`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new NotTranslatable(`tool call ${id} (${name}) has arguments that are not a JSON object; ${label} deployment ${deployment.id} needs one`);
  }
  return parsed as Json;
}
