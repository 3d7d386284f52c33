import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfigFile } from './load-config.js';
import { resolveConfig } from './resolve-config.js';

function write(text: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'keel-config-'));
  const file = join(dir, 'keel.yaml');
  writeFileSync(file, text);
  return file;
}

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  throw new Error('expected a ConfigError');
}

const VALID = `
server: { port: 9000 }
deployments:
  - id: gpt
    provider: openai
    model: gpt-4.1
    api_key: \${OPENAI_API_KEY}
  - id: local
    provider: openai-compatible
    base_url: http://127.0.0.1:8000/v1
    model: llama
routes:
  smart:
    deployments: [gpt, { id: local, weight: 2 }]
    timeouts: { ttft_ms: 5000, total_ms: 20000 }
`;

describe('loadConfigFile', () => {
  it('loads a valid file with defaults filled in and secrets from the environment', () => {
    const config = loadConfigFile(write(VALID), { OPENAI_API_KEY: 'sk-from-env-123' });
    expect(config.server).toMatchObject({ port: 9000, host: '127.0.0.1' });
    expect(config.deployments[0]!.api_key).toBe('sk-from-env-123');
    const runtime = resolveConfig(config, { source: 'keel.yaml' });
    const route = runtime.routes.get('smart')!;
    expect(route.targets.map((t) => [t.deployment.id, t.weight])).toEqual([['gpt', 1], ['local', 2]]);
    expect(route.totalMs).toBe(20000);
    expect(route.timeoutOverrides).toEqual({ ttftMs: 5000 });
    expect(runtime.deployments.get('gpt')!.baseUrl).toBe('https://api.openai.com/v1');
  });

  it('names the file, line, key path and expectation for a typo', () => {
    const file = write(VALID.replace('timeouts: { ttft_ms', 'tiemouts: { ttft_ms'));
    const err = errorOf(() => loadConfigFile(file, { OPENAI_API_KEY: 'x' }));
    expect(err.message).toContain(file);
    expect(err.message).toMatch(/:15:5 routes\.smart\.tiemouts: unknown key "tiemouts" \(did you mean "timeouts"\?\)/);
  });

  it('reports every type problem at once, with missing environment variables', () => {
    const text = VALID.replace('port: 9000', 'port: "nine"').replace('model: llama', 'model: 7');
    const err = errorOf(() => loadConfigFile(write(text), {}));
    expect(err.issues.map((i) => i.path)).toEqual(['deployments[0].api_key', 'server.port', 'deployments[1].model']);
    expect(err.message).toMatch(/environment variable OPENAI_API_KEY/);
    expect(err.message).toMatch(/:2:11 server\.port: expected number, received string/);
  });

  it('rejects a route naming a deployment that does not exist', () => {
    const err = errorOf(() => loadConfigFile(write(VALID.replace('[gpt, {', '[gtp, {')), { OPENAI_API_KEY: 'x' }));
    expect(err.message).toMatch(/routes\.smart\.deployments\[0\]: expected the id of a deployment \(one of: gpt, local\), got "gtp"/);
  });

  it('rejects YAML syntax errors with a position, and a missing file', () => {
    expect(errorOf(() => loadConfigFile(write('deployments: [\n  - id: x\n'), {})).message).toMatch(/YAML syntax/);
    expect(errorOf(() => loadConfigFile('/nonexistent/keel.yaml', {})).message).toMatch(/cannot read the file \(ENOENT\)/);
  });

  it('requires a base_url for openai-compatible deployments', () => {
    const err = errorOf(() => loadConfigFile(write(VALID.replace('    base_url: http://127.0.0.1:8000/v1\n', '')), { OPENAI_API_KEY: 'x' }));
    expect(err.issues[0]).toMatchObject({ path: 'deployments[1].base_url' });
  });
});
