/**
 * The order in which a request tries a route's deployments. `priority` keeps the configured chain;
 * `weighted` draws the first deployment in proportion to its weight (then the rest by weight, so a
 * failover still reaches everything); `least-latency` tries the deployment with the lowest recent time to
 * first token first, and an unmeasured one before any measured one so new deployments get explored.
 *
 * Whatever the strategy, the same model is tried elsewhere before a different one: deployments are
 * grouped by their declared model `family`, groups in the order their first member was drawn (a
 * deployment without one is a family of its own, so routes that declare none keep their order exactly). Claude failing on Anthropic goes to Claude on Bedrock or Vertex before GPT, so the
 * answer keeps its prompts' model; the strategy still decides the order inside each family.
 */
import type { Deployment, Route } from '../config/resolve-config.js';
import type { LatencyTracker } from './latency-tracker.js';

export function planDeployments(route: Route, latency: LatencyTracker, random: () => number): Deployment[] {
  return sameFamilyFirst(strategyOrder(route, latency, random));
}

/** The model a deployment serves, whoever hosts it; undeclared, the deployment stands alone. */
function familyOf(deployment: Deployment): string {
  return deployment.family === undefined ? `deployment:${deployment.id}` : `family:${deployment.family}`;
}

/** A stable grouping by family: each family's members follow its first, in their own order. */
export function sameFamilyFirst(order: Deployment[]): Deployment[] {
  // Without a declared family every deployment stands alone: the order is already grouped (most routes).
  if (order.length < 2 || order.every((d) => d.family === undefined)) return order;
  const groups = new Map<string, Deployment[]>();
  for (const deployment of order) {
    const family = familyOf(deployment);
    const group = groups.get(family);
    if (group === undefined) groups.set(family, [deployment]);
    else group.push(deployment);
  }
  return [...groups.values()].flat();
}

function strategyOrder(route: Route, latency: LatencyTracker, random: () => number): Deployment[] {
  switch (route.strategy) {
    case 'priority':
      return route.targets.map((t) => t.deployment);
    case 'weighted': {
      const pool = [...route.targets];
      const order: Deployment[] = [];
      while (pool.length > 0) {
        const total = pool.reduce((sum, t) => sum + t.weight, 0);
        let pick = random() * total;
        let index = pool.findIndex((t) => (pick -= t.weight) < 0);
        if (index < 0) index = pool.length - 1;
        order.push(pool[index]!.deployment);
        pool.splice(index, 1);
      }
      return order;
    }
    case 'least-latency':
      return route.targets
        .map((t, position) => ({ deployment: t.deployment, position, ttftMs: latency.ttftMs(t.deployment.id) ?? -1 }))
        .sort((a, b) => a.ttftMs - b.ttftMs || a.position - b.position)
        .map((t) => t.deployment);
  }
}
