/**
 * The parts of Keel's spans that repeat from request to request. A request's span and its attempts' spans
 * carry about twenty attributes, and nearly all of them are fixed by a few facts: the route, the outcome,
 * the client's format, the answering deployment, the attempt's kind. Each combination seen lately is kept
 * with its span name and its attributes as one `SpanSegment`, found again by comparing those facts, so a
 * request in the steady state writes each span's fixed part as one copy. What varies per request (ids,
 * times, the request id, token counts, time to first token) is written beside it as before.
 *
 * The combinations are few in practice (routes × deployments × outcomes); past `MAX_KEPT` of a kind the
 * oldest is replaced, so a stream of rare combinations costs a segment each, never unbounded memory.
 */
import type { ProviderName } from '../config/schema.js';
import type { AttemptRecord, RequestRecord } from '../router/router-types.js';
import { SpanSegment, type AttributeValue } from './otlp-spans.js';

const MAX_KEPT = 32;

/*
 * Attribute names: GenAI semantic conventions (`gen_ai.*`) where they exist, written out rather than
 * imported: the conventions are incubating (the JS package marks them deprecated in favour of a separate
 * GenAI repository), so OTel advises copying them. `gen_ai.system` is the older name for the provider,
 * which many backends still read alone, so both are set. Keel's own facts are `keel.*`.
 */

/** Keel's provider names as the GenAI conventions spell them; `openai-compatible` has no well-known value. */
const GEN_AI_PROVIDER: Record<ProviderName, string> = {
  anthropic: 'anthropic',
  openai: 'openai',
  gemini: 'gcp.gemini',
  'openai-compatible': 'openai-compatible',
  bedrock: 'aws.bedrock',
  vertex: 'gcp.vertex_ai',
  'azure-openai': 'azure.ai.openai',
};

type Attributes = Array<[string, AttributeValue]>;

/** A span's name and fixed attributes. */
export interface FixedPart {
  name: string;
  segment: SpanSegment;
}

interface RequestPart extends FixedPart {
  route: string;
  stream: boolean;
  outcome: string;
  clientFormat: string;
  priority: string;
  attempts: number;
  degraded: string | undefined;
  deployment: string | undefined;
  provider: ProviderName | undefined;
  model: string | undefined;
}

interface AttemptPart extends FixedPart {
  model: string;
  provider: ProviderName;
  deployment: string;
  kind: string;
  outcome: string;
  status: number | undefined;
  cancelled: boolean | undefined;
}

export class SpanSegments {
  private readonly requests: RequestPart[] = [];
  private readonly attempts: AttemptPart[] = [];
  private nextRequest = 0;
  private nextAttempt = 0;

  /** The request span's fixed part; `answered` is the attempt that answered, if one did. */
  request(record: RequestRecord, answered: AttemptRecord | undefined): FixedPart {
    const provider = answered?.provider;
    const model = answered?.model;
    for (const p of this.requests) {
      if (
        p.route === record.route &&
        p.outcome === record.outcome &&
        p.deployment === record.deployment &&
        p.model === model &&
        p.provider === provider &&
        p.stream === record.stream &&
        p.clientFormat === record.clientFormat &&
        p.priority === record.priority &&
        p.attempts === record.attempts.length &&
        p.degraded === record.degraded
      ) {
        return p;
      }
    }
    const part: RequestPart = {
      route: record.route,
      stream: record.stream,
      outcome: record.outcome,
      clientFormat: record.clientFormat,
      priority: record.priority,
      attempts: record.attempts.length,
      degraded: record.degraded,
      deployment: record.deployment,
      provider,
      model,
      name: `chat ${record.route}`,
      segment: new SpanSegment(requestAttributes(record, provider, model)),
    };
    this.nextRequest = keep(this.requests, part, this.nextRequest);
    return part;
  }

  /** An attempt span's fixed part. */
  attempt(attempt: AttemptRecord): FixedPart {
    for (const p of this.attempts) {
      if (
        p.deployment === attempt.deployment &&
        p.outcome === attempt.outcome &&
        p.kind === attempt.kind &&
        p.model === attempt.model &&
        p.provider === attempt.provider &&
        p.status === attempt.status &&
        p.cancelled === attempt.cancelled
      ) {
        return p;
      }
    }
    const part: AttemptPart = {
      model: attempt.model,
      provider: attempt.provider,
      deployment: attempt.deployment,
      kind: attempt.kind,
      outcome: attempt.outcome,
      status: attempt.status,
      cancelled: attempt.cancelled,
      name: `chat ${attempt.model}`,
      segment: new SpanSegment(attemptAttributes(attempt)),
    };
    this.nextAttempt = keep(this.attempts, part, this.nextAttempt);
    return part;
  }
}

/** Adds `part`, replacing the oldest once `MAX_KEPT` are kept; returns the slot to fill next. */
function keep<T>(parts: T[], part: T, next: number): number {
  parts[next] = part;
  return (next + 1) % MAX_KEPT;
}

function requestAttributes(record: RequestRecord, provider: ProviderName | undefined, model: string | undefined): Attributes {
  const attributes: Attributes = [
    ['gen_ai.operation.name', 'chat'],
    ['gen_ai.request.model', record.route],
    ['gen_ai.request.stream', record.stream],
    ['keel.route', record.route],
    ['keel.outcome', record.outcome],
    ['keel.stream', record.stream],
    ['keel.client_format', record.clientFormat],
    ['keel.priority', record.priority],
    ['keel.attempts', record.attempts.length],
  ];
  if (record.degraded !== undefined) attributes.push(['keel.degraded', record.degraded]);
  if (record.deployment !== undefined) attributes.push(['keel.deployment', record.deployment]);
  if (provider !== undefined) attributes.push(...providerAttributes(provider));
  // The upstream model is the deployment's configured one.
  if (model !== undefined) attributes.push(['gen_ai.response.model', model]);
  if (record.outcome !== 'ok') attributes.push(['error.type', record.outcome]);
  return attributes;
}

function attemptAttributes(attempt: AttemptRecord): Attributes {
  const attributes: Attributes = [
    ['gen_ai.operation.name', 'chat'],
    ['gen_ai.request.model', attempt.model],
    ...providerAttributes(attempt.provider),
    ['keel.deployment', attempt.deployment],
    ['keel.provider', attempt.provider],
    ['keel.attempt.kind', attempt.kind],
    ['keel.attempt.outcome', attempt.outcome],
  ];
  attributes.push(attempt.outcome === 'ok' ? ['gen_ai.response.model', attempt.model] : ['error.type', attempt.outcome]);
  if (attempt.status !== undefined) attributes.push(['http.response.status_code', attempt.status]);
  if (attempt.cancelled === true) attributes.push(['keel.attempt.cancelled', true]);
  return attributes;
}

/** The provider, under the GenAI name and its older one, which many backends still read alone. */
function providerAttributes(provider: ProviderName): Attributes {
  return [
    ['gen_ai.provider.name', GEN_AI_PROVIDER[provider]],
    ['gen_ai.system', GEN_AI_PROVIDER[provider]],
  ];
}
