import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ChunkMemo, scanTextChunk, scanWholeChunk } from './openai-chunk-scan.js';
import { OpenAIStreamDecoder } from './openai-stream-decoder.js';
import { readOpenAIChunk, type OpenAIChunkView } from './openai-wire-check.js';

/** Both scans, as the decoder takes them: the memo's text chunk first, then the chunk read whole. */
function scanOpenAIChunk(text: string, memo: ChunkMemo): OpenAIChunkView | undefined {
  const content = scanTextChunk(text, memo);
  if (content === undefined) return scanWholeChunk(text, memo);
  return { choices: [{ index: 0, delta: { content }, finish_reason: null }] };
}

/** What the stream decoder reads of a chunk: a scan must agree with the full parse on exactly this. */
function used(chunk: OpenAIChunkView): unknown {
  return {
    choices: (chunk.choices ?? []).map((c) => ({
      index: c.index ?? 0,
      hasDelta: c.delta !== undefined,
      content: c.delta?.content ?? null,
      reasoning: c.delta?.reasoning_content ?? null,
      refusal: c.delta?.refusal ?? null,
      toolCalls: (c.delta?.tool_calls ?? []).length,
      finish: c.finish_reason ?? null,
    })),
    usage: chunk.usage ?? null,
  };
}

/** The full parse's reading, or undefined when the decoder would drop the text or treat it as an error. */
function fullRead(text: string): OpenAIChunkView | undefined {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (json !== null && typeof json === 'object' && 'error' in json) return undefined;
  return readOpenAIChunk(json);
}

/** The scan never answers where the full parse would not, and reads what it answers the same way. */
function agrees(text: string, memo: ChunkMemo): boolean {
  const scanned = scanOpenAIChunk(text, memo);
  if (scanned === undefined) return true;
  const full = fullRead(text);
  expect(full, `scan accepted what the full parse refuses: ${text}`).toBeDefined();
  expect(used(scanned)).toEqual(used(full!));
  // What opens the answer is reported only when the chunk was read whole; then it is the full parse's.
  for (const field of ['id', 'model', 'created'] as const) {
    if (scanned[field] !== undefined) expect(scanned[field], field).toBe(full![field]);
  }
  return true;
}

const HEAD = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1796357597, model: 'gpt-x', service_tier: 'default', system_fingerprint: 'fp_1' };
const chunkText = (choice: object, extra: object = {}): string => JSON.stringify({ ...HEAD, choices: [choice], ...extra });
const textChunk = (content: string, extra: object = {}): string => chunkText({ index: 0, delta: { content }, logprobs: null, finish_reason: null }, extra);

/** A memo that has learned a stream's prefix and its text chunk, as after a stream's first chunks. */
function learned(): ChunkMemo {
  const memo = new ChunkMemo();
  expect(scanOpenAIChunk(textChunk('Hello'), memo)).toBeDefined();
  expect(memo.prefix).not.toBe('');
  expect(memo.textHead).not.toBe('');
  return memo;
}

