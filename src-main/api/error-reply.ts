/**
 * The client side of the error body every transport answers with (validate.ts `ApiErrorBody`): a reply
 * read off the control socket becomes a ClawError with the agent's code, its line, the refusal code
 * when another node refused, and the hint when it is a valid one.
 */
import { ClawError, type ErrorCode } from '../core/errors.js';
import { isRefusalCode } from '../core/refusal-codes.js';

/** What an error reply may hold; each field is checked before use. */
export interface ErrorReply {
  code?: ErrorCode;
  message?: string;
  refusal?: unknown;
  hint?: unknown;
}

/**
 * The ClawError for an error reply. The hint's schema (zod) is loaded here, on the error path only: a
 * CLI command that succeeds never pays for loading zod (docs/design/loading-on-demand.md).
 */
export async function errorFromReply(error: ErrorReply | undefined): Promise<ClawError> {
  const { parseHint } = await import('./reply-hint.js');
  const refusal = isRefusalCode(error?.refusal) ? error.refusal : undefined;
  const hint = parseHint(error?.hint);
  return new ClawError(error?.code ?? 'INTERNAL', error?.message ?? 'unknown error', {
    ...(refusal ? { refusal } : {}),
    ...(hint ? { hint } : {}),
  });
}
