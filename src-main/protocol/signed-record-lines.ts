/**
 * Signed records travel as JSON lines (the `members` exchange, protocol/member-records.ts, and the
 * group records, protocol/group-records.ts): one record a line, bounded in bytes, checked against its
 * schema, refused with a reason and never a throw; and the fields both kinds of record share. Pure.
 */
import { z } from 'zod';
import { utf8Length } from '../core/hex.js';

/** A node ID: 64 lowercase hex characters (made on use, as the records' schemas are). */
export const fingerprintField = () =>
  z.string().regex(/^[0-9a-f]{64}$/, 'must be 64 lowercase hex characters');

/**
 * Base64 in its one canonical spelling, padded: a last group of two characters ends in one whose low
 * four bits are zero (A, Q, g, w), of three in one whose low two bits are (every fourth letter). No
 * Buffer, so that a browser node checks records with this same rule.
 */
export const CANONICAL_BASE64 =
  /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/][AQgw]==|[A-Za-z0-9+/]{2}[AEIMQUYcgkosw048]=)?$/;

/**
 * Base64 in its one canonical spelling: otherwise the unused bits of a last character give one
 * signature or certificate several spellings, and a signed record several texts.
 */
export const canonicalBase64 = (max: number) =>
  z
    .string()
    .max(max)
    .regex(/^[A-Za-z0-9+/]+={0,2}$/, 'must be base64')
    .regex(CANONICAL_BASE64, 'must be canonical base64');

/** When a record was decided (ISO 8601), for people: order comes from its `seq` alone. */
export const decidedAtField = () =>
  z
    .string()
    .max(40)
    .refine((t) => !Number.isNaN(Date.parse(t)), 'must be a date and time');

/** One line as sent: the record's JSON and a newline. */
export function encodeRecordLine(record: object): Uint8Array {
  return new TextEncoder().encode(`${JSON.stringify(record)}\n`);
}

/** One received line (without its newline) as a record of `schema`, or why it is none. Never throws. */
export function decodeRecordLine<T>(
  line: string,
  maxBytes: number,
  schema: z.ZodType<T>,
): { record: T } | { problem: string } {
  if (utf8Length(line) > maxBytes) return { problem: `a record longer than ${maxBytes} bytes` };
  let json: unknown;
  try {
    json = JSON.parse(line);
  } catch {
    return { problem: 'a line that is not JSON' };
  }
  return checkRecord(json, schema);
}

/** `json` (as JSON.parse gave it) as a record of `schema`, or why it is none. Never throws. */
export function checkRecord<T>(json: unknown, schema: z.ZodType<T>): { record: T } | { problem: string } {
  const parsed = schema.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { problem: `a malformed record (${issue?.path.join('.') || 'record'}: ${issue?.message ?? '?'})` };
  }
  return { record: parsed.data };
}
