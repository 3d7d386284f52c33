/**
 * Records what several lease contenders report, in the order they report it, and checks the one property
 * that matters: at no point do two contenders both believe they hold the lease.
 */
import { expect } from 'vitest';
import type { Lease, LeaseEvents, LeaseLostReason } from '../lease.js';

export type LeaseEvent = { who: string; event: 'acquired' } | { who: string; event: 'lost'; reason: LeaseLostReason };

export class LeaseTimeline {
  readonly events: LeaseEvent[] = [];
  readonly errors = new Map<string, Error[]>();

  /** Callbacks for the contender `who`. */
  for(who: string): Required<LeaseEvents> {
    return {
      onAcquired: () => this.events.push({ who, event: 'acquired' }),
      onLost: (reason) => this.events.push({ who, event: 'lost', reason }),
      onError: (err) => this.errors.set(who, [...(this.errors.get(who) ?? []), err]),
    };
  }

  acquisitions(who?: string): number {
    return this.events.filter((e) => e.event === 'acquired' && (who === undefined || e.who === who)).length;
  }

  /** Replays the events: every acquisition must find nobody else holding. */
  expectNeverTwoHolders(): void {
    const holding = new Set<string>();
    for (const e of this.events) {
      if (e.event === 'acquired') {
        expect([...holding], `${e.who} acquired while others held (${JSON.stringify(this.events)})`).toEqual([]);
        holding.add(e.who);
      } else {
        holding.delete(e.who);
      }
    }
  }
}

export function holdersOf(leases: Record<string, Lease>): string[] {
  return Object.entries(leases)
    .filter(([, lease]) => lease.held)
    .map(([name]) => name);
}

/** Polls `condition` every 10 ms until it holds, or fails after `timeoutMs`. */
export async function waitFor(condition: () => boolean, timeoutMs: number, what = 'condition'): Promise<number> {
  const started = performance.now();
  while (!condition()) {
    if (performance.now() - started > timeoutMs) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
  return performance.now() - started;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
