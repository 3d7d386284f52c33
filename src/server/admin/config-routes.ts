/**
 * `POST /admin/config/validate`: checks a config before it is deployed — the YAML posted in the body, or
 * with an empty body the file this gateway started from (to check an edit in place). Answers 200 with what
 * the config defines, or 422 with every issue (file, line, path, what was expected). Secrets are never in
 * the answer: issues name paths, and every message is redacted.
 *
 * `POST /admin/config/reload` re-reads that file and swaps its deployments and routes (with their
 * timeouts, retry, hedge and degraded settings) into the running router; an invalid file changes nothing
 * and answers 422. Server, store, cluster, telemetry and key settings take effect on the next restart.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseDocument } from 'yaml';
import { ConfigError, loadConfigFile, parseConfig } from '../../config/load-config.js';
import type { KeelConfig } from '../../config/schema.js';
import { KeelError } from '../../core/errors.js';
import { secrets } from '../../core/secrets.js';
import type { AdminRoute } from './admin-route.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

function parseText(text: string, env: Record<string, string | undefined>): KeelConfig {
  const doc = parseDocument(text, { uniqueKeys: true, prettyErrors: false });
  if (doc.errors.length > 0) throw new ConfigError('posted config', doc.errors.map((e) => ({ path: '', message: `YAML syntax: ${e.message.split('\n')[0]}` })));
  return parseConfig(doc.toJS(), 'posted config', env);
}

export function configRoutes(source: string, env: Record<string, string | undefined>, reload?: () => Promise<{ deployments: string[]; routes: string[] }>): AdminRoute[] {
  return [
    {
      method: 'POST',
      pattern: '/admin/config/reload',
      handle: async (ctx) => {
        if (reload === undefined) throw new KeelError('not_found', 'This gateway was not started from a config file: there is nothing to reload.');
        try {
          const loaded = await reload();
          await ctx.audit('config.reload', source, loaded);
          return { body: { reloaded: true, ...loaded } };
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          const issues = err.issues.map((i) => ({ ...i, message: secrets.redact(i.message) }));
          return { status: 422, body: { reloaded: false, file: err.file, issues } };
        }
      },
    },
    {
      method: 'POST',
      pattern: '/admin/config/validate',
      handle: async ({ req }) => {
        const body = await req.readBody();
        let config: KeelConfig;
        try {
          if (body.length > 0) {
            let text: string;
            try {
              text = decoder.decode(body);
            } catch {
              throw new KeelError('invalid_request', 'The posted config is not valid UTF-8.');
            }
            config = parseText(text, env);
          } else {
            if (!existsSync(resolve(source))) throw new KeelError('invalid_request', `This gateway's config (${source}) is not a file: post the YAML to validate.`);
            config = loadConfigFile(resolve(source), env);
          }
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          const issues = err.issues.map((i) => ({ ...i, message: secrets.redact(i.message) }));
          return { status: 422, body: { valid: false, file: err.file, issues } };
        }
        return {
          body: {
            valid: true,
            deployments: config.deployments.map((d) => d.id),
            routes: Object.keys(config.routes),
            keys: config.keys.map((k) => k.name),
          },
        };
      },
    },
  ];
}
