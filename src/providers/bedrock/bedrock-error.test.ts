import { describe, expect, it } from 'vitest';
import { classifyBedrockError, classifyBedrockStreamException } from './bedrock-error.js';

const NOW = Date.UTC(2026, 0, 1);
const coral = (type: string) => ({ 'x-amzn-errortype': `${type}:http://internal.amazon.com/coral/com.amazon.bedrock/` });

describe('classifyBedrockError', () => {
  it.each([
    [429, 'ThrottlingException', 'Too many requests, please wait before trying again.', 'rate_limited'],
    [503, 'ServiceUnavailableException', 'Bedrock is unable to process your request.', 'overloaded'],
    [429, 'ModelNotReadyException', 'Model is not ready for inference.', 'overloaded'],
    [408, 'ModelTimeoutException', 'Model has timed out in processing the request.', 'timeout'],
    [500, 'InternalServerException', 'The system encountered an unexpected error during processing.', 'server_error'],
    [400, 'ValidationException', 'Input is too long for requested model.', 'context_length'],
    [400, 'ValidationException', 'messages: field required', 'bad_request'],
    [403, 'AccessDeniedException', "You don't have access to the model with the specified model ID.", 'auth'],
    [403, 'UnrecognizedClientException', 'The security token included in the request is invalid.', 'auth'],
    [404, 'ResourceNotFoundException', 'Could not resolve the foundation model.', 'bad_request'],
  ])('%i %s → %s', (status, type, message, outcome) => {
    const failure = classifyBedrockError(status, JSON.stringify({ message }), coral(type), NOW);
    expect(failure).toMatchObject({ outcome, status, providerCode: type, message });
  });

  it('reads the type from the body when the header is missing, and falls back on the status', () => {
    expect(classifyBedrockError(429, '{"__type":"com.amazon.coral.availability#ThrottlingException","message":"slow down"}', {}, NOW).outcome).toBe('rate_limited');
    expect(classifyBedrockError(502, '<html>bad gateway</html>', {}, NOW)).toMatchObject({ outcome: 'server_error', message: 'provider answered HTTP 502: <html>bad gateway</html>' });
  });

  it('keeps the Retry-After advice', () => {
    expect(classifyBedrockError(429, '{"message":"x"}', { ...coral('ThrottlingException'), 'retry-after': '2' }, NOW).retryAfterMs).toBe(2000);
  });
});

describe('classifyBedrockStreamException', () => {
  it('maps camelCase exception types', () => {
    expect(classifyBedrockStreamException('throttlingException', '{"message":"Too many tokens"}')).toMatchObject({ outcome: 'rate_limited', providerCode: 'ThrottlingException' });
    expect(classifyBedrockStreamException('modelStreamErrorException', '{"message":"boom"}')).toMatchObject({ outcome: 'server_error', message: 'boom' });
    expect(classifyBedrockStreamException(undefined, 'garbage').outcome).toBe('server_error');
  });
});
