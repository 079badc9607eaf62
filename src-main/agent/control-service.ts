/**
 * The `control` service: right after a link comes up each side opens one control stream whose OPEN
 * arguments are its hello — name, direct addresses, home relay — so a peer learns where to dial us
 * directly without any configuration (architecture.md §Links and paths, architecture.md §Services).
 */
import { z } from 'zod';
import { ClawError } from '../core/errors.js';
import { describeZodError } from '../api/validate.js';
import { nodeNameSchema } from '../api/contract.js';

export const CONTROL_SERVICE = 'control';

const helloSchema = z.object({
  v: z.literal(1),
  name: nodeNameSchema,
  version: z.string().max(32),
  /** Direct addresses to dial this node at, best first (empty with --no-direct). */
  addresses: z.array(z.string().max(300)).max(32),
  homeRelay: z.string().max(300).nullable(),
});

export type Hello = z.infer<typeof helloSchema>;

export function parseHello(args: unknown): Hello {
  const parsed = helloSchema.safeParse(args);
  if (!parsed.success) {
    throw new ClawError('PROTOCOL', `peer sent a malformed hello: ${describeZodError(parsed.error)}`);
  }
  return parsed.data;
}
