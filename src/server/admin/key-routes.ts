/**
 * Admin routes for virtual keys: list (with today's and this month's spend), create (the secret is in this
 * one answer and nowhere else), revoke, rotate. Keys from the config file are listed but changed only there.
 */
import { KeelError } from '../../core/errors.js';
import type { VirtualKeyRecord } from '../../store/index.js';
import type { KeyManager } from '../auth/key-manager.js';
import type { KeyRing } from '../auth/key-ring.js';
import { keyView, newKeySchema } from '../auth/key-settings.js';
import type { UsageCounters } from '../auth/usage-counters.js';
import type { AdminRoute } from './admin-route.js';

export interface KeyRoutesOptions {
  keys: KeyManager;
  ring: KeyRing;
  counters: UsageCounters;
}

export function keyRoutes({ keys, ring, counters }: KeyRoutesOptions): AdminRoute[] {
  const view = async (record: VirtualKeyRecord, nowMs: number): Promise<Record<string, unknown>> => {
    const spend = await counters.spend(record.id, nowMs);
    const source = ring.isFromConfig(record.id) ? 'config' : 'store';
    return { ...keyView(record, nowMs), source, spend_today_usd: spend.dayUsd, spend_this_month_usd: spend.monthUsd };
  };
  const all = async (): Promise<VirtualKeyRecord[]> => [...(await keys.list()), ...ring.all().filter((k) => ring.isFromConfig(k.id))];
  const revoke: AdminRoute['handle'] = async (ctx) => ({ body: await view(await keys.revoke(ctx.params['id']!, ctx.actor), ctx.nowMs) });

  return [
    {
      method: 'GET',
      pattern: '/admin/keys',
      handle: async (ctx) => ({ body: { object: 'list', data: await Promise.all((await all()).map((k) => view(k, ctx.nowMs))) } }),
    },
    {
      method: 'GET',
      pattern: '/admin/keys/:id',
      handle: async (ctx) => {
        const id = ctx.params['id']!;
        const key = (await all()).find((k) => k.id === id || (k.name === id && k.revokedAt === null));
        if (key === undefined) throw new KeelError('not_found', `No key with the id or name '${id}'.`);
        return { body: await view(key, ctx.nowMs) };
      },
    },
    {
      method: 'POST',
      pattern: '/admin/keys',
      handle: async (ctx) => {
        const issued = await keys.create(await ctx.body(newKeySchema), ctx.actor);
        return { status: 201, body: { ...(await view(issued.record, ctx.nowMs)), key: issued.secret } };
      },
    },
    { method: 'POST', pattern: '/admin/keys/:id/revoke', handle: revoke },
    { method: 'DELETE', pattern: '/admin/keys/:id', handle: revoke },
    {
      method: 'POST',
      pattern: '/admin/keys/:id/rotate',
      handle: async (ctx) => {
        const issued = await keys.rotate(ctx.params['id']!, ctx.actor);
        return { body: { ...(await view(issued.record, ctx.nowMs)), key: issued.secret } };
      },
    },
  ];
}
