/**
 * Where a phase's answers came from, by provider and region ("bedrock us-west-2"), not only by
 * deployment id: when the same model is served by several clouds and regions, this is the line that
 * shows a drill's failover went where it should (Claude on another cloud before another model).
 */
export interface DeploymentPlace {
  provider: string;
  region?: string | undefined;
}

export function placeOf(place: DeploymentPlace): string {
  return place.region === undefined ? place.provider : `${place.provider} ${place.region}`;
}

/** `served_by` (deployment id → answers) regrouped by provider and region; "degraded" stays as it is. */
export function servedFrom(servedBy: Readonly<Record<string, number>>, places: ReadonlyMap<string, DeploymentPlace>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [id, count] of Object.entries(servedBy)) {
    const place = places.get(id);
    const key = place === undefined ? id : placeOf(place);
    out[key] = (out[key] ?? 0) + count;
  }
  return out;
}

/** "bedrock us-west-2 62%, vertex us-east5 38%", largest first. */
export function describeServedFrom(servedFrom: Readonly<Record<string, number>>): string {
  const total = Object.values(servedFrom).reduce((a, b) => a + b, 0);
  if (total === 0) return '—';
  return Object.entries(servedFrom)
    .sort((a, b) => b[1] - a[1])
    .map(([place, n]) => `${place} ${Math.round((n / total) * 100)}%`)
    .join(', ');
}
