/**
 * A Bedrock response stream read as stream items: AWS event-stream messages (CRC-checked by the AWS
 * SDK's codec) whose `chunk` messages carry Anthropic stream events, decoded by Anthropic's decoder;
 * exception messages are classified like HTTP errors. Loaded with the rest of Bedrock's AWS code at the
 * first Bedrock call (bedrock-provider.ts).
 */
import type { Message } from '@smithy/eventstream-codec';
import { toUtf8 } from '@smithy/util-utf8';
import type { Readable } from 'node:stream';
import { z } from 'zod';
import { parseJsonOrUndefined } from '../../core/json-text.js';
import type { StreamItem } from '../types.js';
import { AnthropicStreamDecoder } from '../anthropic/anthropic-stream-decoder.js';
import type { StreamReadOptions } from '../http/exchange.js';
import { InStreamFailure } from '../http/network-failure.js';
import { readFramedItems, type Emit, type Framing } from '../http/sse-items.js';
import { classifyBedrockStreamException } from './bedrock-error.js';
import { EventStreamCorrupt, EventStreamSplitter, headerText } from './event-stream-reader.js';

const chunkPayload = z.looseObject({ bytes: z.string() });

export function bedrockStreamItems(body: Readable, options: StreamReadOptions, decoder = new AnthropicStreamDecoder()): AsyncGenerator<StreamItem, void, undefined> {
  return readFramedItems(body, options, decoder, anthropicEventsIn);
}

/**
 * The framing of a Bedrock response stream: the Anthropic event inside each `chunk` message; an exception
 * message, or framing that cannot be followed, ends the stream as a failure.
 */
function anthropicEventsIn(emit: Emit): Framing {
  const splitter = new EventStreamSplitter();
  const framingBroke = (err: unknown): unknown => (err instanceof EventStreamCorrupt ? new InStreamFailure({ outcome: 'stream_cut', message: err.message }) : err);
  return {
    feed(chunk) {
      let messages: Message[];
      try {
        messages = splitter.push(chunk);
      } catch (err) {
        throw framingBroke(err);
      }
      for (const message of messages) {
        const messageType = headerText(message, ':message-type');
        if (messageType === 'exception' || messageType === 'error') {
          const type = headerText(message, ':exception-type') ?? headerText(message, ':error-code');
          throw new InStreamFailure(classifyBedrockStreamException(type, toUtf8(message.body)));
        }
        if (headerText(message, ':event-type') !== 'chunk') continue;
        const chunkBody = chunkPayload.safeParse(parseJsonOrUndefined(toUtf8(message.body)));
        // A chunk that is not `{bytes}` is handed on as unreadable data: the decoder drops and counts it.
        emit(chunkBody.success ? Buffer.from(chunkBody.data.bytes, 'base64').toString('utf8') : '', undefined);
      }
    },
    end() {
      if (splitter.pendingBytes > 0) throw framingBroke(new EventStreamCorrupt(`the stream ended inside a message (${splitter.pendingBytes} bytes)`));
    },
  };
}
