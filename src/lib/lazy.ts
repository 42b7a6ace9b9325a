/**
 * `lazyFn(() => import('./m.js').then((m) => m.f))`: a function with f's signature that loads its
 * module on the first call. Doors (core/api) use it so that importing a door does not load every
 * operation behind it (start-up of each command pays only for what it runs). Always async.
 */
// biome-ignore lint/suspicious/noExplicitAny: any function shape; the result keeps its exact type
export function lazyFn<F extends (...args: any[]) => unknown>(load: () => Promise<F>): (...args: Parameters<F>) => Promise<Awaited<ReturnType<F>>> {
  let fn: F | undefined;
  return async (...args: Parameters<F>): Promise<Awaited<ReturnType<F>>> => {
    fn ??= await load();
    return (await fn(...args)) as Awaited<ReturnType<F>>;
  };
}
