import type { FinishReason } from '../../core/chat-response.js';

/**
 * Anthropic stop reasons → canonical. `pause_turn` (a server tool paused a long turn) is a normal stop
 * for a client that cannot resume it; `refusal` is the model declining on policy grounds; running out of
 * context window mid-answer is a length stop like `max_tokens`.
 */
export function mapAnthropicStopReason(reason: string | null | undefined): FinishReason {
  switch (reason) {
    case 'max_tokens':
    case 'model_context_window_exceeded':
      return 'length';
    case 'tool_use':
      return 'tool_calls';
    case 'refusal':
      return 'content_filter';
    default:
      // end_turn, stop_sequence, pause_turn and reasons added later: the answer ended normally.
      return 'stop';
  }
}
