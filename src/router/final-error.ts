/**
 * The error a client gets when no attempt succeeded, chosen from how the attempts ended: the provider's
 * own refusal for a client error (its status and reason kept), a context-length or content-filter error
 * as such, a deadline error when time ran out, and otherwise a 503 with Retry-After that lists every
 * attempt so the client (and its operator) can see what happened.
 */
import { KeelError, type AttemptSummary } from '../core/errors.js';
import { providerFor, type UpstreamFailure } from '../providers/index.js';
import type { AttemptRecord } from './router.js';

export interface FailureContext {
  clientAborted: boolean;
  deadlineExpired: boolean;
  attempts: AttemptRecord[];
  last: UpstreamFailure | undefined;
  /** Deployments that could not serve the request at all, with why (capabilities). */
  refusals: string[];
  /** Deployments skipped because their breaker was open or the throttle shed the call. */
  skipped: string[];
}

export function finalError(ctx: FailureContext): KeelError {
  const attempts: AttemptSummary[] = ctx.attempts.map((a) => ({
    deployment: a.deployment,
    outcome: a.outcome,
    latencyMs: a.latencyMs,
    ...(a.status === undefined ? {} : { status: a.status }),
  }));
  const { last } = ctx;
  if (ctx.clientAborted) return new KeelError('client_closed', 'The client closed the connection.', { attempts });
  if (last === undefined) {
    if (ctx.refusals.length > 0 && ctx.skipped.length === 0) {
      return new KeelError('unsupported_feature', `No deployment of this model can serve the request: ${ctx.refusals.join('; ')}.`, { attempts });
    }
    if (ctx.deadlineExpired) return new KeelError('deadline_exceeded', 'The request deadline passed before any deployment answered.', { attempts });
    if (ctx.skipped.length > 0 && ctx.skipped.every((s) => s.endsWith('at capacity'))) {
      return new KeelError('rate_limited', `Every deployment of this model is at capacity (${ctx.skipped.join('; ')}); retry shortly.`, { attempts, retryAfterS: 1 });
    }
    const why = ctx.skipped.length > 0 ? ` (${ctx.skipped.join('; ')})` : '';
    return new KeelError('all_deployments_failed', `No deployment is available for this model right now${why}.`, { attempts, retryAfterS: 1 });
  }
  const lastProvider = ctx.attempts.at(-1)?.provider;
  const upstream = {
    ...(last.providerType === undefined ? {} : { upstreamType: last.providerType }),
    ...(last.providerCode === undefined ? {} : { upstreamCode: last.providerCode }),
    ...(lastProvider === undefined ? {} : { upstreamFormat: providerFor(lastProvider).format }),
  };
  switch (last.outcome) {
    case 'bad_request':
      // The provider refused the request itself: the client sees the provider's status and reason.
      return new KeelError('upstream_client_error', last.message, { status: last.status ?? 400, attempts, ...(last.param === undefined ? {} : { param: last.param }), ...upstream });
    case 'auth':
      // The provider refused Keel's credentials, not the client's: a gateway problem, not a 401 to pass on.
      return new KeelError('upstream_client_error', `The provider rejected the gateway's credentials for deployment ${ctx.attempts.at(-1)?.deployment ?? ''}: ${last.message}`, { status: 502, attempts, ...upstream });
    case 'context_length':
      return new KeelError('context_length', last.message, { attempts, ...upstream, param: last.param ?? 'messages' });
    case 'content_filter':
      return new KeelError('content_filter', last.message, { attempts, ...upstream });
    default: {
      if (ctx.deadlineExpired) return new KeelError('deadline_exceeded', `The request deadline passed; last failure: ${last.message}`, { attempts });
      const retryAfterS = Math.max(1, Math.ceil((last.retryAfterMs ?? 1000) / 1000));
      const tried = ctx.attempts.map((a) => `${a.deployment}: ${a.outcome}`).join(', ');
      const skipped = ctx.skipped.length > 0 ? `; skipped ${ctx.skipped.join(', ')}` : '';
      // The last provider's own rate-limit signals go along (as x-keel-upstream-*), never as Keel's own.
      const upstreamHeaders = last.rateLimitHeaders === undefined ? {} : { upstreamHeaders: last.rateLimitHeaders };
      return new KeelError('all_deployments_failed', `Every deployment failed (${tried}${skipped}). Last error: ${last.message}`, { attempts, retryAfterS, ...upstreamHeaders });
    }
  }
}
