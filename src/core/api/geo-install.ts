/**
 * `install`: git hooks like DVC's (post-checkout -> checkout, pre-push -> push) plus a pre-commit
 * hook that runs `geo validate` and `geo check` on the staged data: the outputs of staged `.dvc`
 * files and staged geodata files. A hook that exists and was not written by geodvc is not
 * overwritten (use --force).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AppError, UsageError } from '../../lib/errors.js';
import { writeFileAtomicSync } from '../../lib/atomic.js';
import { findRepoRoot } from '../repo/repo.js';
import { Git } from '../scm/git.js';

export const HOOK_MARKER = '# geodvc hook';

export interface InstallOptions { cwd: string; force?: boolean; /** Command line used by the hooks to run geodvc. */ geodvcCommand?: string }
export interface InstallResult { hooksDir: string; written: string[]; }

function defaultCommand(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  const bin = resolve(here, '..', '..', '..', 'bin', 'geodvc.js');
  return existsSync(bin) ? `"${process.execPath}" "${bin}"` : 'geodvc';
}

export function hookScripts(cmd: string): Record<string, string> {
  const head = `#!/bin/sh\n${HOOK_MARKER} (written by \`geodvc install\`; edit freely, remove the marker to keep your changes)\nGEODVC=\${GEODVC:-${cmd.replace(/"/g, '\\"')}}\n`;
  return {
    'post-checkout': `${head}# $3 = 1 for a branch checkout (not a file checkout)\nif [ "$3" = "1" ]; then\n  eval "$GEODVC" checkout --quiet || exit 0\nfi\n`,
    'pre-push': `${head}eval "$GEODVC" push\n`,
    'pre-commit': `${head}# Alignment gate and integrity check on staged data: outputs of staged .dvc files + staged geodata.
targets=""
for f in $(git diff --cached --name-only --diff-filter=ACMR); do
  case "$f" in
    *.dvc) out="\${f%.dvc}"; [ -e "$out" ] && targets="$targets $out" ;;
    *.tif|*.tiff|*.TIF|*.TIFF|*.vrt|*.geojson|*.json|*.shp|*.fgb|*.gpkg) [ -e "$f" ] && targets="$targets $f" ;;
  esac
done
[ -z "$targets" ] && exit 0
status=0
eval "$GEODVC" geo validate $targets || status=1
eval "$GEODVC" geo check -q $targets || status=1
if [ $status -ne 0 ]; then
  echo "geodvc: commit refused (geo validate / geo check failed). Fix the data, or bypass with git commit --no-verify." >&2
fi
exit $status
`,
  };
}

export function geoInstall(opts: InstallOptions): InstallResult {
  const root = findRepoRoot(opts.cwd);
  const git = Git.open(root ?? opts.cwd);
  if (!git) throw new UsageError('install needs a git repository', { hint: 'run `git init` first (hooks live in .git/hooks)' });
  let hooksDir = git.run(['rev-parse', '--git-path', 'hooks']).trim();
  if (!isAbsolute(hooksDir)) hooksDir = join(git.root, hooksDir);
  mkdirSync(hooksDir, { recursive: true });
  const scripts = hookScripts(opts.geodvcCommand ?? defaultCommand());
  for (const name of Object.keys(scripts)) {
    const p = join(hooksDir, name);
    if (existsSync(p) && !opts.force && !readFileSync(p, 'utf8').includes(HOOK_MARKER)) {
      throw new AppError('hook-exists', `git hook ${name} already exists and was not written by geodvc`, 1, { hint: `merge it by hand, or run \`geodvc install --force\` to replace it (${p})` });
    }
  }
  const written: string[] = [];
  for (const [name, text] of Object.entries(scripts)) {
    const p = join(hooksDir, name);
    writeFileAtomicSync(p, text);
    chmodSync(p, 0o755);
    written.push(name);
  }
  return { hooksDir, written };
}
