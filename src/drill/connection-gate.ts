/**
 * A TCP gate in front of the simulator, one per deployment, so each deployment has an endpoint of its
 * own: the drill can refuse connections to one provider (`stop_listening`) while the others stay up, put
 * the same simulated model behind two "regional" endpoints, or add network latency to one of them. The
 * simulator's own `stopListening()` takes every model down at once, which is the wrong outage for a drill
 * where the fallbacks must stay reachable. Loopback only.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export class ConnectionGate {
  private readonly server: Server;
  private readonly sockets = new Set<Socket>();
  private targetPort: number | undefined;
  private latencyMs = 0;
  private portNumber = 0;

  private constructor() {
    this.server = createServer((socket) => this.forward(socket));
  }

  /** A gate listening on an ephemeral loopback port; it forwards nowhere until `setTarget`. */
  static async open(): Promise<ConnectionGate> {
    const gate = new ConnectionGate();
    await gate.listen(0);
    gate.portNumber = (gate.server.address() as AddressInfo).port;
    return gate;
  }

  get url(): string {
    return `http://127.0.0.1:${this.portNumber}`;
  }

  /** The simulator's port, known only once Keel has started it. */
  setTarget(port: number): void {
    this.targetPort = port;
  }

  /** Delays every byte sent through the gate towards the provider by `ms` (0: none). */
  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Refuses new connections and cuts the open ones, as a provider whose endpoint went away. */
  async stopListening(): Promise<void> {
    const closed = this.server.listening ? new Promise<void>((resolve) => this.server.close(() => resolve())) : Promise.resolve();
    for (const socket of this.sockets) socket.destroy();
    await closed;
  }

  async resumeListening(): Promise<void> {
    if (!this.server.listening) await this.listen(this.portNumber);
  }

  async close(): Promise<void> {
    await this.stopListening();
  }

  private listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, '127.0.0.1', () => {
        this.server.off('error', reject);
        resolve();
      });
    });
  }

  private forward(client: Socket): void {
    if (this.targetPort === undefined) {
      client.destroy();
      return;
    }
    const upstream = connect(this.targetPort, '127.0.0.1');
    this.sockets.add(client);
    this.sockets.add(upstream);
    const end = (): void => {
      client.destroy();
      upstream.destroy();
      this.sockets.delete(client);
      this.sockets.delete(upstream);
    };
    client.once('close', end);
    upstream.once('close', end);
    client.on('error', end);
    upstream.on('error', end);
    upstream.pipe(client);
    // Requests are small, so the client side needs no backpressure; delayed chunks keep their order
    // because each is due no earlier than the one before it.
    let lastDueMs = 0;
    client.on('data', (chunk: Buffer) => {
      const delayMs = this.latencyMs;
      if (delayMs === 0 && lastDueMs <= Date.now()) {
        upstream.write(chunk);
        return;
      }
      const dueMs = Math.max(Date.now() + delayMs, lastDueMs);
      lastDueMs = dueMs;
      setTimeout(() => {
        if (!upstream.destroyed) upstream.write(chunk);
      }, dueMs - Date.now());
    });
  }
}
