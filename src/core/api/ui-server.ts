/** `geodvc ui`: the local web map of the repository's versions. */
export { startUiServer, defaultAssetsDir } from '../ui/server.js';
export type { UiServerOptions, UiServer } from '../ui/server.js';
