/** `geodvc serve`: the self-hosted remote (HTTP object store with read/write/admin tokens). */
export { startServer, SERVE_DEFAULTS } from '../serve/server.js';
export type { ServeOptions, RunningServer, ServeStats } from '../serve/server.js';
export { TokenStore, ROLES } from '../serve/tokens.js';
export type { Role } from '../serve/tokens.js';
