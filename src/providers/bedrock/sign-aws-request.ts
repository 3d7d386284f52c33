/**
 * Signs one HTTP request with AWS Signature Version 4, through AWS's own signer (`@smithy/signature-v4`
 * with Node's SHA-256): the canonical request, the credential scope and the signing-key derivation are
 * the maintained library's, never Keel's. The caller passes the exact path and query it will send (the
 * Bedrock model id is percent-encoded in the path, and SigV4 escapes it once more) and gets back the
 * headers to send with it.
 */
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';
import type { AwsCredentialIdentity } from '@smithy/types';

export interface AwsRequestToSign {
  method: string;
  /** The full URL the request goes to; its host, path and query are signed as they are. */
  url: URL;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface AwsSigningScope {
  credentials: AwsCredentialIdentity;
  region: string;
  /** The signing name: `bedrock` for Bedrock Runtime. */
  service: string;
  /** Injected in tests (the published vectors are signed at 2015-08-30T12:36:00Z). */
  signingDate?: Date;
}

/** The request's headers plus `authorization`, `x-amz-date`, `host` and, with a session, `x-amz-security-token`. */
export async function signAwsRequest(request: AwsRequestToSign, scope: AwsSigningScope): Promise<Record<string, string>> {
  const signer = new SignatureV4({
    credentials: scope.credentials,
    region: scope.region,
    service: scope.service,
    sha256: Hash.bind(null, 'sha256'),
    // Bedrock does not ask for x-amz-content-sha256 (S3 does); leaving it out keeps the signed set minimal.
    applyChecksum: false,
  });
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of request.url.searchParams) {
    const existing = query[key];
    query[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  const signed = await signer.sign(
    {
      method: request.method,
      protocol: request.url.protocol,
      hostname: request.url.hostname,
      ...(request.url.port === '' ? {} : { port: Number(request.url.port) }),
      path: request.url.pathname,
      query,
      headers: { ...request.headers, host: request.url.host },
      body: request.body,
    },
    scope.signingDate === undefined ? {} : { signingDate: scope.signingDate },
  );
  return signed.headers;
}
