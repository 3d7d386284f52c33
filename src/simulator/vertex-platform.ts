/**
 * Google Vertex AI, as the simulator serves it: Claude through `:rawPredict` / `:streamRawPredict` with
 * an Anthropic Messages body carrying `anthropic_version: vertex-2023-10-16` and no `model` (it is in
 * the URL), answered in Anthropic's format; Gemini through `:generateContent` / `:streamGenerateContent`
 * in Gemini's. Every call needs an OAuth2 bearer token. Platform errors (quota, unavailable, auth) use
 * Google's `{error: {code, message, status}}` shape; Claude's own overload passes through as Anthropic's
 * 529 `overloaded_error`, as it does on the real service.
 */
import { createPublicKey, verify } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { ErrorContext, ErrorReply, FormatCodec, ReplyContext } from './format-codec.js';
import { isRecord } from './json-shape.js';

export const VERTEX_ANTHROPIC_VERSION = 'vertex-2023-10-16';

const UNAUTHENTICATED = 'Request had invalid authentication credentials. Expected OAuth 2 access token, login cookie or other valid authentication credential. See https://developers.google.com/identity/sign-in/web/devconsole-project.';

export function googleError(status: number, statusName: string, message: string): ErrorReply {
  return { status, headers: {}, body: { error: { code: status, message, status: statusName } } };
}

export interface GoogleCredentialsCheck {
  /** An opaque access token to accept. */
  token?: string | undefined;
  /** A service account whose self-signed JWTs (RS256, cloud-platform scope) to accept. */
  serviceAccount?: { clientEmail: string; publicKeyPem: string } | undefined;
}

const CLOUD_PLATFORM = 'https://www.googleapis.com/auth/cloud-platform';

/** True for a self-signed service-account JWT whose signature, issuer, expiry and scope all hold. */
function validServiceAccountJwt(token: string, account: { clientEmail: string; publicKeyPem: string }): boolean {
  const parts = token.split('.');
  if (parts.length !== 3) return false;
  try {
    const header = JSON.parse(Buffer.from(parts[0]!, 'base64url').toString('utf8')) as { alg?: unknown };
    const claims = JSON.parse(Buffer.from(parts[1]!, 'base64url').toString('utf8')) as { iss?: unknown; exp?: unknown; scope?: unknown; aud?: unknown };
    if (header.alg !== 'RS256') return false;
    const signed = verify('RSA-SHA256', Buffer.from(`${parts[0]}.${parts[1]}`), createPublicKey(account.publicKeyPem), Buffer.from(parts[2]!, 'base64url'));
    const scoped = (typeof claims.scope === 'string' && claims.scope.split(' ').includes(CLOUD_PLATFORM)) || typeof claims.aud === 'string';
    return signed && claims.iss === account.clientEmail && typeof claims.exp === 'number' && claims.exp * 1000 > Date.now() && scoped;
  } catch {
    return false;
  }
}

/**
 * Null when the request carries an accepted credential: the configured token, or a valid JWT of the
 * configured service account; with neither configured, any bearer token.
 */
export function checkBearer(req: IncomingMessage, check: GoogleCredentialsCheck): ErrorReply | null {
  const authorization = req.headers.authorization;
  const presented = typeof authorization === 'string' && /^bearer\s+/i.test(authorization) ? authorization.replace(/^bearer\s+/i, '').trim() : '';
  const open = check.token === undefined && check.serviceAccount === undefined;
  const accepted = presented !== '' && (open
    || presented === check.token
    || (check.serviceAccount !== undefined && validServiceAccountJwt(presented, check.serviceAccount)));
  return accepted ? null : googleError(401, 'UNAUTHENTICATED', UNAUTHENTICATED);
}

/** Vertex's rules for a Claude body: returns what the Anthropic reader expects, or a 400. */
export function readVertexAnthropicBody(body: unknown, model: string): { ok: true; body: Record<string, unknown> } | { ok: false; message: string } {
  if (!isRecord(body)) return { ok: false, message: 'Invalid JSON payload received. Expected an object.' };
  if ('model' in body) return { ok: false, message: 'model: Extra inputs are not permitted' };
  // `vertex-2023-10-16` is the documented value; Anthropic's Vertex SDK may send its own dated version.
  if (typeof body['anthropic_version'] !== 'string' || !/^(vertex-)?\d{4}-\d{2}-\d{2}$/.test(body['anthropic_version'])) {
    return { ok: false, message: `anthropic_version: Input should be '${VERTEX_ANTHROPIC_VERSION}'` };
  }
  const { anthropic_version: _version, ...rest } = body;
  return { ok: true, body: { ...rest, model } };
}

/** The Anthropic codec as Vertex serves it: platform errors in Google's shape. */
export function vertexAnthropicCodec(anthropic: FormatCodec, gemini: FormatCodec): FormatCodec {
  return {
    ...anthropic,
    errorReply: (error: ErrorContext, ctx: ReplyContext) => {
      if (error.kind === 'overloaded' || error.kind === 'context_length' || error.kind === 'content_filter') return anthropic.errorReply(error, ctx);
      return gemini.errorReply(error, ctx);
    },
    responseHeaders: () => ({}),
  };
}
