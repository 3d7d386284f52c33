import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../config/load-config.js';
import { secrets } from '../../core/secrets.js';
import { literalSecretPaths, registerHeaderSecrets } from './config-secrets.js';
import { isLoopback } from './gateway-security.js';

describe('secrets written into the config', () => {
  it('names every literal secret by path, and leaves ${VAR} references alone', () => {
    const raw = {
      server: { admin_token: 'literal-admin-token-123' },
      deployments: [
        { id: 'a', provider: 'openai', model: 'm', api_key: 'sk-literal', headers: { Authorization: 'Bearer xyz', 'OpenAI-Organization': 'org-1' } },
        { id: 'b', provider: 'openai', model: 'm', api_key: '${OPENAI_API_KEY}', headers: { 'x-api-key': '${OTHER}' } },
      ],
      keys: [{ name: 'k', key: 'a-literal-virtual-key' }, { name: 'j', key: '${APP_KEY}' }],
      telemetry: { otlp_headers: { 'x-honeycomb-team': 'abc', 'api-key': 'literal' } },
    };
    expect(literalSecretPaths(raw)).toEqual([
      'deployments[0].api_key',
      'deployments[0].headers.Authorization',
      'keys[0].key',
      'server.admin_token',
      'telemetry.otlp_headers.api-key',
    ]);
    expect(literalSecretPaths(null)).toEqual([]);
  });

  it('registers credential header values for redaction', () => {
    const config = parseConfig({ deployments: [{ id: 'a', provider: 'openai', model: 'm', headers: { Authorization: 'Bearer header-secret-42' } }] }, 'test', {});
    registerHeaderSecrets(config);
    expect(secrets.redact('upstream said header-secret-42')).toBe('upstream said [REDACTED]');
  });
});

describe('isLoopback', () => {
  it('knows the loopback addresses', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) expect(isLoopback(host)).toBe(true);
    for (const host of ['0.0.0.0', '::', '10.0.0.1', '192.168.1.2', 'example.com']) expect(isLoopback(host)).toBe(false);
  });
});
