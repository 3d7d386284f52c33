/**
 * Which vendor pages Keel reads, resolved from `status_sources`: a default source for each provider family
 * the deployments use (the URLs are defaults only — any can be overridden, e.g. to a mirror or a test
 * server), plus sources named in the config. Component patterns become case-insensitive matchers; a
 * pattern that names no deployments maps to every deployment of the source's providers.
 */
import type { ProviderName } from '../../config/schema.js';
import type { StatusSourcesConfig } from '../../config/status-sources-schema.js';

export type StatusSourceFormat = 'statuspage' | 'google' | 'feed';

export interface ResolvedStatusSource {
  name: string;
  format: StatusSourceFormat;
  /** The documents to read: two for a Statuspage (summary and incidents), one otherwise. */
  urls: string[];
  components: { pattern: string; matches: (component: string) => boolean; deployments: string[] }[];
}

interface SourceDefault {
  format: StatusSourceFormat;
  url: string;
  providers: ProviderName[];
  components: string[];
}

export const DEFAULT_STATUS_SOURCES: Record<string, SourceDefault> = {
  anthropic: { format: 'statuspage', url: 'https://status.anthropic.com', providers: ['anthropic'], components: ['*API*'] },
  openai: { format: 'statuspage', url: 'https://status.openai.com', providers: ['openai'], components: ['*API*', '*Chat Completions*', '*Responses*'] },
  google: { format: 'google', url: 'https://status.cloud.google.com/incidents.json', providers: ['gemini', 'vertex'], components: ['*Vertex*', '*Gemini*'] },
  aws: { format: 'feed', url: 'https://status.aws.amazon.com/rss/bedrock-us-east-1.rss', providers: ['bedrock'], components: ['*Bedrock*'] },
  azure: { format: 'feed', url: 'https://azure.status.microsoft/en-us/status/feed/', providers: ['azure-openai'], components: ['*OpenAI*'] },
};

/** `*` matches anything; the rest literally, ignoring case. */
export function componentMatcher(pattern: string): (component: string) => boolean {
  const escaped = pattern.split('*').map((part) => part.replace(/[.+?^${}()|[\]\\]/g, '\\$&'));
  const regex = new RegExp(`^${escaped.join('.*')}$`, 'i');
  return (component) => regex.test(component.trim());
}

export function resolveStatusSources(config: StatusSourcesConfig, deployments: readonly { id: string; provider: string }[]): ResolvedStatusSource[] {
  const used = new Set(deployments.map((d) => d.provider));
  const names = new Set([...Object.keys(DEFAULT_STATUS_SOURCES).filter((n) => DEFAULT_STATUS_SOURCES[n]!.providers.some((p) => used.has(p))), ...Object.keys(config.sources)]);
  const sources: ResolvedStatusSource[] = [];
  for (const name of names) {
    const own = config.sources[name];
    if (own?.enabled === false) continue;
    const fallback = DEFAULT_STATUS_SOURCES[name];
    const format = own?.format ?? fallback?.format;
    const url = own?.url ?? fallback?.url;
    if (format === undefined || url === undefined) {
      throw new Error(`status_sources.sources.${name}: expected a format and a url (there is no default source named "${name}")`);
    }
    const providers: readonly string[] = own?.providers ?? fallback?.providers ?? [];
    const ofProviders = deployments.filter((d) => providers.includes(d.provider)).map((d) => d.id);
    const patterns = own?.components ?? (fallback?.components ?? []).map((match) => ({ match, deployments: undefined }));
    sources.push({
      name,
      format,
      urls: format === 'statuspage' ? [`${url.replace(/\/+$/, '')}/api/v2/summary.json`, `${url.replace(/\/+$/, '')}/api/v2/incidents.json`] : [url],
      components: patterns.map((p) => ({ pattern: p.match, matches: componentMatcher(p.match), deployments: p.deployments ?? ofProviders })),
    });
  }
  return sources;
}

/** The deployments a vendor's component names stand for, by the source's patterns. */
export function deploymentsOf(source: ResolvedStatusSource, components: readonly string[]): string[] {
  const found = new Set<string>();
  for (const c of components) for (const p of source.components) if (p.matches(c)) for (const d of p.deployments) found.add(d);
  return [...found].sort();
}
