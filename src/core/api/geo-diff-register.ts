/**
 * Registers the `annotations` dep kinds with the pipeline (light at import time: the geo code is
 * loaded only when a stage actually has such a dep). `annotations` uses the default tolerance
 * (0.1 m); `annotations@0.5m`, `annotations@50cm`, `annotations@1e-6deg` set it.
 */
import { registerDepFingerprinter, registerDepFingerprinterFamily } from '../pipeline/fingerprint.js';

export const ANNOTATION_DEP_KIND = 'annotations';

let done = false;
export function registerAnnotationDeps(): void {
  if (done) return;
  done = true;
  const make = (tol?: string) => async (absPath: string) => (await import('./geo-diff-dep.js')).annotationDepFingerprint(absPath, tol);
  registerDepFingerprinter(ANNOTATION_DEP_KIND, make());
  registerDepFingerprinterFamily(ANNOTATION_DEP_KIND, (param) => make(param));
}

registerAnnotationDeps();
