/**
 * Config for deployments on cloud platforms: regional endpoints derived from `region`, the fields each
 * provider needs, and credentials that may only come from the environment or files.
 */
import { describe, expect, it } from 'vitest';
import { configSchema } from './schema.js';
import { resolveConfig } from './resolve-config.js';

const parse = (deployments: unknown[]) => configSchema.safeParse({ deployments });
const issues = (deployments: unknown[]): string[] => {
  const result = parse(deployments);
  return result.success ? [] : result.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
};

describe('cloud deployments', () => {
  it('derives regional endpoints and keeps family, project, api version and credential sources', () => {
    const config = configSchema.parse({
      deployments: [
        { id: 'bedrock-east', provider: 'bedrock', model: 'anthropic.claude-sonnet-4-5-20250929-v1:0', region: 'us-east-1', family: 'claude-sonnet-4-5', aws_profile: 'prod' },
        { id: 'vertex-east', provider: 'vertex', model: 'claude-sonnet-4-5@20250929', region: 'us-east5', project: 'acme-prod', family: 'claude-sonnet-4-5', credentials_file: '/etc/keel/sa.json' },
        { id: 'vertex-global', provider: 'vertex', model: 'gemini-2.5-pro', region: 'global', project: 'acme-prod' },
        { id: 'gpt-azure', provider: 'azure-openai', model: 'gpt-4o-prod', base_url: 'https://acme.openai.azure.com', api_key: 'azure-key-1234567890', api_version: 'v1', auth: 'api-key' },
      ],
    });
    const deployments = resolveConfig(config, { source: 'test' }).deployments;
    expect(deployments.get('bedrock-east')).toMatchObject({ baseUrl: 'https://bedrock-runtime.us-east-1.amazonaws.com', region: 'us-east-1', family: 'claude-sonnet-4-5', awsProfile: 'prod' });
    expect(deployments.get('vertex-east')).toMatchObject({ baseUrl: 'https://us-east5-aiplatform.googleapis.com', project: 'acme-prod', credentialsFile: '/etc/keel/sa.json' });
    expect(deployments.get('vertex-global')!.baseUrl).toBe('https://aiplatform.googleapis.com');
    expect(deployments.get('gpt-azure')).toMatchObject({ apiVersion: 'v1', azureAuth: 'api-key', baseUrl: 'https://acme.openai.azure.com' });
  });

  it('asks for what each provider needs, and refuses keys where credentials come from the cloud', () => {
    expect(issues([{ id: 'b', provider: 'bedrock', model: 'm' }])).toEqual([expect.stringMatching(/^deployments.0.region: expected a region/)]);
    expect(issues([{ id: 'v', provider: 'vertex', model: 'm', region: 'us-east5' }])).toEqual([expect.stringMatching(/^deployments.0.project: expected a project/)]);
    expect(issues([{ id: 'a', provider: 'azure-openai', model: 'm' }])).toEqual([expect.stringMatching(/^deployments.0.base_url: expected a base_url/)]);
    expect(issues([{ id: 'b', provider: 'bedrock', model: 'm', region: 'us-east-1', api_key: 'AKIA-not-here' }])).toEqual([expect.stringMatching(/^deployments.0.api_key: expected no api_key: bedrock credentials come from the AWS credential chain/)]);
  });
});
