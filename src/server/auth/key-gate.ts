/**
 * The virtual-key gate: who is calling (a key presented as `Authorization: Bearer` or `x-api-key`), and
 * whether this request may go ahead — the model is one the key may use, its daily and monthly budgets are
 * not spent, and its requests- and tokens-per-minute buckets can afford it. The grant rides with its request
 * to the router, which hands it the request's record when the request ends: what it really used. The token
 * bucket is then reconciled with the real usage and the spend (usage × the answering deployments' prices)
 * is added to the key's budgets. No table of requests waits for records: a grant is its request's own, so
 * no client-chosen request id can match another request's, and a request the router never reports (a
 * client gone before its stream was read) is simply dropped with its grant.
 *
 * Tokens are estimated before the request from the body (~4 bytes per token, the usual rule for English
 * text and JSON; an overestimate for base64 images) plus the output it may produce (`max_tokens`), and
 * corrected once usage is known: an overestimate is given back, an underestimate leaves the bucket in debt.
 *
 * With no key configured at all, Keel runs open: every request is the anonymous caller's.
 */
import { estimatedTokens } from '../../core/chat-response.js';
import { KeelError } from '../../core/errors.js';
import type { Caller, Grant, RequestGate, AdmissionRequest } from '../../api/request-gate.js';
import type { RequestRecord } from '../../router/router-types.js';
import { costOf, type RecorderPrice, type VirtualKeyRecord } from '../../store/index.js';
import { plainBearerToken, presentedSecrets } from './key-secret.js';
import { MAX_REMEMBERED_SECRETS, type KeyRing } from './key-ring.js';
import { rateLimitHeaders, writeBucketHeaders, type LimitKind } from './rate-limit-headers.js';
import type { LedgerCell, SpendLedger } from './spend-ledger.js';
import { KeyCells, nextUtcDay, nextUtcMonth, type BucketAsk, type BucketCell, type BucketState, type Spend, type SpendCell, type TakeResult, type UsageCounters } from './usage-counters.js';

const ANONYMOUS: Caller = { keyId: undefined, keyName: undefined, tenant: undefined, priority: undefined };
const NO_GRANT: Grant = { writeHeaders: () => undefined, abandon: () => undefined, settled: () => undefined };

export interface KeyGateOptions {
  ring: KeyRing;
  counters: UsageCounters;
  ledger: SpendLedger;
  nowMs: () => number;
  priceOf: (deploymentId: string) => RecorderPrice | undefined;
  onError?: (err: unknown) => void;
}

export function estimateTokens(json: unknown, bodyBytes: number): number {
  let output = 0;
  if (json !== null && typeof json === 'object') {
    const body = json as Record<string, unknown>;
    output = positiveNumber(body['max_tokens']) ?? positiveNumber(body['max_completion_tokens']) ?? 0;
  }
  return estimatedTokens(bodyBytes) + Math.ceil(output);
}

const positiveNumber = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v > 0 ? v : undefined);

const isoDay = (ms: number): string => new Date(ms).toISOString();

/** The id of a key's requests- or tokens-per-minute bucket. */
const bucketId = (keyId: string, kind: 'rpm' | 'tpm'): string => `${keyId}:${kind}`;

type KeyAsk = BucketAsk & { kind: LimitKind };

/**
 * The caller a key authenticates: what the router needs, and what the gate needs of the key kept out of
 * sight (`KeyState`). Made once per key record and shared by its requests: a keyed request would otherwise
 * build the same objects, strings and ask every time, and look them up again in `admit`. A changed key is
 * a new record, so its caller is never stale.
 */
class KeyCaller implements Caller {
  readonly keyId: string;
  readonly keyName: string;
  readonly tenant: string;
  readonly priority: VirtualKeyRecord['priority'];
  readonly models?: readonly string[];
  readonly #key: KeyState;

  constructor(record: VirtualKeyRecord) {
    this.keyId = record.id;
    this.keyName = record.name;
    this.tenant = record.tenant;
    this.priority = record.priority;
    if (record.allowedModels !== null) this.models = record.allowedModels;
    this.#key = new KeyState(record, this.models);
  }

  static keyOf(caller: Caller): KeyState | undefined {
    return caller instanceof KeyCaller ? caller.#key : undefined;
  }
}

/**
 * A key as the gate uses it, made with its caller. With 1,000 keys in turn each key is cold when its next
 * request comes, and every object a request reaches is another cache miss (the record keeps half its
 * fields in a second object): so the record's fields the gate reads on every request are copied here, the
 * key's cells are made together with their numbers in one array (see `KeyCells`), and it is its own ledger
 * cell.
 */
