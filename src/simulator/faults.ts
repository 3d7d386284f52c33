/**
 * The fault book: which fault is installed for which model, and whether a given request is hit. Hits are
 * decided by a seeded PRNG so that a drill with `rate: 0.3` fails the same requests on every run, and a
 * `times` budget counts hits (not requests seen) so "fail the next 2 calls" means two failed calls. A
 * `mix` draws which of its faults a hit meets from the same PRNG, so that choice replays identically too.
 * Also validates faults arriving as JSON through the control API.
 */
import { isRecord } from './json-shape.js';
import type { ErrorKind, FaultSpec, FaultType, MixChoice, SingleFaultSpec } from './types.js';

/** mulberry32: tiny, fast and good enough to spread fault hits; returns floats in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class FaultBook {
  private readonly byModel = new Map<string, { spec: FaultSpec; hitsLeft: number | null }>();
  private random: () => number;

  constructor(private readonly seed: number) {
    this.random = seededRandom(seed);
  }

  set(model: string, spec: FaultSpec | null): void {
    if (spec === null) {
      this.byModel.delete(model);
      return;
    }
    this.byModel.set(model, { spec, hitsLeft: spec.times ?? null });
  }

  /** Clears every fault and reseeds the PRNG, so a drill started after a reset replays identically. */
  clear(): void {
    this.byModel.clear();
    this.random = seededRandom(this.seed);
  }

  list(): Record<string, FaultSpec> {
    return Object.fromEntries([...this.byModel].map(([model, entry]) => [model, entry.spec]));
  }

  /**
   * The fault hitting this request, if any (for a `mix`, the one drawn). A model's own fault shadows the
   * '*' fault. The PRNG is drawn only for faults with a rate below 1 and for mixes, so installing an
   * unconditional single fault does not shift the sequence.
   */
  take(model: string): SingleFaultSpec | null {
    const key = this.byModel.has(model) ? model : this.byModel.has('*') ? '*' : null;
    if (key === null) return null;
    const entry = this.byModel.get(key);
    if (entry === undefined) return null;
    const rate = entry.spec.rate ?? 1;
    if (rate < 1 && this.random() >= rate) return null;
    if (entry.hitsLeft !== null) {
      entry.hitsLeft -= 1;
      if (entry.hitsLeft <= 0) this.byModel.delete(key);
    }
    return entry.spec.type === 'mix' ? drawChoice(entry.spec.faults, this.random()) : entry.spec;
  }
}

/** The choice a draw in [0, 1) lands on, each choice owning a share of [0, 1) proportional to its weight. */
export function drawChoice(choices: readonly MixChoice[], draw: number): SingleFaultSpec {
  const total = choices.reduce((sum, choice) => sum + (choice.weight ?? 1), 0);
  let at = draw * total;
  for (const choice of choices) {
    at -= choice.weight ?? 1;
    if (at < 0) return withoutWeight(choice);
  }
  // Only floating-point rounding gets here (draw * total landing on total): the last choice owns the end.
  return withoutWeight(choices[choices.length - 1]!);
}

function withoutWeight(choice: MixChoice): SingleFaultSpec {
  const { weight: _weight, ...fault } = choice;
  return fault as SingleFaultSpec;
}

export class FaultSpecError extends Error {
  override readonly name = 'FaultSpecError';
}

const ERROR_KINDS: readonly ErrorKind[] = [
  'rate_limit', 'overloaded', 'server_error', 'unavailable', 'timeout',
  'context_length', 'content_filter', 'bad_request', 'auth', 'not_found',
];

/** Number fields each fault type requires (`true`) or accepts (`false`), all non-negative. */
const NUMBER_FIELDS: Record<FaultType, Record<string, boolean>> = {
  error: { status: true, retryAfterS: false, retryAfterMs: false },
  latency: { ms: true },
  slow_first_token: { ms: true },
  reset: {},
  hang: {},
  body_hang: { ms: false },
  mix: {},
  stream_cut: { afterTokens: true },
  stream_stall: { afterTokens: true, ms: false },
  malformed_chunk: { afterTokens: true },
  missing_done: {},
  in_stream_error: { afterTokens: true },
};

