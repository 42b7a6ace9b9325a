/** `geodvc serve`: the self-hosted remote (HTTP object store with read/write/admin tokens). */
export { startServer, SERVE_DEFAULTS } from './server.js';
export type { ServeOptions, RunningServer, ServeStats } from './server.js';
export { TokenStore, ROLES } from './tokens.js';
export type { Role } from './tokens.js';
