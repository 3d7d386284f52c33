/**
 * The fixed cloud credentials of the embedded simulator. A `simulated: true` deployment of a cloud
 * provider signs (Bedrock) or authorises (Vertex) with these, and the embedded simulator verifies them,
 * so the demo and drills exercise the real signing path with no cloud account. They open nothing real.
 */
export const SIMULATED_AWS_CREDENTIALS = {
  accessKeyId: 'AKIDKEELSIMULATOR000',
  secretAccessKey: 'keel-simulator-aws-secret-key-not-a-real-one',
} as const;

/** The bearer token a simulated Vertex deployment presents. */
export const SIMULATED_GOOGLE_TOKEN = 'ya29.keel-simulator-token';
