/**
 * The shared API contract suite (test/helpers/contract-suite.ts) over the agent's control socket: NDJSON
 * requests and replies, and pushed events after a `"subscribe"` line (api/control-server.ts). Needs the
 * built CLI (`npx tsc -p tsconfig.build.json`).
 */
import { contractSuite } from '../helpers/contract-suite.js';
import { controlConnection } from '../helpers/control-connection.js';

contractSuite('the control socket', ({ home }) => controlConnection(home));
