/**
 * Verifies the AWS Signature Version 4 on a request to the simulated Bedrock, as AWS would: the
 * `Authorization` header must name the known access key and a `bedrock` credential scope, and the
 * signature must be the one AWS's own signer (`@smithy/signature-v4`) computes over the request as
 * received (method, raw path, query, the signed headers, the body). The official AWS and Anthropic
 * Bedrock clients sign what they send; a wrong secret, a changed body or an unsigned request is refused
 * with the error type and message Bedrock uses. Nothing here is shared with Keel's own signer.
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Hash } from '@smithy/hash-node';
import { SignatureV4 } from '@smithy/signature-v4';

export interface AwsKeyPair {
  accessKeyId: string;
  secretAccessKey: string;
}

export type SigV4Verdict = { ok: true; region: string } | { ok: false; status: number; type: string; message: string };

const AUTHORIZATION = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/(\d{8})\/([^/]+)\/([^/]+)\/aws4_request, ?SignedHeaders=([a-z0-9;-]+), ?Signature=([0-9a-f]{64})$/;
const AMZ_DATE = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/;

const MISMATCH = 'The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.';

function denied(type: string, message: string): SigV4Verdict {
  return { ok: false, status: 403, type, message };
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value.join(',') : value;
}

export async function verifySigV4(req: IncomingMessage, body: Buffer, keys: AwsKeyPair): Promise<SigV4Verdict> {
  const authorization = header(req, 'authorization');
  if (authorization === undefined) return denied('MissingAuthenticationTokenException', 'Missing Authentication Token');
  const parts = AUTHORIZATION.exec(authorization);
  if (parts === null) return denied('IncompleteSignatureException', `Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters.`);
  const [, accessKeyId, shortDate, region, service, signedList, signature] = parts as unknown as string[];
  if (accessKeyId !== keys.accessKeyId) return denied('UnrecognizedClientException', 'The security token included in the request is invalid.');
  if (service !== 'bedrock') return denied('InvalidSignatureException', `Credential should be scoped to correct service: 'bedrock'.`);
  const date = AMZ_DATE.exec(header(req, 'x-amz-date') ?? '');
  if (date === null || !header(req, 'x-amz-date')!.startsWith(shortDate!)) return denied('IncompleteSignatureException', 'Date must be in ISO-8601 \'basic format\'.');
  const signingDate = new Date(Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]), Number(date[4]), Number(date[5]), Number(date[6])));
  const signedHeaders = signedList!.split(';');
  if (!signedHeaders.includes('host')) return denied('InvalidSignatureException', MISMATCH);
  const declaredHash = header(req, 'x-amz-content-sha256');
  if (declaredHash !== undefined && declaredHash !== 'UNSIGNED-PAYLOAD' && declaredHash !== createHash('sha256').update(body).digest('hex')) {
    return denied('InvalidSignatureException', MISMATCH);
  }

  const headers: Record<string, string> = {};
  for (const name of signedHeaders) {
    const value = header(req, name);
    if (value !== undefined) headers[name] = value;
  }
  const rawUrl = req.url ?? '/';
  const queryAt = rawUrl.indexOf('?');
  const query: Record<string, string | string[]> = {};
  for (const [key, value] of new URLSearchParams(queryAt < 0 ? '' : rawUrl.slice(queryAt + 1))) {
    const existing = query[key];
    query[key] = existing === undefined ? value : [...(Array.isArray(existing) ? existing : [existing]), value];
  }
  const sessionToken = header(req, 'x-amz-security-token');
  const signer = new SignatureV4({
    credentials: { ...keys, ...(sessionToken === undefined ? {} : { sessionToken }) },
    region: region!,
    service: 'bedrock',
    sha256: Hash.bind(null, 'sha256'),
    applyChecksum: false,
  });
  const expected = await signer.sign(
    { method: req.method ?? 'POST', protocol: 'http:', hostname: 'unused', path: queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt), query, headers, body },
    { signingDate, signableHeaders: new Set(signedHeaders) },
  );
  const got = /Signature=([0-9a-f]{64})$/.exec(String(expected.headers['authorization'] ?? ''))?.[1];
  return got === signature ? { ok: true, region: region! } : denied('InvalidSignatureException', MISMATCH);
}