class KeyState implements LedgerCell {
  readonly keyId: string;
  readonly keyName: string;
  readonly models: readonly string[] | undefined;
  /** The ring's generation when a header last proved to name this record (see `byAuthorization`). */
  generation = -1;
  readonly revokedAt: number | null;
  readonly expiresAt: number | null;
  readonly tpm: number | null;
  readonly dailyBudgetUsd: number | null;
  readonly monthlyBudgetUsd: number | null;
  /** Its requests-per-minute ask (always a cost of 1), and its token bucket's id and cell. */
  readonly rpm: KeyAsk | undefined;
  readonly tpmId: string;
  readonly tpmCell: BucketCell;
  readonly spendCell: SpendCell;
  entry: LedgerCell['entry'] = undefined;

  constructor(
    readonly record: VirtualKeyRecord,
    models: readonly string[] | undefined,
  ) {
    this.keyId = record.id;
    this.keyName = record.name;
    this.models = models;
    this.revokedAt = record.revokedAt;
    this.expiresAt = record.expiresAt;
    this.tpm = record.tpm;
    this.dailyBudgetUsd = record.dailyBudgetUsd;
    this.monthlyBudgetUsd = record.monthlyBudgetUsd;
    const cells = new KeyCells();
    this.rpm = record.rpm === null ? undefined : { kind: 'requests', id: bucketId(record.id, 'rpm'), perMinute: record.rpm, cost: 1, cell: cells.rpm };
    this.tpmId = bucketId(record.id, 'tpm');
    this.tpmCell = cells.tpm;
    this.spendCell = cells.spend;
  }
}

/**
 * An admitted request: what to reconcile when its record comes, or to give back if it never reaches the
 * router. It keeps its buckets' states as the take left them, and writes them as headers into the answer's.
 * It lives as long as its request, so it holds only what it needs: the states, not the asks or arrays.
 */
class KeyGrant implements Grant {
  /** Settled or abandoned: whichever comes first is the only one that counts. */
  private closed = false;

  constructor(
    private readonly gate: KeyGate,
    readonly key: KeyState,
    readonly estimate: number,
    private readonly requests: BucketState | undefined,
    private readonly tokens: BucketState | undefined,
  ) {}

  writeHeaders(target: Record<string, string>): void {
    if (this.requests !== undefined) writeBucketHeaders(target, 'requests', this.requests);
    if (this.tokens !== undefined) writeBucketHeaders(target, 'tokens', this.tokens);
  }

  settled(record: RequestRecord): void {
    if (this.closed) return;
    this.closed = true;
    this.gate.charge(this, record);
  }

  abandon(): void {
    if (this.closed) return;
    this.closed = true;
    this.gate.refund(this);
  }
}

export class KeyGate implements RequestGate {
  private readonly callers = new WeakMap<VirtualKeyRecord, KeyCaller>();
  /**
   * Authorization headers that named a key, with its caller: a keyed request then costs one lookup of the
   * header as it came, with no token read out of it. An entry is fresh while its key's `generation` is
   * the ring's: any change to the ring (a put, a reload that found one) makes every entry stale; a stale
   * one is dropped and takes the full read again, remembered anew if it still names a key, so a rotated,
   * revoked or reloaded key is seen as it is now. The generation is the key's, not the entry's (one
   * object less to reach): a header that proves its key's record still current proves it for every
   * header naming that record, since a record never changes (a changed key is a new record). Bounded as
   * the ring's own memory of secrets, and only headers that matched a key are kept, so made-up keys
   * cannot fill it.
   */
  private readonly byAuthorization = new Map<string, KeyCaller>();

  constructor(private readonly options: KeyGateOptions) {}

  authenticate(headers: Record<string, string | string[] | undefined>): Caller {
    const { ring } = this.options;
    if (!ring.configured) return ANONYMOUS;
    // The usual case first: an Authorization header seen before, with the ring unchanged since.
    const authorization = headers['authorization'];
    if (typeof authorization === 'string') {
      const known = this.byAuthorization.get(authorization);
      if (known !== undefined) {
        if (KeyCaller.keyOf(known)!.generation === ring.generation) return this.usable(known);
        // Stale: forgotten here, and remembered again below if it still names a key.
        this.byAuthorization.delete(authorization);
      }
    }
    // Then one plain bearer token that is a known key. Anything else takes the full read.
    const bearer = plainBearerToken(authorization);
    let record = bearer === undefined ? undefined : ring.findBySecret(bearer);
    if (record !== undefined) {
      const caller = this.usable(this.callerOf(record));
      KeyCaller.keyOf(caller)!.generation = ring.generation;
      if (this.byAuthorization.size < MAX_REMEMBERED_SECRETS) this.byAuthorization.set(authorization as string, caller);
      return caller;
    }
    const presented = presentedSecrets(headers);
    if (presented.length === 0) {
      throw new KeelError('unauthorized', 'Missing API key: send a Keel key as "Authorization: Bearer <key>" or "x-api-key: <key>".');
    }
    // The bearer token was tried above: an unknown secret is not hashed twice.
    for (const secret of presented) if (secret !== bearer && (record = ring.findBySecret(secret)) !== undefined) break;
    // Never echo what was presented: it may be a real key sent to the wrong place.
    if (record === undefined) throw new KeelError('unauthorized', 'Invalid API key.');
    return this.usable(this.callerOf(record));
  }

