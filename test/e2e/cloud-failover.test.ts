/**
 * End to end: the same model across clouds and regions. A Claude route Anthropic API → Bedrock us-east-1
 * → Bedrock us-west-2 (and GPT on Azure, a different model, listed earlier) answers every request while
 * Anthropic fails with 529 and us-east-1 throttles: plans try Claude on another provider or region before
 * GPT, each Bedrock region is its own SigV4-verifying simulator, and the stream failover rules hold across
 * clouds (an exception before content fails over invisibly; a cut after content ends with an error
 * event). Official OpenAI and Anthropic SDKs are the clients; AWS credentials come from the environment.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { resetAwsCredentialChains } from '../../src/providers/bedrock/aws-credentials.js';
import { startKeel, type RunningKeel } from '../../src/server/start-keel.js';
import { startSimulator, type Simulator } from '../../src/simulator/index.js';
import { silentLogger } from '../support/silent-logger.js';

const ANTHROPIC_KEY = 'ant-test-cloud-failover-0123456789';
const AWS = { accessKeyId: 'AKIDCLOUDFAILOVER000', secretAccessKey: 'cloud-failover-secret-0123456789abcdefgh' };
const CLAUDE = 'claude-sonnet-4-5';
const BEDROCK_CLAUDE = 'anthropic.claude-sonnet-4-5-20250929-v1:0';
const FAMILY = 'claude-sonnet-4-5';

let keel: RunningKeel;
let anthropicApi: Simulator;
let east: Simulator;
let west: Simulator;
let openai: OpenAI;
let anthropic: Anthropic;

beforeAll(async () => {
  Object.assign(process.env, {
    AWS_ACCESS_KEY_ID: AWS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: AWS.secretAccessKey,
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/keel-e2e-credentials',
    AWS_CONFIG_FILE: '/nonexistent/keel-e2e-config',
  });
  resetAwsCredentialChains();
  anthropicApi = await startSimulator({ apiKey: ANTHROPIC_KEY });
  east = await startSimulator({ aws: AWS });
  west = await startSimulator({ aws: AWS });
  keel = await startKeel({
    port: 0,
    logger: silentLogger(),
    env: { ANTHROPIC_KEY },
    config: {
      resilience: { adaptive_throttle: { enabled: false } },
      deployments: [
        { id: 'claude-direct', provider: 'anthropic', model: CLAUDE, family: FAMILY, base_url: anthropicApi.url, api_key: '${ANTHROPIC_KEY}' },
        { id: 'gpt-azure', provider: 'azure-openai', model: 'gpt-4o-prod', family: 'gpt-4o', base_url: anthropicApi.url, api_key: '${ANTHROPIC_KEY}' },
        { id: 'claude-bedrock-east', provider: 'bedrock', model: BEDROCK_CLAUDE, family: FAMILY, region: 'us-east-1', base_url: east.url },
        { id: 'claude-bedrock-west', provider: 'bedrock', model: BEDROCK_CLAUDE, family: FAMILY, region: 'us-west-2', base_url: west.url },
      ],
      routes: {
        claude: { deployments: ['claude-direct', 'gpt-azure', 'claude-bedrock-east', 'claude-bedrock-west'], retry: { max_attempts_per_deployment: 1 } },
      },
    },
  });
  openai = new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: 'client', maxRetries: 0 });
  anthropic = new Anthropic({ baseURL: keel.url, apiKey: 'client', maxRetries: 0 });
});

afterAll(async () => {
  await keel?.stop();
  await Promise.all([anthropicApi?.close(), east?.close(), west?.close()]);
});

beforeEach(() => {
  for (const sim of [anthropicApi, east, west]) {
    sim.clearFaults();
    sim.resetStats();
  }
  keel.gateway.router.resetPolicies();
  anthropicApi.setFault(CLAUDE, { type: 'error', status: 529 });
  east.setFault(BEDROCK_CLAUDE, { type: 'error', status: 429 });
});

const user = (content: string) => [{ role: 'user' as const, content }];

describe('Claude across Anthropic and two Bedrock regions', () => {
  it('answers every request from us-west-2, JSON and streams, from both SDKs, before trying GPT', async () => {
    const deployments: (string | null)[] = [];
    const texts: string[] = [];
    for (let round = 0; round < 2; round++) {
      const json = await openai.chat.completions.create({ model: 'claude', messages: user(`json ${round}`) }).withResponse();
      deployments.push(json.response.headers.get('x-keel-deployment'));
      expect(json.response.headers.get('x-keel-region')).toBe('us-west-2');
      texts.push(json.data.choices[0]!.message.content ?? '');

      const stream = await openai.chat.completions.create({ model: 'claude', messages: user(`stream ${round}`), stream: true }).withResponse();
      deployments.push(stream.response.headers.get('x-keel-deployment'));
      let streamed = '';
      for await (const chunk of stream.data) streamed += chunk.choices[0]?.delta.content ?? '';
      texts.push(streamed);

      const message = await anthropic.messages.create({ model: 'claude', max_tokens: 100, messages: user(`anthropic ${round}`) }).withResponse();
      deployments.push(message.response.headers.get('x-keel-deployment'));
      texts.push(message.data.content.map((b) => (b.type === 'text' ? b.text : '')).join(''));

      const events = await anthropic.messages.create({ model: 'claude', max_tokens: 100, messages: user(`anthropic stream ${round}`), stream: true }).withResponse();
      deployments.push(events.response.headers.get('x-keel-deployment'));
      let text = '';
      for await (const event of events.data) if (event.type === 'content_block_delta' && event.delta.type === 'text_delta') text += event.delta.text;
      texts.push(text);
    }
    expect(deployments).toEqual(Array(8).fill('claude-bedrock-west'));
    for (const text of texts) expect(text).toMatch(/^Hello from anthropic\.claude-sonnet-4-5-20250929-v1:0\./);
    // Claude on two other clouds was tried before GPT; GPT was never needed. Once their breakers open
    // (5 consecutive faults), the failing deployments are skipped rather than asked again.
    expect(Object.keys(anthropicApi.stats().byModel)).toEqual([CLAUDE]);
    expect(anthropicApi.stats().total).toBeGreaterThanOrEqual(5);
    expect(east.stats().total).toBeGreaterThanOrEqual(5);
    expect(west.stats().total).toBe(8);
    expect(west.stats().recent.every((r) => /Credential=AKIDCLOUDFAILOVER000\/\d{8}\/us-west-2\/bedrock\//.test(r.headers['authorization'] ?? ''))).toBe(true);
  });

  it('fails a stream over invisibly when us-east-1 breaks it before any content', async () => {
    east.setFault(BEDROCK_CLAUDE, { type: 'in_stream_error', afterTokens: 0 });
    const message = await anthropic.messages.stream({ model: 'claude', max_tokens: 100, messages: user('stream over') }).finalMessage();
    expect(message.content[0]).toMatchObject({ type: 'text', text: expect.stringMatching(/^Hello from anthropic\.claude/) as string });
    expect(message.stop_reason).toBe('end_turn');
    expect(east.stats().total).toBe(1);
    expect(west.stats().total).toBe(1);
  });

  it('finishes a stream cut after content in us-east-1 from the same model in us-west-2, as one answer', async () => {
    east.clearFaults();
    east.setFault(BEDROCK_CLAUDE, { type: 'stream_cut', afterTokens: 2 });
    west.resetStats();
    const res = await fetch(`${keel.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude', max_tokens: 100, stream: true, messages: user('one two three four five six') }),
    });
    const text = await res.text();
    expect(res.headers.get('x-keel-deployment')).toBe('claude-bedrock-east');
    // us-west-2 was asked the same question; its answer began with exactly what the client already had,
    // so the stream went on from there: one answer, each word once, ending as a success.
    expect(west.stats().total).toBe(1);
    const deltas = [...text.matchAll(/"text_delta","text":"((?:[^"\\]|\\.)*)"/g)].map((m) => JSON.parse(`"${m[1]}"`) as string);
    expect(deltas.join('')).toBe(`Hello from ${BEDROCK_CLAUDE}. You said: one two three four five six`);
    expect(text).toContain('event: message_stop');
    expect(text).not.toContain('event: error');
  });
});
