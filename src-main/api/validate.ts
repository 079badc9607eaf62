/**
 * Boundary validation shared by every transport of the API contract: a request is checked for shape,
 * a known method and that method's parameters before the agent sees it.
 */
import { z } from 'zod';
import { ClawError, errorMessage, hintOf, isClawError, refusalOf, type ErrorCode } from '../core/errors.js';
import type { Hint } from '../core/hint.js';
import { madeOnUse } from '../core/made-on-use.js';
import { parseHint } from '../core/hint-schema.js';
import type { RefusalCode } from '../core/refusal-codes.js';
import { describeZodError } from '../core/zod-error.js';
import type { MethodName, MethodParams } from './contract.js';
import type { Contract } from './contract-registry.js';

/** Made with the first request (core/made-on-use.ts, ADR 0073), not when this module loads. */
const envelope = madeOnUse(() =>
  z.object({
    id: z.number().int().nonnegative(),
    method: z.string().min(1).max(64),
    params: z.unknown().optional(),
  }),
);

/**
 * The id to answer a request with, even one that failed validation: its own when it is one a request
 * may have (a non-negative safe integer), else null. Never the raw value: a reply must not carry back
 * whatever a client sent (a 5,000-deep array in `id` overflowed JSON.stringify and ended the agent).
 */
export function requestIdOf(raw: unknown): number | null {
  if (!raw || typeof raw !== 'object' || !('id' in raw)) return null;
  const { id } = raw;
  return typeof id === 'number' && Number.isSafeInteger(id) && id >= 0 ? id : null;
}

export interface ValidRequest<M extends MethodName = MethodName> {
  id: number;
  method: M;
  params: MethodParams<M>;
}

/** What the transports check requests against: the agent's contract (contract-registry.ts). */
export type RequestContract = Pick<Contract, 'isMethod' | 'paramsSchema' | 'fastParams'>;

export function validateParams<M extends MethodName>(
  contract: RequestContract,
  method: M,
  params: unknown,
): MethodParams<M> {
  // Methods called by the thousand: checked by hand when certainly valid, by zod otherwise (ADR 0059).
  const fast = contract.fastParams(method, params);
  if (fast !== undefined) return fast;
  const parsed = contract.paramsSchema(method).safeParse(params ?? {});
  if (!parsed.success) {
    throw new ClawError(
      'BAD_ARGUMENT',
      `invalid parameters for ${method}: ${describeZodError(parsed.error)}`,
    );
  }
  return parsed.data;
}

/** @throws ClawError('BAD_ARGUMENT') naming what is wrong. */
export function validateRequest(raw: unknown, contract: RequestContract): ValidRequest {
  const parsed = envelope().safeParse(raw);
  if (!parsed.success)
    throw new ClawError('BAD_ARGUMENT', `malformed request: ${describeZodError(parsed.error)}`);
  const { id, method, params } = parsed.data;
  if (!contract.isMethod(method)) throw new ClawError('BAD_ARGUMENT', `unknown method '${method}'`);
  return { id, method, params: validateParams(contract, method, params) };
}

/**
 * How every transport answers a failed request: the stable code, the one line for people, when the
 * failure was another node's refusal its refusal code (so a client shows its own words for it), and
 * when the line tells the reader to run a command, that command as a hint (core/hint.ts).
 */
export interface ApiErrorBody {
  code: ErrorCode;
  message: string;
  refusal?: RefusalCode;
  hint?: Hint;
}

export function apiErrorBody(err: unknown): ApiErrorBody {
  if (err instanceof SyntaxError) {
    return { code: 'BAD_ARGUMENT', message: `request is not valid JSON: ${err.message}` };
  }
  const refusal = refusalOf(err);
  // Checked on the way out as on the way in: a hint out of bounds is dropped, never sent.
  const hint = parseHint(hintOf(err));
  return {
    code: isClawError(err) ? err.code : 'INTERNAL',
    message: errorMessage(err),
    ...(refusal ? { refusal } : {}),
    ...(hint ? { hint } : {}),
  };
}
