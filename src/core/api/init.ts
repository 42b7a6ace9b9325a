/** `geodvc init`: creates `.dvc/` (and checks the git repository around it). */
export { initRepo } from '../repo/init.js';
export type { InitOptions, InitResult } from '../repo/init.js';
