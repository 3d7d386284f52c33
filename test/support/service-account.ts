import { generateKeyPairSync } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * A throwaway Google service account for tests: a fresh RSA key pair, the key file Google issues (JSON,
 * `type: service_account`) written to `dir`, and what the simulator needs to verify its JWTs.
 */
export function testServiceAccount(dir: string, name = 'keel-test'): { keyFile: string; clientEmail: string; privateKeyPem: string; publicKeyPem: string } {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const privateKeyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }).toString();
  const publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
  const clientEmail = `${name}@keel-test-project.iam.gserviceaccount.com`;
  const keyFile = join(dir, `${name}.json`);
  writeFileSync(keyFile, JSON.stringify({
    type: 'service_account',
    project_id: 'keel-test-project',
    private_key_id: '0123456789abcdef0123456789abcdef01234567',
    private_key: privateKeyPem,
    client_email: clientEmail,
    client_id: '100000000000000000001',
    token_uri: 'https://oauth2.googleapis.com/token',
  }));
  return { keyFile, clientEmail, privateKeyPem, publicKeyPem };
}
