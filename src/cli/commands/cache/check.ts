import type { CommandModule } from '../../types.js';
import { configureFsck, runFsck } from '../fsck.js';

export const command: CommandModule = {
  path: ['cache', 'check'],
  describe: 'alias of `fsck`: verify the cache objects',
  configure: configureFsck,
  run: (ctx, _args, opts) => runFsck(ctx, opts),
};
