/**
 * A virtual key's settings as operators write them (snake_case, in the config file, the admin API and
 * `keel keys create`), turned into the store's record, and the record shown back to operators: never the
 * hash, only the recognisable prefix.
 */
import { z } from 'zod';
import { keySettingsShape } from '../../config/schema.js';
import type { VirtualKeyRecord } from '../../store/index.js';

export const keySettingsSchema = z.strictObject(keySettingsShape);
export type KeySettings = z.output<typeof keySettingsSchema>;

/** The new-key request of the admin API: a name and the settings. */
export const newKeySchema = z.strictObject({
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:\-]{0,127}$/, 'expected a name of letters, digits, ".", "_", ":" or "-"'),
  ...keySettingsShape,
});
export type NewKey = z.output<typeof newKeySchema>;

type SettingFields = Pick<VirtualKeyRecord, 'tenant' | 'allowedModels' | 'rpm' | 'tpm' | 'dailyBudgetUsd' | 'monthlyBudgetUsd' | 'priority' | 'expiresAt'>;

export function recordSettings(name: string, settings: KeySettings): SettingFields {
  return {
    tenant: settings.tenant ?? name,
    allowedModels: settings.models ?? null,
    rpm: settings.rpm ?? null,
    tpm: settings.tpm ?? null,
    dailyBudgetUsd: settings.daily_budget_usd ?? null,
    monthlyBudgetUsd: settings.monthly_budget_usd ?? null,
    priority: settings.priority,
    expiresAt: settings.expires_at === undefined ? null : Date.parse(settings.expires_at),
  };
}

const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

/** How a key is shown to operators (admin API, CLI, audit details): everything but the hash. */
export function keyView(record: VirtualKeyRecord, nowMs: number): Record<string, unknown> {
  const status = record.revokedAt !== null ? 'revoked' : record.expiresAt !== null && record.expiresAt <= nowMs ? 'expired' : 'active';
  return {
    id: record.id,
    name: record.name,
    prefix: record.prefix,
    tenant: record.tenant,
    status,
    models: record.allowedModels,
    rpm: record.rpm,
    tpm: record.tpm,
    daily_budget_usd: record.dailyBudgetUsd,
    monthly_budget_usd: record.monthlyBudgetUsd,
    priority: record.priority,
    created_at: iso(record.createdAt),
    expires_at: iso(record.expiresAt),
    revoked_at: iso(record.revokedAt),
  };
}