describe('scanOpenAIChunk', () => {
  it('reads the text, index and finish of common chunks as the full parse does', () => {
    const memo = new ChunkMemo();
    const stream = [
      chunkText({ index: 0, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }),
      textChunk('Hello'),
      textChunk(' "quoted" \\ \n \u2028 é 😀'),
      chunkText({ index: 0, delta: { reasoning_content: 'hmm' }, finish_reason: null }),
      chunkText({ index: 0, delta: { refusal: 'no' }, finish_reason: null }),
      chunkText({ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }),
      JSON.stringify({ ...HEAD, choices: [{ index: 0, delta: { content: 'a' } }, { index: 1, delta: { content: 'b' }, finish_reason: 'length' }] }),
      textChunk('obfuscated', { obfuscation: 'x7Q' }),
      textChunk('usage null', { usage: null }),
      ` \n${textChunk('spaced')}\t `,
    ];
    for (const text of stream) {
      expect(scanOpenAIChunk(text, memo), text).toBeDefined();
      agrees(text, memo);
    }
    expect(scanOpenAIChunk(textChunk('a\\"b'), memo)?.choices?.[0]?.delta?.content).toBe('a\\"b');
  });

  it('leaves to the full parse what it does not read itself', () => {
    const memo = learned();
    const leftOver = [
      JSON.stringify({ ...HEAD, choices: [], usage: { prompt_tokens: 1, completion_tokens: 2, total_tokens: 3 } }),
      JSON.stringify({ error: { message: 'overloaded', type: 'server_error' } }),
      chunkText({ index: 0, delta: { tool_calls: [{ index: 0, id: 'c', function: { name: 'f', arguments: '' } }] } }),
      textChunk('x').replace('"choices"', '"cho\\u0069ces"'),
      textChunk('x').replace('"content"', '"cont\\u0065nt"'),
      textChunk('x').replace('"index":0', '"index":1.5'),
      textChunk('x').replace('"index":0', '"index":1e300'),
      textChunk('x').replace('"index":0', '"index":0,"index":1'),
      textChunk('x').replace('{"id"', '{"choices":[],"id"'),
      textChunk('x').replace('"delta":{', '"delta":{"content":"y",'),
      JSON.stringify({ ...HEAD, choices: [{ index: 0, delta: { content: 'x' }, extra: [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]]] }] }),
    ];
    for (const text of leftOver) {
      expect(scanOpenAIChunk(text, memo), text).toBeUndefined();
      // ...and the decoder still reads each as before (or drops it, or fails the stream), through the parse.
    }
  });

  it('refuses what is not JSON, even where the text chunk or the prefix matches', () => {
    const memo = learned();
    const broken = [
      textChunk('x').slice(0, -1),
      `${textChunk('x')}}`,
      `${textChunk('x')}x`,
      textChunk('x').replace('"x"', '"x'),
      textChunk('x').replace('"x"', '"a"b"'),
      textChunk('x').replace('"x"', '"a\nb"'),
      textChunk('x').replace('"x"', '"a\\qb"'),
      textChunk('x').replace('"x"', '"a\\u12G4"'),
      textChunk('x').replace('"x"', '"a\\"'),
      textChunk('x').replace('"x"', 'x'),
      textChunk('x').replace('"x"', '5'),
      textChunk('x').replace('"x"', '"a","b"'),
      textChunk('x').replace('"index":0', '"index":01'),
      textChunk('x').replace('"index":0', '"index":-'),
      textChunk('x').replace(':null', ':nul'),
      textChunk('x').replace('"created":1796357597', '"created":"1796357597"'),
      textChunk('x').replace('"model":"gpt-x"', '"model":null'),
      textChunk('x').replace('"delta":{"content":"x"}', '"delta":null'),
      textChunk('x').replace('"finish_reason":null', '"finish_reason":3'),
      textChunk('x').replace('[{', '[{},{'),
      '[]',
      '',
      'null',
    ];
    for (const text of broken) {
      agrees(text, memo);
      agrees(text, new ChunkMemo());
    }
  });

  it('agrees with the full parse on any chunk, through a stream that has learned its shape (property)', () => {
    const text = fc.string({ unit: 'grapheme', maxLength: 12 });
    const extraValue = fc.jsonValue({ maxDepth: 3 });
    const delta = fc.record(
      { role: fc.constantFrom('assistant', null), content: fc.option(text), reasoning_content: fc.option(text), refusal: fc.option(text), extra: extraValue },
      { requiredKeys: [] },
    );
    const choice = fc.record({ index: fc.integer({ min: 0, max: 3 }), delta, logprobs: fc.constant(null), finish_reason: fc.option(fc.constantFrom('stop', 'length', '')) }, { requiredKeys: [] });
    const chunk = fc.record({ choices: fc.array(choice, { maxLength: 3 }), usage: fc.constant(null), obfuscation: text }, { requiredKeys: ['choices'] });
    fc.assert(
      fc.property(fc.array(chunk, { minLength: 1, maxLength: 6 }), (chunks) => {
        const memo = learned();
        for (const c of chunks) agrees(JSON.stringify({ ...HEAD, ...c }), memo);
      }),
      { numRuns: 300 },
    );
  });

  it('never accepts a broken chunk: any edit of a valid one (property)', () => {
    const edit = fc.record({ at: fc.nat(), drop: fc.integer({ min: 0, max: 3 }), insert: fc.string({ unit: fc.constantFrom('{', '}', '[', ']', '"', ',', ':', '\\', ' ', '0', '1', '-', '.', 'e', 'n', 'u', 'l', '\n', 'é') , maxLength: 3 }) });
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 8 }), fc.array(edit, { minLength: 1, maxLength: 3 }), (content, edits) => {
        let text = textChunk(content);
        for (const { at, drop, insert } of edits) {
          const i = at % (text.length + 1);
          text = text.slice(0, i) + insert + text.slice(i + drop);
        }
        agrees(text, learned());
        agrees(text, new ChunkMemo());
      }),
      { numRuns: 2000 },
    );
  });
});

