// A node:test reporter that collects the durations of the top-level tests and, at the end, writes
// them as JSON ({ files: { file: ms }, tests: [{ file, name, ms }] }) to its destination.
// scripts/run-tests.mjs prints the slowest files and tests. A test defined in a shared helper
// module (test/integration/storage-roundtrip.ts) is counted under that module.
export default async function* durations(source) {
  const files = {};
  const tests = [];
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const d = event.data;
    if (d.nesting !== 0 || !d.file) continue;
    const ms = d.details?.duration_ms ?? 0;
    files[d.file] = (files[d.file] ?? 0) + ms;
    tests.push({ file: d.file, name: d.name, ms });
  }
  yield JSON.stringify({ files, tests });
}