  /** The caller, unless its key is revoked or expired (a remembered key's expiry is checked each time). */
  private usable(caller: KeyCaller): KeyCaller {
    const key = KeyCaller.keyOf(caller)!;
    if (key.revokedAt !== null) throw new KeelError('unauthorized', `The API key ${key.record.prefix} was revoked.`);
    if (key.expiresAt !== null && key.expiresAt <= this.options.nowMs()) {
      throw new KeelError('unauthorized', `The API key ${key.record.prefix} expired at ${isoDay(key.expiresAt)}.`);
    }
    return caller;
  }

  private callerOf(record: VirtualKeyRecord): KeyCaller {
    let caller = this.callers.get(record);
    if (caller === undefined) this.callers.set(record, (caller = new KeyCaller(record)));
    return caller;
  }

  /**
   * Synchronous whenever the counters answer at once (in memory always; with Redis from a lease and a
   * spend copy): a keyed request then costs no promise here. Refusals are thrown either way.
   */
  admit(caller: Caller, request: AdmissionRequest): Grant | Promise<Grant> {
    if (caller.keyId === undefined) return NO_GRANT;
    let key = KeyCaller.keyOf(caller);
    if (key === undefined) {
      const record = this.options.ring.get(caller.keyId);
      if (record === undefined) throw new KeelError('unauthorized', 'Invalid API key.');
      key = KeyCaller.keyOf(this.callerOf(record))!;
    }
    const nowMs = this.options.nowMs();
    this.checkModel(key, request.json);
    if (key.dailyBudgetUsd === null && key.monthlyBudgetUsd === null) return this.takeLimits(key, request, nowMs);
    const spend = this.options.counters.spend(key.keyId, nowMs, key.spendCell);
    if (spend instanceof Promise) return this.admitWhenSpendKnown(key, request, nowMs, spend);
    this.checkBudgets(key, spend, nowMs);
    return this.takeLimits(key, request, nowMs);
  }

  // The waits live in methods of their own: a closure in `admit` would cost every call its context.
  private async admitWhenSpendKnown(key: KeyState, request: AdmissionRequest, nowMs: number, spend: Promise<Spend>): Promise<Grant> {
    this.checkBudgets(key, await spend, nowMs);
    return this.takeLimits(key, request, nowMs);
  }

  private takeLimits(key: KeyState, request: AdmissionRequest, nowMs: number): Grant | Promise<Grant> {
    const estimate = estimateTokens(request.json, request.bodyBytes);
    const { tpm } = key;
    const tokens: KeyAsk | undefined = tpm === null ? undefined : { kind: 'tokens', id: key.tpmId, perMinute: tpm, cost: estimate, cell: key.tpmCell };
    if (key.rpm === undefined && tokens === undefined) return new KeyGrant(this, key, 0, undefined, undefined);
    // Array literals of their exact length: a push onto an empty array allocates room for 17.
    const asks = key.rpm === undefined ? [tokens!] : tokens === undefined ? [key.rpm] : [key.rpm, tokens];
    const taken = this.options.counters.take(asks, nowMs);
    return taken instanceof Promise ? this.grantWhenTaken(key, request, asks, estimate, taken, nowMs) : this.granted(key, request, asks, estimate, taken, nowMs);
  }

  private async grantWhenTaken(key: KeyState, request: AdmissionRequest, asks: KeyAsk[], estimate: number, taken: Promise<TakeResult>, nowMs: number): Promise<Grant> {
    return this.granted(key, request, asks, estimate, await taken, nowMs);
  }

