/**
 * Keel as a library: the same router, policies and provider code in-process, without another network
 * hop. `chat` and `stream` take the canonical request or an OpenAI / Anthropic body and answer in kind;
 * `fetch` plugs into the official SDKs; `router.policies` and `onAttempt` expose the same state and events
 * the server has.
 */
import type { ChatRequest, WireFormat } from '../core/chat-request.js';
import type { ChatResponse, StreamEvent } from '../core/chat-response.js';
import type { Clock } from '../core/clock.js';
import { KeelError } from '../core/errors.js';
import { newRequestId } from '../core/request-id.js';
import { loadConfigFile, parseConfig } from '../config/load-config.js';
import { resolveConfig, type RuntimeConfig } from '../config/resolve-config.js';
import type { KeelConfig, KeelConfigInput } from '../config/schema.js';
import { closeAllPools, providerFor } from '../providers/index.js';
import { Router, type AttemptRecord, type DispatchInput } from '../router/router.js';
import { Abortable } from '../resilience/index.js';
import { startEmbeddedSimulator } from '../server/embedded-simulator.js';
import type { Simulator } from '../simulator/index.js';
import { createKeelFetch, type FetchLike } from './keel-fetch.js';

export interface KeelOptions {
  /** A config document, or the path of a YAML file. */
  config: KeelConfigInput | string;
  env?: Record<string, string | undefined>;
  onAttempt?: (attempt: AttemptRecord) => void;
  clock?: Clock;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Deadline for this call, bounded by the route's. */
  timeoutMs?: number;
  priority?: DispatchInput['priority'];
  tenant?: string;
}

export interface Keel {
  /** One answer, canonical in and out. */
  chat(request: ChatRequest, options?: CallOptions): Promise<ChatResponse>;
  /** One streamed answer, canonical events; throws a KeelError if the stream breaks. */
  stream(request: ChatRequest, options?: CallOptions): AsyncGenerator<StreamEvent, void, undefined>;
  /** A provider-format body (OpenAI Chat Completions or Anthropic Messages) in, the same format out. */
  chatAs(format: Extract<WireFormat, 'openai' | 'anthropic'>, body: unknown, options?: Pick<CallOptions, 'signal'>): Promise<unknown>;
  /** For the SDKs: `new OpenAI({ baseURL: 'http://keel/v1', fetch: keel.fetch })`. */
  fetch: FetchLike;
  router: Router;
  config: RuntimeConfig;
  /** The embedded simulator, when the config has a `simulator` section. */
  simulator: Simulator | undefined;
  close(): Promise<void>;
}

export async function createKeel(options: KeelOptions): Promise<Keel> {
  const env = options.env ?? process.env;
  const config: KeelConfig = typeof options.config === 'string' ? loadConfigFile(options.config, env) : parseConfig(options.config, 'inline config', env);
  for (const d of config.deployments) providerFor(d.provider);
  const simulator = config.simulator === undefined ? undefined : await startEmbeddedSimulator(config.simulator);
  const runtime = resolveConfig(config, { source: typeof options.config === 'string' ? options.config : 'inline config', ...(simulator === undefined ? {} : { simulatorUrl: simulator.url }) });
  const router = new Router(runtime, { ...(options.onAttempt === undefined ? {} : { onAttempt: options.onAttempt }), ...(options.clock === undefined ? {} : { clock: options.clock }) });
  const fetch = createKeelFetch(router, runtime.server.body_limit_bytes);

  const dispatch = (request: ChatRequest, call: CallOptions = {}) =>
    router.dispatch({
      request,
      clientFormat: 'openai',
      requestId: newRequestId(),
      signal: call.signal ?? new Abortable(),
      ...(call.timeoutMs === undefined ? {} : { timeoutMs: call.timeoutMs }),
      ...(call.priority === undefined ? {} : { priority: call.priority }),
      ...(call.tenant === undefined ? {} : { tenant: call.tenant }),
    });

  return {
    async chat(request, call) {
      const result = await dispatch({ ...request, stream: false }, call);
      try {
        if (result.answer.kind !== 'json') throw new KeelError('internal', 'expected a complete answer');
        return result.answer.response;
      } finally {
        result.done();
      }
    },
    async *stream(request, call) {
      const result = await dispatch({ ...request, stream: true }, call);
      try {
        if (result.answer.kind !== 'stream') throw new KeelError('internal', 'expected a stream');
        for await (const item of result.answer.items) {
          if (item.kind === 'data') yield* item.events;
          else if (item.kind === 'resync') continue;
          else if (item.kind === 'failure') throw new KeelError('stream_interrupted', `The answer was interrupted: ${item.failure.message}`);
          else return;
        }
      } finally {
        result.done();
      }
    },
    async chatAs(format, body, call = {}) {
      const path = format === 'openai' ? '/v1/chat/completions' : '/v1/messages';
      const res = await fetch(`http://keel.local${path}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        ...(call.signal === undefined ? {} : { signal: call.signal }),
      });
      const json: unknown = await res.json();
      if (!res.ok) throw Object.assign(new Error(`Keel answered ${res.status}`), { status: res.status, body: json });
      return json;
    },
    fetch,
    router,
    config: runtime,
    simulator,
    async close() {
      router.stop();
      await simulator?.close();
      await closeAllPools();
    },
  };
}
