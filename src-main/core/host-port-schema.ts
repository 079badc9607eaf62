/**
 * The schema of a direct address another node names (core/host-port.ts dialAddressProblem), for the
 * messages that carry one: the hello, the LAN pairing stream. Apart from host-port.ts so the CLI,
 * which parses HOST:PORT at start-up, does not load zod for it. Functions that make the schemas, for the
 * schemas of those messages to make them when they are made (ADR 0073), not when this module loads.
 */
import { z } from 'zod';
import { dialAddressProblem } from './host-port.js';

/**
 * A direct address to dial: checked as it came (the message naming it is malformed otherwise). The
 * message says what is wrong but does not quote the address: it is not text to show.
 */
export const dialAddressSchema = () =>
  z.string().superRefine((text, ctx) => {
    const problem = dialAddressProblem(text);
    if (problem !== undefined) ctx.addIssue({ code: 'custom', message: `an address ${problem}` });
  });

/** The addresses a node announces, at most 32 (state/address-book.ts MAX_PEER_ADDRESSES). */
export const dialAddressListSchema = () => z.array(dialAddressSchema()).max(32);
