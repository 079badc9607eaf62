/** This agent's version: in its hello to peers and in `clawbridge --version`. */
export const AGENT_VERSION = '0.1.0';
