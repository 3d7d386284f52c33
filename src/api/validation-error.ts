/**
 * Turns a schema failure into the client-facing error: one message naming the field (`messages[0].content`)
 * and what was expected, the way providers word theirs ("Missing required parameter: 'messages'.").
 */
import type { z } from 'zod';
import { KeelError } from '../core/errors.js';

export function formatParam(path: readonly PropertyKey[]): string {
  return path.map((seg, i) => (typeof seg === 'number' ? `[${seg}]` : i === 0 ? String(seg) : `.${String(seg)}`)).join('');
}

interface Picked {
  path: PropertyKey[];
  message: string;
  missing: boolean;
}

function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** Picks the most telling issue: for a union, the branch that got furthest; else the first issue. */
function pick(issue: z.core.$ZodIssue, input: unknown): Picked {
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const firsts = issue.errors.map((errs) => errs[0]).filter((e): e is z.core.$ZodIssue => e !== undefined);
    const deepest = firsts.reduce<z.core.$ZodIssue | undefined>((best, e) => (best === undefined || e.path.length > best.path.length ? e : best), undefined);
    if (deepest !== undefined && deepest.path.length > 0) {
      return pick({ ...deepest, path: [...issue.path, ...deepest.path] } as z.core.$ZodIssue, input);
    }
    const expected = [...new Set(firsts.map((e) => /expected (\w+)/.exec(e.message)?.[1]).filter((e) => e !== undefined))];
    if (expected.length > 0) {
      return { path: issue.path, message: `expected ${expected.join(' or ')}, got ${describe(valueAt(input, issue.path))}`, missing: false };
    }
  }
  const value = valueAt(input, issue.path);
  const missing = issue.code === 'invalid_type' && value === undefined;
  const message = issue.message.replace(/^Invalid input: /, '').replace(/, received \w+$/, `, got ${describe(value)}`);
  return { path: issue.path, message, missing };
}

function valueAt(input: unknown, path: readonly PropertyKey[]): unknown {
  let current = input;
  for (const seg of path) {
    if (current === null || typeof current !== 'object') return undefined;
    current = (current as Record<PropertyKey, unknown>)[seg];
  }
  return current;
}

export function validationError(error: z.ZodError, input: unknown): KeelError {
  const first = error.issues[0];
  if (first === undefined) return new KeelError('invalid_request', 'Invalid request body.');
  const picked = pick(first, input);
  const param = formatParam(picked.path);
  if (picked.missing) return new KeelError('invalid_request', `Missing required parameter: '${param}'.`, { param, upstreamCode: 'missing_required_parameter' });
  return new KeelError('invalid_request', `Invalid value for '${param || 'body'}': ${picked.message}.`, { param, upstreamCode: 'invalid_value' });
}
