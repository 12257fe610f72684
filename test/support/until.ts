// The one polling wait of the tests (integration, faults, extension host, ui): tests wait on
// state with a deadline, never on fixed sleeps.

type Falsy = false | 0 | '' | null | undefined;

/** Polls `check` every 50 ms until it returns a truthy value, and resolves with it; after `timeoutMs`, throws "timed out waiting for <what>". */
export async function until<T>(what: string, check: () => T | Promise<T>, timeoutMs = 15_000): Promise<Exclude<T, Falsy>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v as Exclude<T, Falsy>;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