/** Validates an untrusted fault (control API JSON); throws FaultSpecError with a readable reason. */
export function parseFaultSpec(input: unknown): FaultSpec {
  if (!isRecord(input)) throw new FaultSpecError('fault must be an object or null');
  checkFault(input, 'fault');
  if (input['type'] === 'mix') checkMix(input);
  // Every field was checked against its fault type; the remaining shape is the union's.
  return input as unknown as FaultSpec;
}

/**
 * A mix's choices are single faults with a weight. A choice may not carry its own `rate` or `times` (the
 * mix's own decide whether a request is hit at all) nor be a mix itself: one draw picks one fault.
 */
function checkMix(input: Record<string, unknown>): void {
  const faults = input['faults'];
  if (!Array.isArray(faults) || faults.length === 0) throw new FaultSpecError('fault.faults must be a non-empty list of faults, each with an optional weight');
  faults.forEach((choice: unknown, i) => {
    const at = `fault.faults[${i}]`;
    if (!isRecord(choice)) throw new FaultSpecError(`${at} must be an object`);
    if (choice['type'] === 'mix') throw new FaultSpecError(`${at}.type must not be mix: a mix picks one single fault per hit`);
    for (const field of ['rate', 'times'] as const) {
      if (choice[field] !== undefined) throw new FaultSpecError(`${at}.${field} is not allowed: the mix's own ${field} applies to all its faults`);
    }
    const weight = choice['weight'];
    if (weight !== undefined && (typeof weight !== 'number' || !Number.isFinite(weight) || weight <= 0)) {
      throw new FaultSpecError(`${at}.weight must be a positive number`);
    }
    checkFault(choice, at);
  });
}

/** Checks one fault's type and fields; `at` names it in messages (`fault`, `fault.faults[1]`). */
function checkFault(input: Record<string, unknown>, at: string): void {
  const type = input['type'];
  if (typeof type !== 'string' || !(type in NUMBER_FIELDS)) {
    throw new FaultSpecError(`${at}.type must be one of ${Object.keys(NUMBER_FIELDS).join(', ')}`);
  }
  const fields = NUMBER_FIELDS[type as FaultType];
  for (const [field, required] of Object.entries(fields)) {
    const value = input[field];
    if (value === undefined && !required) continue;
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      throw new FaultSpecError(`${at}.${field} must be a non-negative number`);
    }
  }
  const status = input['status'];
  if (type === 'error' && (!Number.isInteger(status) || (status as number) < 400 || (status as number) > 599)) {
    throw new FaultSpecError(`${at}.status must be an HTTP error status (400-599)`);
  }
  const rate = input['rate'];
  if (rate !== undefined && (typeof rate !== 'number' || !(rate >= 0 && rate <= 1))) {
    throw new FaultSpecError(`${at}.rate must be a number between 0 and 1`);
  }
  const times = input['times'];
  if (times !== undefined && (typeof times !== 'number' || !Number.isInteger(times) || times < 1)) {
    throw new FaultSpecError(`${at}.times must be a positive integer`);
  }
  const kind = input['kind'];
  if (type === 'error' && kind !== undefined && !ERROR_KINDS.includes(kind as ErrorKind)) {
    throw new FaultSpecError(`${at}.kind must be one of ${ERROR_KINDS.join(', ')}`);
  }
  if (type === 'in_stream_error' && kind !== undefined && kind !== 'overloaded' && kind !== 'server_error') {
    throw new FaultSpecError(`${at}.kind must be overloaded or server_error`);
  }
  const headers = input['headers'];
  if (headers !== undefined && (!isRecord(headers) || !Object.values(headers).every((v) => typeof v === 'string'))) {
    throw new FaultSpecError(`${at}.headers must map header names to strings`);
  }
  if (input['message'] !== undefined && typeof input['message'] !== 'string') {
    throw new FaultSpecError(`${at}.message must be a string`);
  }
  if (input['keepOpen'] !== undefined && typeof input['keepOpen'] !== 'boolean') {
    throw new FaultSpecError(`${at}.keepOpen must be a boolean`);
  }
}
