/**
 * The words of automatic incidents: titles and update messages written from the evidence. They go on the
 * public status page, so they name only deployment ids, provider names, route names, counts and statuses:
 * never an upstream error message (those stay in the update's evidence, for operators).
 */
import type { Incident } from '../store/store.js';
import type { DeploymentHealth } from './health-windows.js';
import { CAUSE_TEXT, type CauseCategory, type Evidence } from './incident-evidence.js';

export function incidentTitle(deployment: string, provider: string, impact: Incident['impact']): string {
  const what = impact === 'major_outage' ? 'Outage' : impact === 'partial_outage' ? 'Elevated errors' : 'Degraded performance';
  return `${what} on ${deployment} (${provider})`;
}

function outcomeList(outcomes: Record<string, number>): string {
  const failures = Object.entries(outcomes)
    .filter(([o]) => o !== 'ok')
    .sort((a, b) => b[1] - a[1])
    .map(([o, n]) => `${o} ${n}`);
  return failures.length === 0 ? 'no failed calls' : failures.join(', ');
}

function failoverSentence(evidence: Evidence): string {
  if (evidence.failovers.length === 0) return '';
  const parts = evidence.failovers.slice(0, 4).map((f) =>
    f.to === null ? `${f.requests} requests on route ${f.route} failed` : f.to === 'degraded' ? `${f.requests} requests on route ${f.route} got a degraded answer` : `${f.requests} requests on route ${f.route} failed over to ${f.to}`,
  );
  return ` ${parts.join('; ')}.`;
}

function callsSentence(evidence: Evidence): string {
  if (evidence.attempts === 0) return 'No calls reached it in this period.';
  const share = Math.round((evidence.faults / evidence.attempts) * 100);
  return `${evidence.faults} of ${evidence.attempts} calls failed (${share}%: ${outcomeList(evidence.outcomes)}).`;
}

export function openedMessage(h: DeploymentHealth, evidence: Evidence): string {
  const breaker = h.breaker === 'closed' ? '' : ` Its circuit breaker is ${h.breaker.replace('_', '-')}.`;
  return `Keel is seeing failures on ${h.deployment} (${h.provider}): ${callsSentence(evidence)}${breaker}${failoverSentence(evidence)} We are investigating.`;
}

export function identifiedMessage(deployment: string, cause: CauseCategory, evidence: Evidence): string {
  return `Cause identified on ${deployment}: ${CAUSE_TEXT[cause]}. ${callsSentence(evidence)}${failoverSentence(evidence)}`;
}

export function stillFailingMessage(deployment: string, evidence: Evidence): string {
  return `${deployment} is still failing. ${callsSentence(evidence)}${failoverSentence(evidence)}`;
}

export function monitoringMessage(h: DeploymentHealth): string {
  return `Calls to ${h.deployment} are succeeding again (${h.short.successes} of ${h.short.attempts} in the last minute). Keel is monitoring before resolving.`;
}

export function reopenedMessage(h: DeploymentHealth, evidence: Evidence): string {
  return `The problem on ${h.deployment} has returned: ${callsSentence(evidence)}${failoverSentence(evidence)} We are investigating.`;
}

export function resolvedMessage(deployment: string, impactStart: number, impactEnd: number): string {
  const minutes = Math.max(1, Math.round((impactEnd - impactStart) / 60_000));
  return `${deployment} has been healthy for several minutes. Measured impact: ${minutes} min, from ${new Date(impactStart).toISOString()} to ${new Date(impactEnd).toISOString()}.`;
}
