/**
 * Keel's own account of a drill, from the router's events: every upstream attempt, every finished
 * request (by request id, so it can be joined to what the client saw) and every breaker transition. The
 * report cross-checks the clients' figures against these.
 */
import type { AttemptRecord, RequestRecord, Router } from '../router/router.js';
import type { CircuitStateChangeEvent } from '../resilience/index.js';

export class KeelObserver {
  readonly attempts: AttemptRecord[] = [];
  readonly requests = new Map<string, RequestRecord>();
  readonly breakers: CircuitStateChangeEvent[] = [];
  private readonly unsubscribe: (() => void)[];

  constructor(router: Router) {
    this.unsubscribe = [
      router.events.on('attempt', (attempt) => void this.attempts.push(attempt)),
      router.events.on('request', (request) => void this.requests.set(request.requestId, request)),
      router.events.on('breaker', (event) => void this.breakers.push(event)),
    ];
  }

  stop(): void {
    for (const off of this.unsubscribe) off();
  }
}
