/**
 * Keel in-process: the official OpenAI and Anthropic SDKs use Keel through their `fetch` option, with no
 * server. The primary deployment is down (every call answers 529 overloaded), so every answer you see
 * comes from the fallback, and the SDKs never notice.
 *
 *   npx tsx examples/library-app.ts
 *
 * In your app: `import { createKeel } from 'keel-gateway'`.
 */
import Anthropic from '@anthropic-ai/sdk';
import OpenAI from 'openai';
import { chatRequest, createKeel } from '../src/index.js';

const keel = await createKeel({
  config: {
    simulator: { token_delay_ms: 0, faults: { 'claude-sim': { type: 'error', status: 529 } } },
    deployments: [
      { id: 'claude', provider: 'anthropic', model: 'claude-sim', simulated: true },
      { id: 'gpt', provider: 'openai', model: 'gpt-sim', simulated: true },
    ],
    routes: { smart: { deployments: ['claude', 'gpt'] } },
  },
  onAttempt: (a) => console.log(`  attempt: ${a.deployment} → ${a.outcome}`),
});

const openai = new OpenAI({ baseURL: 'http://keel.local/v1', apiKey: 'unused', fetch: keel.fetch });
const reply = await openai.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'Hello from the OpenAI SDK' }] });
console.log(`OpenAI SDK got: ${reply.choices[0]?.message.content} (model ${reply.model})`);

const anthropic = new Anthropic({ baseURL: 'http://keel.local', apiKey: 'unused', fetch: keel.fetch });
const stream = anthropic.messages.stream({ model: 'smart', max_tokens: 100, messages: [{ role: 'user', content: 'Hello from the Anthropic SDK' }] });
const message = await stream.finalMessage();
console.log(`Anthropic SDK got: ${message.content.map((b) => (b.type === 'text' ? b.text : '')).join('')} (model ${message.model})`);

const canonical = await keel.chat(chatRequest({ model: 'smart', messages: [{ role: 'user', content: [{ type: 'text', text: 'Hello from the canonical API' }] }] }));
console.log(`keel.chat got: ${canonical.content.map((p) => (p.type === 'text' ? p.text : '')).join('')}`);

await keel.close();