  private granted(key: KeyState, request: AdmissionRequest, asks: KeyAsk[], estimate: number, taken: TakeResult, nowMs: number): Grant {
    if (!taken.allowed) {
      const headers = rateLimitHeaders(asks, taken.buckets);
      const refused = taken.buckets.map((state, i) => ({ state, ask: asks[i]! })).filter(({ state }) => state.retryAfterMs > 0);
      const retryAfterS = Math.max(1, Math.ceil(Math.max(...refused.map(({ state }) => state.retryAfterMs)) / 1000));
      const what = refused.map(({ ask }) => (ask.kind === 'requests' ? `${ask.perMinute} requests per minute` : `${ask.perMinute} tokens per minute (this request is estimated at ${estimate} tokens)`));
      throw new KeelError('rate_limited', `Rate limit reached for key '${key.keyName}': ${what.join(' and ')}. Retry in ${retryAfterS}s.`, { retryAfterS, headers });
    }
    const { buckets } = taken;
    const counted = key.tpm !== null; // the tokens bucket, when there is one, is the last
    return new KeyGrant(this, key, counted ? estimate : 0, key.rpm === undefined ? undefined : buckets[0], counted ? buckets[buckets.length - 1] : undefined);
  }

  private checkModel(key: KeyState, json: unknown): void {
    const { models } = key;
    if (models === undefined) return;
    const model = json !== null && typeof json === 'object' ? (json as Record<string, unknown>)['model'] : undefined;
    if (typeof model !== 'string' || models.includes(model)) return;
    throw new KeelError('forbidden', `The key '${key.keyName}' may not use the model '${model}'; it may use: ${models.join(', ')}.`, { param: 'model' });
  }

  private checkBudgets(key: KeyState, spend: Spend, nowMs: number): void {
    // The reset time is computed only for a refusal: a request within its budget builds no Date.
    if (key.dailyBudgetUsd !== null && spend.dayUsd >= key.dailyBudgetUsd) {
      this.refuseBudget(key, 'daily', key.dailyBudgetUsd, spend.dayUsd, nextUtcDay(new Date(nowMs)), nowMs);
    }
    if (key.monthlyBudgetUsd !== null && spend.monthUsd >= key.monthlyBudgetUsd) {
      this.refuseBudget(key, 'monthly', key.monthlyBudgetUsd, spend.monthUsd, nextUtcMonth(new Date(nowMs)), nowMs);
    }
  }

  private refuseBudget(key: KeyState, name: 'daily' | 'monthly', budget: number, spent: number, resetMs: number, nowMs: number): never {
    throw new KeelError(
      'budget_exceeded',
      `The ${name} budget of $${budget} for key '${key.keyName}' is exhausted ($${spent.toFixed(4)} spent); it resets at ${isoDay(resetMs)}.`,
      { retryAfterS: Math.ceil((resetMs - nowMs) / 1000) },
    );
  }

  /** A grant whose request never reached the router: give back its request and its estimated tokens. */
  refund(grant: KeyGrant): void {
    const { key, estimate } = grant;
    const { tpm } = key;
    const nowMs = this.options.nowMs();
    if (key.rpm !== undefined) void this.options.counters.adjust(key.rpm.id, key.rpm.perMinute, -1, nowMs, key.rpm.cell);
    if (tpm !== null) void this.options.counters.adjust(key.tpmId, tpm, -estimate, nowMs, key.tpmCell);
  }

  /** What a finished request used, charged to the key that admitted it. Never throws: a failure goes to `onError`. */
  charge(grant: KeyGrant, record: RequestRecord): void {
    try {
      const { key } = grant;
      let input = 0;
      let output = 0;
      let usd = 0;
      for (const attempt of record.attempts) {
        // A hedge Keel gave up is the deployment's cost, not the caller's.
        if (attempt.usage === undefined || attempt.hedgeLost === true) continue;
        input += attempt.usage.inputTokens;
        output += attempt.usage.outputTokens;
        usd += costOf(attempt.usage, this.options.priceOf(attempt.deployment));
      }
      const nowMs = this.options.nowMs();
      const { keyId: id, tpm } = key;
      // Reconciled against the bucket the estimate was taken from (the key as it was admitted).
      const tokens = tpm === null ? undefined : { id: key.tpmId, perMinute: tpm, amount: input + output - grant.estimate, cell: key.tpmCell };
      // The ledger first: the counters' settlement may wait for a batch (Redis), and a stop closes the ledger
      // before the counters, so spend recorded after that wait could miss the ledger's last flush.
      this.options.ledger.record(id, usd, input, output, nowMs, key);
      // Not awaited: shared counters settle in batches, and a settlement never rejects (see UsageCounters).
      void this.options.counters.charge(id, tokens, usd, nowMs, key.spendCell);
    } catch (err) {
      this.options.onError?.(err);
    }
  }
}
