/**
 * The hint schema's check for a reply read by a client (error-reply.ts), loaded only when an error
 * reply arrives: a module of its own, imported only that way, so a bundle that holds the schema
 * anyway (the desktop app's) keeps it where it is.
 */
export { parseHint } from '../core/hint-schema.js';
