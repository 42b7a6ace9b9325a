/**
 * `yaml` loaded on first use. The package is 80 modules; commands that may never read YAML
 * (`geo info` of a file outside a repository, say) should not pay ~0.1 s of start-up for it.
 * Synchronous (a CommonJS require), so sync callers can use it too.
 */
import { createRequire } from 'node:module';

type YamlModule = typeof import('yaml');
let mod: YamlModule | undefined;

/** The `yaml` module, required on the first call. */
export function yamlModule(): YamlModule {
  if (!mod) mod = createRequire(import.meta.url)('yaml') as YamlModule;
  return mod;
}

/** `yaml.parse(text)`, with the package loaded on first use. */
export function parseYamlLazy(text: string): unknown {
  return yamlModule().parse(text);
}
