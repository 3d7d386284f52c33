/**
 * What an admin route is: a method, a path pattern (`/admin/keys/:id/revoke`) and a handler that gets the
 * request's context (its validated JSON body, the actor, the audit log) and returns a JSON result. Routes
 * throw `KeelError`s; the admin API turns them into JSON error answers.
 */
import type { z } from 'zod';
import { KeelError } from '../../core/errors.js';
import { readJsonBody } from '../../api/hardening/read-json-body.js';
import { validationError } from '../../api/validation-error.js';
import { secrets } from '../../core/secrets.js';
import type { Store } from '../../store/index.js';

export interface AdminRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  /** Lower-case names. */
  headers: Record<string, string | string[] | undefined>;
  readBody(): Promise<Buffer>;
}

export interface AdminResult {
  status?: number;
  body: unknown;
}

export interface AdminContext {
  req: AdminRequest;
  params: Record<string, string>;
  /** Who made the change, for the audit log. */
  actor: string;
  nowMs: number;
  /** The JSON body, validated; an empty body reads as `{}`. */
  body<S extends z.ZodType>(schema: S): Promise<z.output<S>>;
  /** Records a change; details are redacted and must never carry a secret. */
  audit(action: string, target: string, details?: Record<string, unknown>): Promise<void>;
}

export interface AdminRoute {
  method: 'GET' | 'POST' | 'DELETE';
  pattern: string;
  handle(ctx: AdminContext): Promise<AdminResult> | AdminResult;
}

/** The params of `path` under `pattern`, or undefined when it does not match. */
export function matchPattern(pattern: string, path: string): Record<string, string> | undefined {
  const want = pattern.split('/');
  const got = path.split('/');
  if (want.length !== got.length) return undefined;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const segment = want[i]!;
    if (segment.startsWith(':')) {
      let value: string;
      try {
        value = decodeURIComponent(got[i]!);
      } catch {
        return undefined;
      }
      if (value === '') return undefined;
      params[segment.slice(1)] = value;
    } else if (segment !== got[i]) return undefined;
  }
  return params;
}

export function makeContext(req: AdminRequest, params: Record<string, string>, store: Store, nowMs: number, actor: string): AdminContext {
  return {
    req,
    params,
    actor,
    nowMs,
    async body(schema) {
      const raw = await req.readBody();
      const json = raw.length === 0 ? {} : readJsonBody(raw);
      const parsed = schema.safeParse(json);
      if (!parsed.success) throw validationError(parsed.error, json);
      return parsed.data;
    },
    async audit(action, target, details) {
      const clean = details === undefined ? undefined : (JSON.parse(secrets.redact(JSON.stringify(details))) as Record<string, unknown>);
      await store.appendAudit({ at: nowMs, actor, action, target, ...(clean === undefined ? {} : { details: clean }) });
    },
  };
}

/** A positive integer query parameter, or the default. */
export function intParam(query: URLSearchParams, name: string, fallback: number, max: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new KeelError('invalid_request', `Invalid value for '${name}': expected a non-negative integer.`, { param: name });
  return Math.min(n, max);
}
