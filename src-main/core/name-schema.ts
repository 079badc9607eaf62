/**
 * The zod schema of a node name (core/names.ts's rule), shared by the settings file, the hello and the API
 * contract.
 */
import { z } from 'zod';
import { madeOnUse } from './made-on-use.js';
import { isValidNodeName, NODE_NAME_RULE } from './names.js';

/** A node name, from a person or another node: see core/names.ts. Made on use (ADR 0073). */
export const nodeNameSchema = madeOnUse(() =>
  z.string().refine(isValidNodeName, { message: `a node name must be ${NODE_NAME_RULE}` }),
);
