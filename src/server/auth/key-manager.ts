/**
 * Creating, listing, revoking and rotating virtual keys, the same way from the CLI (`keel keys`) and the
 * admin API: every change is saved to the store, written to the audit log (who, what, which key, the
 * settings; never a secret or a hash), and passed to `onChange` so a running gateway applies it at once.
 * A secret exists only in the value `create` and `rotate` return: it is shown once and never stored.
 */
import { KeelError } from '../../core/errors.js';
import type { Store, VirtualKeyRecord } from '../../store/index.js';
import { hashKeySecret, newKeyId, newKeySecret, shownPrefix } from './key-secret.js';
import { keyView, recordSettings, type NewKey } from './key-settings.js';
import { CONFIG_KEY_ID_PREFIX } from './key-ring.js';

export interface KeyManagerOptions {
  store: Store;
  nowMs: () => number;
  /** Called after each saved change (the gateway's key ring). */
  onChange?: (record: VirtualKeyRecord) => void;
}

export interface IssuedKey {
  record: VirtualKeyRecord;
  /** The secret: shown once to whoever created or rotated the key, stored nowhere. */
  secret: string;
}

export class KeyManager {
  constructor(private readonly options: KeyManagerOptions) {}

  list(): Promise<VirtualKeyRecord[]> {
    return this.options.store.listKeys();
  }

  async create(input: NewKey, actor: string): Promise<IssuedKey> {
    const nowMs = this.options.nowMs();
    const active = (await this.list()).filter((k) => k.revokedAt === null);
    if (active.some((k) => k.name === input.name)) {
      throw new KeelError('invalid_request', `A key named '${input.name}' already exists; revoke it first or choose another name.`, { param: 'name' });
    }
    const secret = newKeySecret();
    const record: VirtualKeyRecord = {
      id: newKeyId(),
      name: input.name,
      hash: hashKeySecret(secret),
      prefix: shownPrefix(secret),
      ...recordSettings(input.name, input),
      createdAt: nowMs,
      revokedAt: null,
    };
    await this.save(record, actor, 'key.create');
    return { record, secret };
  }

  async revoke(idOrName: string, actor: string): Promise<VirtualKeyRecord> {
    const key = await this.find(idOrName);
    if (key.revokedAt !== null) return key;
    const record = { ...key, revokedAt: this.options.nowMs() };
    await this.save(record, actor, 'key.revoke');
    return record;
  }

  /** A new secret for the same key (same id, settings, counters and budgets); the old one stops working. */
  async rotate(idOrName: string, actor: string): Promise<IssuedKey> {
    const key = await this.find(idOrName);
    if (key.revokedAt !== null) throw new KeelError('invalid_request', `The key '${key.name}' is revoked; create a new one instead.`);
    const secret = newKeySecret();
    const record = { ...key, hash: hashKeySecret(secret), prefix: shownPrefix(secret) };
    await this.save(record, actor, 'key.rotate');
    return { record, secret };
  }

  /** A key by id, or by name among the keys not revoked. */
  async find(idOrName: string): Promise<VirtualKeyRecord> {
    if (idOrName.startsWith(CONFIG_KEY_ID_PREFIX)) {
      throw new KeelError('invalid_request', `The key '${idOrName}' is defined in the config file: change it there.`);
    }
    const keys = await this.list();
    const key = keys.find((k) => k.id === idOrName) ?? keys.find((k) => k.name === idOrName && k.revokedAt === null);
    if (key === undefined) throw new KeelError('not_found', `No key with the id or name '${idOrName}'.`);
    return key;
  }

  private async save(record: VirtualKeyRecord, actor: string, action: string): Promise<void> {
    await this.options.store.saveKey(record);
    this.options.onChange?.(record);
    const { id, ...details } = keyView(record, this.options.nowMs());
    await this.options.store.appendAudit({ at: this.options.nowMs(), actor, action, target: String(id), details });
  }
}
