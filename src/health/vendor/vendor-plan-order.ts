/**
 * The vendor's word as a signal to the plan, carefully. `annotate` (the default) leaves every plan as the
 * strategy made it: the vendor's outage is shown beside Keel's measurements, and Keel's own traffic and
 * breakers decide. `demote` tries deployments the vendor declares in a major outage after every other one
 * of the route; `open` leaves them out, as an open breaker would, unless nothing else is left (a vendor's
 * word alone never empties a plan). Neither touches a breaker: a vendor's "resolved" cannot close one.
 */
export type VendorSignalMode = 'annotate' | 'demote' | 'open';

export function vendorPlanOrder<D extends { id: string }>(mode: VendorSignalMode, inOutage: (deploymentId: string) => boolean): ((plan: D[]) => D[]) | undefined {
  if (mode === 'annotate') return undefined;
  return (plan) => {
    const clear = plan.filter((d) => !inOutage(d.id));
    if (clear.length === plan.length || clear.length === 0) return plan;
    return mode === 'demote' ? [...clear, ...plan.filter((d) => inOutage(d.id))] : clear;
  };
}
