// A node:test reporter that adds up the top-level test durations per test file and, at the end,
// writes them as JSON ({ file: ms }) to its destination. scripts/run-tests.mjs prints the slowest.
export default async function* durations(source) {
  const perFile = {};
  for await (const event of source) {
    if (event.type !== 'test:pass' && event.type !== 'test:fail') continue;
    const d = event.data;
    if (d.nesting !== 0 || !d.file) continue;
    perFile[d.file] = (perFile[d.file] ?? 0) + (d.details?.duration_ms ?? 0);
  }
  yield JSON.stringify(perFile);
}
