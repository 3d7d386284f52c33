/**
 * The signer against vectors of AWS's published SigV4 test suite (aws-sig-v4-test-suite: credentials
 * AKIDEXAMPLE, region us-east-1, service "service", 2015-08-30T12:36:00Z), then a Bedrock-shaped request
 * whose model id needs escaping in the path.
 */
import { describe, expect, it } from 'vitest';
import { signAwsRequest } from './sign-aws-request.js';

const SUITE = {
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' },
  region: 'us-east-1',
  service: 'service',
  signingDate: new Date('2015-08-30T12:36:00Z'),
};
const SESSION_TOKEN = 'AQoDYXdzEPT//////////wEXAMPLEtc764bNrC9SAPBSM22wDOk4x4HIZ8j4FZTwdQWLWsKWHGBuFqwAeMicRXmxfpSPfIeoIYRqTflfKD8YUuwthAx7mSEI/qkPpKPi/kMcGdQrmGdeehM4IC1NtBmUpp2wUE8phUZampKsburEDy0KPkyQDYwT7WZ0wq5VSXDvp75YU9HFvlRd8Tx6q6fE8YQcHNVXAkiY9q6d+xo0rKwT38xVqr7ZD0u0iPPkUL64lIZbqBAz+scqKmlzm8FDrypNC9Yjc8fPOLn9FX9KSYvKTr4rvx3iSIlTJabIQwj2ICCR/oLxBA==';
const SCOPE = 'Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request';

async function authorization(method: string, url: string, credentials = SUITE.credentials): Promise<string> {
  const headers = await signAwsRequest({ method, url: new URL(url), headers: {}, body: '' }, { ...SUITE, credentials });
  return headers['authorization']!;
}

describe('signAwsRequest against the AWS SigV4 test suite', () => {
  it.each([
    ['get-vanilla', 'GET', 'https://example.amazonaws.com/', '5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31'],
    ['post-vanilla', 'POST', 'https://example.amazonaws.com/', '5da7c1a2acd57cee7505fc6676e4e544621c30862966e37dddb68e92efbe5d6b'],
    ['post-vanilla-query', 'POST', 'https://example.amazonaws.com/?Param1=value1', '28038455d6de14eafc1f9222cf5aa6f1a96197d7deb8263271d420d138af7f11'],
    ['get-vanilla-query-order-key-case', 'GET', 'https://example.amazonaws.com/?Param2=value2&Param1=value1', 'b97d918cfa904a5beff61c982a1b6f458b799221646efd99d3219ec94cdf2500'],
    ['get-vanilla-query-order-key', 'GET', 'https://example.amazonaws.com/?Param1=value2&Param1=Value1', 'eedbc4e291e521cf13422ffca22be7d2eb8146eecf653089df300a15b2382bd1'],
  ])('%s', async (_name, method, url, signature) => {
    expect(await authorization(method, url)).toBe(`AWS4-HMAC-SHA256 ${SCOPE}, SignedHeaders=host;x-amz-date, Signature=${signature}`);
  });

  it('post-sts-token/post-sts-header-before: a session token is sent and signed', async () => {
    const headers = await signAwsRequest(
      { method: 'POST', url: new URL('https://example.amazonaws.com/'), headers: {}, body: '' },
      { ...SUITE, credentials: { ...SUITE.credentials, sessionToken: SESSION_TOKEN } },
    );
    expect(headers['x-amz-security-token']).toBe(SESSION_TOKEN);
    expect(headers['authorization']).toBe(
      `AWS4-HMAC-SHA256 ${SCOPE}, SignedHeaders=host;x-amz-date;x-amz-security-token, Signature=85d96828115b5dc0cfc3bd16ad9e210dd772bbebba041836c64533a82be05ead`,
    );
  });

  it('signs a Bedrock invoke with its date, host and content type, and a changed body changes the signature', async () => {
    const url = new URL(`http://127.0.0.1:8080/model/${encodeURIComponent('anthropic.claude-sonnet-4-5-20250929-v1:0')}/invoke`);
    const sign = (body: string) =>
      signAwsRequest({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body }, { ...SUITE, service: 'bedrock' });
    const a = await sign('{"max_tokens":1}');
    expect(a['x-amz-date']).toBe('20150830T123600Z');
    expect(a['host']).toBe('127.0.0.1:8080');
    expect(a['authorization']).toMatch(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/20150830\/us-east-1\/bedrock\/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=[0-9a-f]{64}$/);
    expect((await sign('{"max_tokens":2}'))['authorization']).not.toBe(a['authorization']);
  });
});
