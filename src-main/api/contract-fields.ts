/**
 * Field schemas more than one part of the API contract uses (a peer named by name or fingerprint, a
 * node name a person typed). Functions, so each schema is made with the method schema that uses it
 * (core/made-on-use.ts, ADR 0073), with the zod the maker is given (contract-piece.ts ParamsContext).
 */
import { normalizeNodeName, typedNameProblem } from '../core/names.js';
import type { Zod } from './contract-piece.js';

/** A peer, by its name here or (the start of) its fingerprint. */
export const peerRef = (z: Zod) => z.string().min(1).max(200);

/** A name a person gives here (a rename, the window's name field): see typedNameProblem; used in normal form. */
export const typedNodeName = (z: Zod) =>
  z
    .string()
    .superRefine((name, ctx) => {
      const problem = typedNameProblem(name);
      if (problem) ctx.addIssue({ code: 'custom', message: `a node name ${problem}` });
    })
    .transform(normalizeNodeName);

/** A relay's address: ws:// or wss://. */
export const relayUrl = (z: Zod) =>
  z
    .string()
    .max(2000)
    .regex(/^wss?:\/\/[^\s/]+/, 'a relay URL starts with ws:// or wss:// and a host');
