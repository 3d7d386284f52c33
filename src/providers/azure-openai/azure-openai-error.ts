/**
 * Azure OpenAI errors: OpenAI's shape, with Azure's own marks. A prompt refused by content management
 * carries `code: content_filter` and `innererror.code: ResponsibleAIPolicyViolation` (with the filter
 * results); gateway errors carry the status as a string code (`"429"`, `"401"`). Both classify as the
 * OpenAI classifier would, with the content-filter refusal recognised whichever mark is present.
 */
import { z } from 'zod';
import type { UpstreamFailure } from '../types.js';
import { classifyOpenAIError } from '../openai/openai-error.js';

const azureInnerError = z.looseObject({ error: z.looseObject({ innererror: z.looseObject({ code: z.string().nullish() }).nullish() }) });

const POLICY_VIOLATION = 'ResponsibleAIPolicyViolation';

export function classifyAzureOpenAIError(
  status: number,
  bodyText: string,
  headers: Record<string, string | string[] | undefined>,
  nowMs: number,
): UpstreamFailure {
  const failure = classifyOpenAIError(status, bodyText, headers, nowMs);
  let inner: string | undefined;
  try {
    const parsed = azureInnerError.safeParse(JSON.parse(bodyText));
    inner = parsed.success ? parsed.data.error.innererror?.code ?? undefined : undefined;
  } catch {
    // not JSON: the OpenAI classifier already kept the text
  }
  if (inner === POLICY_VIOLATION) return { ...failure, outcome: 'content_filter', providerCode: failure.providerCode ?? 'content_filter', providerType: POLICY_VIOLATION };
  return failure;
}