describe('a stream\'s first chunk, read whole by the scan', () => {
  it('gives the id, model and created of the full parse, escapes and exponents included', () => {
    const first = JSON.stringify({ ...HEAD, id: 'chat\u00e9-"1"', model: 'gpt/x\\y', created: 17963575.97, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
    const scanned = scanOpenAIChunk(first, new ChunkMemo());
    expect(scanned).toMatchObject({ id: 'chat\u00e9-"1"', model: 'gpt/x\\y', created: 17963575.97 });
    expect(scanOpenAIChunk(first.replace('17963575.97', '1.796357597e9'), new ChunkMemo())?.created).toBe(1796357597);
  });

  it('opens the answer with the id, model and created of a chunk whose head repeats an earlier choice-less one', () => {
    const decoder = new OpenAIStreamDecoder(1);
    expect(decoder.push(JSON.stringify({ ...HEAD, choices: [] })).events).toEqual([]);
    expect(decoder.push(textChunk('Hi')).events[0]).toEqual({ type: 'start', id: 'chatcmpl-1', model: 'gpt-x', created: 1796357597 });
  });

  it('opens the answer as the full parse would, whatever the head holds (property)', () => {
    const head = fc.record(
      { id: fc.string({ unit: 'grapheme', maxLength: 10 }), model: fc.string({ unit: 'grapheme', maxLength: 10 }), created: fc.oneof(fc.nat(), fc.double({ noNaN: true, noDefaultInfinity: true })), object: fc.constant('chat.completion.chunk') },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(head, fc.string({ unit: 'grapheme', maxLength: 8 }), (h, content) => {
        const text = JSON.stringify({ ...h, choices: [{ index: 0, delta: { role: 'assistant', content }, finish_reason: null }] });
        const events = new OpenAIStreamDecoder(1).push(text).events;
        const full = readOpenAIChunk(JSON.parse(text))!;
        expect(events[0]).toEqual({ type: 'start', id: full.id ?? '', model: full.model ?? '', created: full.created ?? expect.any(Number) });
        agrees(text, new ChunkMemo());
      }),
      { numRuns: 500 },
    );
  });
});

describe('what a stream repeats, learned from its first chunks', () => {
  const withRole = (content: string): string => chunkText({ index: 0, delta: { role: 'assistant', content }, logprobs: null, finish_reason: null });

  it('learns the text chunk without the role that only the first chunk carries', () => {
    const memo = new ChunkMemo();
    scanOpenAIChunk(withRole('He'), memo);
    expect(memo.textHead).not.toContain('role');
    expect(textChunk('llo').startsWith(memo.textHead)).toBe(true);
    expect(scanOpenAIChunk(textChunk('llo'), memo)?.choices).toEqual([{ index: 0, delta: { content: 'llo' }, finish_reason: null }]);
  });

  it('learns the role back when the provider repeats it in every chunk', () => {
    const memo = new ChunkMemo();
    scanOpenAIChunk(withRole('a'), memo);
    expect(scanOpenAIChunk(withRole('b'), memo)?.choices?.[0]?.delta).toEqual({ content: 'b' });
    expect(memo.textHead).toContain('"role":"assistant"');
    expect(withRole('c').startsWith(memo.textHead)).toBe(true);
  });

  it('keeps the role in the head when another member sits between it and the content', () => {
    const memo = new ChunkMemo();
    scanOpenAIChunk(chunkText({ index: 0, delta: { role: 'assistant', x: 1, content: 'a' }, logprobs: null, finish_reason: null }), memo);
    expect(memo.textHead).toContain('"role":"assistant","x":1,');
  });
});

describe('OpenAIStreamDecoder with the scan', () => {
  it('decodes a stream of common chunks into the events and verbatim frames of the full parse', () => {
    const chunks = [
      chunkText({ index: 0, delta: { role: 'assistant', content: 'He' }, logprobs: null, finish_reason: null }),
      textChunk('llo'),
      textChunk(' "wor\\ld"'),
      textChunk('broken').replace('"broken"', '"bro\nken"'),
      chunkText({ index: 0, delta: {}, logprobs: null, finish_reason: 'stop' }),
    ];
    const decoder = new OpenAIStreamDecoder(1);
    const results = chunks.map((c) => decoder.push(c));
    expect(results.map((r) => r.events)).toEqual([
      [
        { type: 'start', id: 'chatcmpl-1', model: 'gpt-x', created: 1796357597 },
        { type: 'text_delta', index: 0, text: 'He' },
      ],
      [{ type: 'text_delta', index: 0, text: 'llo' }],
      [{ type: 'text_delta', index: 0, text: ' "wor\\ld"' }],
      [],
      [{ type: 'finish', finishReason: 'stop' }],
    ]);
    expect(results.map((r) => r.raw)).toEqual([`data: ${chunks[0]}\n\n`, `data: ${chunks[1]}\n\n`, `data: ${chunks[2]}\n\n`, undefined, `data: ${chunks[4]}\n\n`]);
    expect(decoder.malformedEvents).toBe(1);
    // Keel always asks for the usage: the answer is complete once it came.
    decoder.push(JSON.stringify({ ...HEAD, choices: [], usage: { prompt_tokens: 3, completion_tokens: 4, total_tokens: 7 } }));
    expect(decoder.complete).toBe(true);
  });

  it('still classifies an in-stream error that follows text chunks', () => {
    const decoder = new OpenAIStreamDecoder(1);
    decoder.push(textChunk('a'));
    decoder.push(textChunk('b'));
    const result = decoder.push(JSON.stringify({ error: { message: 'Rate limit reached', type: 'rate_limit_error', code: 'rate_limit_exceeded' } }));
    expect(result.failure?.outcome).toBe('rate_limited');
  });
});
