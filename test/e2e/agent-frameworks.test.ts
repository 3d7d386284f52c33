/**
 * End to end, real agent frameworks as Keel's clients, each speaking the OpenAI Responses API as it does
 * by default: the OpenAI Agents SDK runs an agent with one function tool (called, executed, answered)
 * through Keel to an Anthropic-format deployment; the AI SDK's default `openai(...)` model streams text
 * with `streamText` and runs a tool loop, answered by a Gemini-format deployment. Only the base URL
 * points at Keel: nothing in the frameworks is configured for it.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { Agent, OpenAIProvider, Runner, tool as agentTool } from '@openai/agents';
import { generateText, stepCountIs, streamText, tool as aiTool } from 'ai';
import OpenAI from 'openai';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import type { RunningKeel } from '../../src/server/start-keel.js';
import { resetSimulatedKeel, startSimulatedKeel } from '../support/simulated-keel.js';

const PROMPT = 'what is the weather in Paris today';

let keel: RunningKeel;

beforeAll(async () => {
  keel = await startSimulatedKeel({
    deployments: [
      { id: 'claude', provider: 'anthropic', model: 'sim-anthropic' },
      { id: 'gemini', provider: 'gemini', model: 'sim-gemini' },
    ],
  });
});

afterAll(async () => {
  await keel?.stop();
});

beforeEach(() => resetSimulatedKeel(keel));

describe('OpenAI Agents SDK (@openai/agents)', () => {
  it('runs an agent with one function tool, answered by an Anthropic-format deployment', async () => {
    const calls: string[] = [];
    const getWeather = agentTool({
      name: 'get_weather',
      description: 'Current weather in a city',
      parameters: z.object({ city: z.string() }),
      execute: async ({ city }) => {
        calls.push(city);
        return '18C and sunny';
      },
    });
    const agent = new Agent({ name: 'Weather', instructions: 'Answer with the weather tool.', model: 'sim-anthropic', tools: [getWeather] });
    const client = new OpenAI({ baseURL: `${keel.url}/v1`, apiKey: 'client-key', maxRetries: 0 });
    const runner = new Runner({ modelProvider: new OpenAIProvider({ openAIClient: client, useResponses: true }), tracingDisabled: true });

    const result = await runner.run(agent, PROMPT);

    expect(calls).toEqual(['sample']);
    expect(result.finalOutput).toBe('Tool get_weather returned: 18C and sunny');
    const upstream = keel.simulator!.stats().recent;
    expect(upstream.map((r) => [r.format, r.model])).toEqual([['anthropic', 'sim-anthropic'], ['anthropic', 'sim-anthropic']]);
  });
});

describe('AI SDK (ai + @ai-sdk/openai), default Responses model', () => {
  const openai = () => createOpenAI({ baseURL: `${keel.url}/v1`, apiKey: 'client-key' });

  it('streams text with streamText, usage included', async () => {
    const result = streamText({ model: openai()('sim-gemini'), prompt: PROMPT });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe(`Hello from sim-gemini. You said: ${PROMPT}`);
    expect((await result.usage).outputTokens).toBeGreaterThan(0);
    expect(keel.simulator!.stats().recent.map((r) => r.format)).toEqual(['gemini']);
  });

  it('runs a tool loop: the call, its result, and the final answer', async () => {
    const result = streamText({
      model: openai()('sim-gemini'),
      prompt: PROMPT,
      tools: { get_weather: aiTool({ description: 'Current weather', inputSchema: z.object({ city: z.string() }), execute: async () => '18C and sunny' }) },
      stopWhen: stepCountIs(3),
    });
    let text = '';
    for await (const delta of result.textStream) text += delta;
    expect(text).toBe(`Tool get_weather returned: ${JSON.stringify({ output: '18C and sunny' })}`);
    expect((await result.steps).map((s) => s.finishReason)).toEqual(['tool-calls', 'stop']);
  });

  // With `store` on (its default) the AI SDK sends an earlier assistant turn as an `item_reference` to
  // the item's id: Keel resolves it from the responses it kept, so any provider can answer the next turn.
  it('continues a conversation whose earlier turn is an item_reference', async () => {
    const model = openai()('sim-gemini');
    const first = await generateText({ model, prompt: 'hello there' });
    const second = await generateText({ model, messages: [{ role: 'user', content: 'hello there' }, ...first.response.messages, { role: 'user', content: 'and again' }] });
    expect(second.text).toBe('Hello from sim-gemini. You said: and again');
    const upstream = JSON.stringify(keel.simulator!.stats().recent.at(-1)!.body);
    expect(upstream).toContain(first.text);
  });
});
