/**
 * Admin routes for incidents and maintenance windows, straight on the store: list and read incidents, post
 * an update (investigating → identified → monitoring → resolved), resolve; create and list maintenance.
 * Every change is audited with the operator as its author.
 */
import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { KeelError } from '../../core/errors.js';
import type { Incident, IncidentStatus, Store } from '../../store/index.js';
import { intParam, type AdminContext, type AdminRoute } from './admin-route.js';

const DAY_MS = 24 * 60 * 60 * 1000;
const STATUSES = ['investigating', 'identified', 'monitoring', 'resolved'] as const;
const message = z.string().trim().min(1).max(5_000);
const updateSchema = z.strictObject({ status: z.enum(STATUSES), message });
const resolveSchema = z.strictObject({ message: message.optional() });
const maintenanceSchema = z
  .strictObject({
    component: z.string().min(1).max(200),
    starts_at: z.iso.datetime({ offset: true }),
    ends_at: z.iso.datetime({ offset: true }),
    description: z.string().min(1).max(5_000),
  })
  .refine((m) => Date.parse(m.ends_at) > Date.parse(m.starts_at), { path: ['ends_at'], message: 'expected ends_at after starts_at' });

/** A time query parameter: epoch ms or an ISO date. */
function timeParam(query: URLSearchParams, name: string, fallback: number): number {
  const raw = query.get(name);
  if (raw === null) return fallback;
  const ms = /^\d+$/.test(raw) ? Number(raw) : Date.parse(raw);
  if (!Number.isFinite(ms)) throw new KeelError('invalid_request', `Invalid value for '${name}': expected epoch milliseconds or an ISO date.`, { param: name });
  return ms;
}

export function incidentRoutes(store: Store): AdminRoute[] {
  const load = async (ctx: AdminContext): Promise<Incident> => {
    const incident = await store.getIncident(ctx.params['id']!);
    if (incident === undefined) throw new KeelError('not_found', `No incident with the id '${ctx.params['id']}'.`);
    return incident;
  };
  const post = async (ctx: AdminContext, status: IncidentStatus, text: string): Promise<Incident> => {
    const incident = await load(ctx);
    if (incident.status === 'resolved') throw new KeelError('invalid_request', `The incident '${incident.id}' is already resolved.`);
    incident.updates.push({ at: ctx.nowMs, status, message: text, author: ctx.actor });
    incident.status = status;
    if (status === 'resolved') {
      incident.resolvedAt = ctx.nowMs;
      incident.impactEnd ??= ctx.nowMs;
    }
    await store.saveIncident(incident);
    await ctx.audit(status === 'resolved' ? 'incident.resolve' : 'incident.update', incident.id, { status, message: text });
    return incident;
  };

  return [
    {
      method: 'GET',
      pattern: '/admin/incidents',
      handle: async ({ req }) => {
        const component = req.query.get('component');
        const data = await store.listIncidents({
          openOnly: req.query.get('open') === 'true',
          limit: intParam(req.query, 'limit', 50, 1_000),
          ...(component === null ? {} : { component }),
        });
        return { body: { object: 'list', data } };
      },
    },
    { method: 'GET', pattern: '/admin/incidents/:id', handle: async (ctx) => ({ body: await load(ctx) }) },
    {
      method: 'POST',
      pattern: '/admin/incidents/:id/updates',
      handle: async (ctx) => {
        const update = await ctx.body(updateSchema);
        return { status: 201, body: await post(ctx, update.status, update.message) };
      },
    },
    {
      method: 'POST',
      pattern: '/admin/incidents/:id/resolve',
      handle: async (ctx) => ({ body: await post(ctx, 'resolved', (await ctx.body(resolveSchema)).message ?? 'Resolved by an operator.') }),
    },
    {
      method: 'GET',
      pattern: '/admin/maintenance',
      handle: async ({ req, nowMs }) => {
        const from = timeParam(req.query, 'from', nowMs - 30 * DAY_MS);
        const to = timeParam(req.query, 'to', nowMs + 365 * DAY_MS);
        return { body: { object: 'list', data: await store.listMaintenance({ from, to }) } };
      },
    },
    {
      method: 'POST',
      pattern: '/admin/maintenance',
      handle: async (ctx) => {
        const input = await ctx.body(maintenanceSchema);
        const window = {
          id: `mnt_${randomBytes(8).toString('hex')}`,
          component: input.component,
          startsAt: Date.parse(input.starts_at),
          endsAt: Date.parse(input.ends_at),
          description: input.description,
          createdBy: ctx.actor,
        };
        await store.saveMaintenance(window);
        await ctx.audit('maintenance.create', window.id, { component: window.component, starts_at: input.starts_at, ends_at: input.ends_at });
        return { status: 201, body: window };
      },
    },
  ];
}
