// The official OpenAI SDK talking to Keel: only the base URL changes.
//   npm start          (in another terminal)
//   node examples/openai-sdk.mjs
import OpenAI from 'openai';

const client = new OpenAI({ baseURL: process.env.KEEL_URL ?? 'http://127.0.0.1:8787/v1', apiKey: 'unused-without-virtual-keys' });

const { data, response } = await client.chat.completions
  .create({ model: 'smart', messages: [{ role: 'user', content: 'Hello through Keel' }] })
  .withResponse();
console.log(data.choices[0].message.content);
console.log(`answered by ${response.headers.get('x-keel-deployment')} after ${response.headers.get('x-keel-attempts')} attempt(s)`);

const stream = await client.chat.completions.create({ model: 'smart', messages: [{ role: 'user', content: 'Now stream it' }], stream: true });
for await (const chunk of stream) process.stdout.write(chunk.choices[0]?.delta.content ?? '');
process.stdout.write('\n');
