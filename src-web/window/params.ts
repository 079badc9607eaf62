/**
 * Reading a method's parameters in the browser transport. The window's own code sends them, typed by
 * the contract; these checks only turn a malformed call into the error an agent would answer with.
 */
import { ApiError } from '../../src-renderer/api/transport.js';

type Params = Record<string, unknown>;

function fields(params: unknown): Params {
  return typeof params === 'object' && params !== null ? (params as Params) : {};
}

function bad(method: string, name: string, what: string): ApiError {
  return new ApiError('BAD_ARGUMENT', `invalid parameters for ${method}: ${name}: ${what}`);
}

export function stringParam(method: string, params: unknown, name: string): string {
  const value = fields(params)[name];
  if (typeof value !== 'string' || value === '') throw bad(method, name, 'a string is needed');
  return value;
}

/** A whole number from `min` to `max`, or `fallback` when it is not given. */
export function intParam(
  method: string,
  params: unknown,
  name: string,
  min: number,
  max: number,
  fallback?: number,
): number {
  const value = fields(params)[name];
  if (value === undefined && fallback !== undefined) return fallback;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max)
    throw bad(method, name, `a whole number from ${min} to ${max} is needed`);
  return value;
}

export function optionalIntParam(method: string, params: unknown, name: string): number | undefined {
  const value = fields(params)[name];
  return value === undefined ? undefined : intParam(method, params, name, 0, Number.MAX_SAFE_INTEGER);
}

/** A failure of the browser node as the window's error (its code, its line, the device's refusal). */
export function asApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  const e = err as { code?: unknown; message?: unknown; refusal?: unknown };
  const message = typeof e?.message === 'string' ? e.message : String(err);
  return new ApiError(
    typeof e?.code === 'string' ? e.code : 'INTERNAL',
    message,
    typeof e?.refusal === 'string' ? e.refusal : undefined,
  );
}
