/**
 * Admin routes for circuit breakers: every deployment's breaker state, and an operator's override — force
 * a breaker open (drain a deployment before maintenance) or closed (trust it again at once), through the
 * router's read-only view and its one override method.
 */
import { KeelError } from '../../core/errors.js';
import type { Router } from '../../router/router.js';
import type { AdminContext, AdminRoute } from './admin-route.js';

export function breakerRoutes(router: Router, deploymentIds: readonly string[], share?: (id: string, action: 'open' | 'close') => Promise<void>): AdminRoute[] {
  const known = new Set(deploymentIds);
  const target = (ctx: AdminContext): string => {
    const id = ctx.params['id']!;
    if (!known.has(id)) throw new KeelError('not_found', `No deployment with the id '${id}'. Known deployments: ${deploymentIds.join(', ')}.`);
    return id;
  };
  const force = (direction: 'open' | 'close'): AdminRoute['handle'] => async (ctx) => {
    const id = target(ctx);
    const before = router.breakerState(id).state.state;
    router.forceBreaker(id, direction);
    // With several replicas, the override applies to all of them.
    await share?.(id, direction);
    const after = router.breakerState(id);
    await ctx.audit(direction === 'open' ? 'breaker.force_open' : 'breaker.force_close', id, { from: before, to: after.state.state });
    return { body: after };
  };
  return [
    {
      method: 'GET',
      pattern: '/admin/breakers',
      handle: () => ({ body: { data: Object.fromEntries(deploymentIds.map((id) => [id, router.breakerState(id)])) } }),
    },
    { method: 'GET', pattern: '/admin/breakers/:id', handle: (ctx) => ({ body: router.breakerState(target(ctx)) }) },
    { method: 'POST', pattern: '/admin/breakers/:id/open', handle: force('open') },
    { method: 'POST', pattern: '/admin/breakers/:id/close', handle: force('close') },
  ];
}
