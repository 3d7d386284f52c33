/**
 * The configs Keel ships — the examples and the Kubernetes ConfigMap — validate against the schema, so
 * the documentation cannot drift from what Keel accepts.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { loadConfigFile, parseConfig } from '../../src/config/load-config.js';

const env = {
  OPENAI_API_KEY: 'sk-example-openai-0123456789',
  ANTHROPIC_API_KEY: 'sk-ant-example-0123456789',
  GEMINI_API_KEY: 'gemini-example-0123456789',
  KEEL_ADMIN_TOKEN: 'admin-token-example-0123456789',
  KEEL_POSTGRES_URL: 'postgres://keel:secret@postgres:5432/keel',
  KEEL_REDIS_URL: 'redis://redis:6379',
  AZURE_OPENAI_API_KEY: 'azure-example-0123456789',
};

describe('shipped configs', () => {
  it.each(['examples/keel.yaml', 'examples/simulated.yaml', 'examples/multi-cloud.yaml'])('%s is a valid keel.yaml', (file) => {
    const config = loadConfigFile(file, env);
    expect(config.deployments.length).toBeGreaterThan(0);
  });

  it('the Kubernetes ConfigMap holds a valid keel.yaml for several replicas', () => {
    const configMap = parseDocument(readFileSync('deploy/kubernetes/configmap.yaml', 'utf8')).toJS() as { data: Record<string, string> };
    const config = parseConfig(parseDocument(configMap.data['keel.yaml']!).toJS(), 'configmap keel.yaml', env);
    expect(config.store.postgres_url).toBe(env.KEEL_POSTGRES_URL);
    expect(config.cluster.lease).not.toBe('none');
  });
});
