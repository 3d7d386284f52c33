/**
 * The keys a gateway knows, in memory, indexed by hash: the request path never waits on the store. It is
 * loaded at start from the store and the config file, told at once of changes made through this process
 * (the admin API), and refreshed from the store every few seconds for changes made elsewhere (`keel keys`
 * from a shell, another instance).
 *
 * "Keys are configured" as soon as any key exists, revoked or not: revoking every key must lock the
 * gateway, not silently open it again.
 */
import type { ConfigKey } from '../../config/schema.js';
import { secrets } from '../../core/secrets.js';
import type { IntervalTimer, Store, VirtualKeyRecord } from '../../store/index.js';
import { hashKeySecret } from './key-secret.js';
import { recordSettings } from './key-settings.js';

export interface KeyRingOptions {
  store: Store;
  /** Keys from the config file (their secrets come from the environment). */
  configKeys?: readonly ConfigKey[];
  refreshMs: number;
  timer: IntervalTimer;
  nowMs: () => number;
  onError?: (err: unknown) => void;
}

/** Config keys get ids of their own kind, so they never collide with the store's `key_...` ids. */
export const CONFIG_KEY_ID_PREFIX = 'config:';

function configRecord(key: ConfigKey, nowMs: number): VirtualKeyRecord {
  return {
    id: `${CONFIG_KEY_ID_PREFIX}${key.name}`,
    name: key.name,
    hash: hashKeySecret(key.key),
    // An operator-chosen secret may be short: show nothing of it.
    prefix: '(config)',
    ...recordSettings(key.name, key),
    createdAt: nowMs,
    revokedAt: null,
  };
}

/**
 * Secrets remembered with their hash, at most: past this, a secret is hashed on every request. A key that
 * is no longer in the ring is forgotten when next presented.
 */
export const MAX_REMEMBERED_SECRETS = 10_000;

interface KnownSecret {
  hash: string;
  record: VirtualKeyRecord;
  generation: number;
}

export class KeyRing {
  private byHash = new Map<string, VirtualKeyRecord>();
  /**
   * Presented secrets that matched a key, with their hash and the key as it was at `generation`. Hashing
   * one costs about a microsecond, and several under load (an OpenSSL digest per call); a map lookup a few
   * dozen nanoseconds. Only secrets that matched are kept, so made-up keys cannot fill it. Any change to
   * the ring (a put, a reload) starts a new generation, and an entry of an older one is checked again
   * through `byHash`, so a rotated, revoked or reloaded key is seen as it is now; until then a known
   * secret costs one lookup (each lookup of 1,000 keys' state is a likely cache miss under load). Keel
   * holds these secrets in memory as it holds the providers' own keys.
   */
  private readonly knownSecrets = new Map<string, KnownSecret>();
  #generation = 0;
  private byId = new Map<string, VirtualKeyRecord>();
  private readonly fromConfig: VirtualKeyRecord[];
  private stopRefresh: (() => void) | undefined;
  /** Changes made here while a load was reading the store, re-applied over its (older) snapshot. */
  private readonly puts = new Map<string, { record: VirtualKeyRecord; seq: number }>();
  private seq = 0;

  constructor(private readonly options: KeyRingOptions) {
    for (const key of options.configKeys ?? []) secrets.add(key.key);
    this.fromConfig = (options.configKeys ?? []).map((k) => configRecord(k, options.nowMs()));
    this.index([]);
  }

  /** Reads every key from the store (config keys always stay). */
  async load(): Promise<void> {
    const startedAt = this.seq;
    this.index(await this.options.store.listKeys());
    for (const [id, put] of this.puts) {
      if (put.seq > startedAt) this.apply(put.record);
      else this.puts.delete(id);
    }
  }

  /** Refreshes from the store every `refreshMs`; a failed refresh keeps the keys already known. */
  start(): void {
    this.stopRefresh ??= this.options.timer(this.options.refreshMs, () => {
      this.load().catch((err: unknown) => this.options.onError?.(err));
    });
  }

  stop(): void {
    this.stopRefresh?.();
    this.stopRefresh = undefined;
  }

  /** Counts the changes to the ring: a result remembered at one generation is stale at the next. */
  get generation(): number {
    return this.#generation;
  }

  /** True when any key exists: Keel then refuses requests without a valid one. */
  get configured(): boolean {
    return this.byId.size > 0;
  }

  findByHash(hash: string): VirtualKeyRecord | undefined {
    return this.byHash.get(hash);
  }

  /** The key whose secret this is, if any. */
  findBySecret(secret: string): VirtualKeyRecord | undefined {
    const known = this.knownSecrets.get(secret);
    if (known !== undefined) {
      if (known.generation === this.#generation) return known.record;
      const record = this.findByHash(known.hash);
      if (record === undefined) {
        this.knownSecrets.delete(secret);
        return undefined;
      }
      known.record = record;
      known.generation = this.#generation;
      return record;
    }
    const hash = hashKeySecret(secret);
    const record = this.findByHash(hash);
    if (record !== undefined && this.knownSecrets.size < MAX_REMEMBERED_SECRETS) this.knownSecrets.set(secret, { hash, record, generation: this.#generation });
    return record;
  }

  get(id: string): VirtualKeyRecord | undefined {
    return this.byId.get(id);
  }

  all(): VirtualKeyRecord[] {
    return [...this.byId.values()];
  }

  isFromConfig(id: string): boolean {
    return id.startsWith(CONFIG_KEY_ID_PREFIX);
  }

  /** A key created, rotated or revoked by this process: effective at once (its old hash is forgotten). */
  put(record: VirtualKeyRecord): void {
    this.puts.set(record.id, { record, seq: ++this.seq });
    this.apply(record);
  }

  private apply(record: VirtualKeyRecord): void {
    this.#generation += 1;
    const previous = this.byId.get(record.id);
    if (previous !== undefined) this.byHash.delete(previous.hash);
    this.byId.set(record.id, record);
    this.byHash.set(record.hash, record);
  }

  /**
   * Indexes the keys as now stored. A key whose every field is as before keeps its record object, and a
   * reload that changed nothing keeps the generation: what the gate remembers of each key (its caller,
   * its header) then survives the refresh every few seconds instead of being read again for every key.
   */
  private index(stored: readonly VirtualKeyRecord[]): void {
    const byHash = new Map<string, VirtualKeyRecord>();
    const byId = new Map<string, VirtualKeyRecord>();
    let changed = false;
    // Config keys last: the file wins over a stored key of the same hash.
    for (const fresh of [...stored, ...this.fromConfig]) {
      const previous = this.byId.get(fresh.id);
      const record = previous !== undefined && sameRecord(previous, fresh) ? previous : fresh;
      if (record !== previous) changed = true;
      byHash.set(record.hash, record);
      byId.set(record.id, record);
    }
    if (changed || byId.size !== this.byId.size) this.#generation += 1; // the same records index the same hashes
    this.byHash = byHash;
    this.byId = byId;
  }
}

/** Field by field (a list of models element by element), whatever fields a key record has. */
function sameRecord(a: VirtualKeyRecord, b: VirtualKeyRecord): boolean {
  const keys = Object.keys(b) as (keyof VirtualKeyRecord)[];
  if (keys.length !== Object.keys(a).length) return false;
  for (const key of keys) {
    const x = a[key];
    const y = b[key];
    if (x === y) continue;
    if (!Array.isArray(x) || !Array.isArray(y) || x.length !== y.length || x.some((v, i) => v !== y[i])) return false;
  }
  return true;
}
