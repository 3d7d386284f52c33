/**
 * AWS credentials for Bedrock deployments, from the usual AWS sources through AWS's own provider chain
 * (`fromNodeProviderChain`: environment, shared config and credentials files, web identity token,
 * container and instance roles). One chain per profile, kept for the life of the process: the chain
 * memoises what it resolved and refreshes temporary credentials shortly before they expire, so a request
 * never waits on STS or the metadata endpoint except at start and at rotation.
 */
import { fromNodeProviderChain } from '@aws-sdk/credential-providers';
import type { AwsCredentialIdentity } from '@smithy/types';
import type { Deployment } from '../../config/resolve-config.js';
import { SIMULATED_AWS_CREDENTIALS } from '../../config/simulated-credentials.js';
import { secrets } from '../../core/secrets.js';

type CredentialSource = () => Promise<AwsCredentialIdentity>;

const chains = new Map<string, CredentialSource>();

export type CredentialsResult = { ok: true; credentials: AwsCredentialIdentity } | { ok: false; reason: string };

/** The credentials to sign this deployment's next request with, or why there are none. */
export async function awsCredentialsFor(deployment: Deployment): Promise<CredentialsResult> {
  if (deployment.simulated === true) return { ok: true, credentials: SIMULATED_AWS_CREDENTIALS };
  const profile = deployment.awsProfile ?? '';
  let chain = chains.get(profile);
  if (chain === undefined) {
    chain = fromNodeProviderChain(profile === '' ? {} : { profile });
    chains.set(profile, chain);
  }
  try {
    const credentials = await chain();
    // Registered so no log line or relayed error can ever carry them.
    secrets.add(credentials.secretAccessKey);
    secrets.add(credentials.sessionToken);
    return { ok: true, credentials };
  } catch (err) {
    // The chain's errors name the sources it tried, never a secret; keep only the first line.
    const first = (err instanceof Error ? err.message : String(err)).split('\n')[0] ?? 'unknown error';
    return { ok: false, reason: `no AWS credentials could be loaded (${first})` };
  }
}

/** For tests: forget every chain (a changed environment is read again). */
export function resetAwsCredentialChains(): void {
  chains.clear();
}
