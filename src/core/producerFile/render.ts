/**
 * Rendering: a parsed message's fields → strings, `n` at a time, with `{{seq}}` running on and a
 * seedable random source; and a one-value preview for hovers.
 */
import { randomInt } from 'node:crypto';
import { BadInputError, printable } from '../redis/errors';
import { isPublishable, MAX_COUNT, type MessageSpec, type ProducerDiagnostic, type RenderState, type ValuePart } from './model';
import { seededRandom } from './random';
import { scanTemplates } from './templates';

export interface RenderOptions {
  /** Seeds the random source (overrides the message's `seed:`). Default: the message's seed, else random. */
  seed?: number;
  /** The first message's `{{seq}}`. Default 1. */
  seqStart?: number;
  /** The clock: a fixed epoch ms or a function. Default Date.now. */
  now?: number | (() => number);
  /** For `{{env:VAR}}`. Default process.env. */
  env?: Record<string, string | undefined>;
}

function stateFor(o: RenderOptions, seed: number | undefined, message: string): RenderState {
  return {
    rng: seededRandom(seed ?? randomInt(0, 2 ** 32 - 1)),
    seq: o.seqStart ?? 1,
    index: 0,
    now: 0,
    env: o.env ?? process.env,
    message,
  };
}

function renderParts(parts: readonly ValuePart[], state: RenderState): string {
  let out = '';
  for (const p of parts) {
    if (typeof p === 'string') out += p;
    else {
      const v = p.render(state);
      out += p.inJsonString ? JSON.stringify(v).slice(1, -1) : v;
    }
  }
  return out;
}

/**
 * Renders `n` messages of a section (fields → strings), with `{{seq}}` running from `seqStart`.
 * Throws BadInputError when the message has errors or a JSON value renders to invalid JSON;
 * nothing should be sent then.
 */
export function renderMessages(m: MessageSpec, n: number, o: RenderOptions = {}): [string, string][][] {
  if (!isPublishable(m)) {
    const first = m.diagnostics.find((d) => d.severity === 'error')!;
    throw new BadInputError(`Message "${printable(m.name)}" has errors (line ${first.line + 1}: ${first.message})`);
  }
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_COUNT) throw new BadInputError(`The number of messages must be from 1 to ${MAX_COUNT} (got ${printable(String(n))})`);
  const state = stateFor(o, o.seed ?? m.seed, m.name);
  const seq0 = state.seq;
  const clock = typeof o.now === 'function' ? o.now : o.now === undefined ? Date.now : () => o.now as number;
  const out: [string, string][][] = [];
  for (let i = 0; i < n; i++) {
    state.seq = seq0 + i;
    state.index = i;
    state.now = clock();
    // Pairs in the file's order; a name written twice is sent twice (Redis keeps both).
    const fields: [string, string][] = [];
    for (const f of m.fields) {
      const v = renderParts(f.parts, state);
      if (f.json) {
        try {
          JSON.parse(v);
        } catch (e) {
          throw new BadInputError(`Field "${printable(f.name)}" of "${printable(m.name)}" rendered invalid JSON (${e instanceof Error ? e.message : String(e)}): ${printable(v, 120)}`);
        }
      }
      fields.push([f.name, v]);
    }
    out.push(fields);
  }
  return out;
}

/**
 * Renders the templates of one value (as written after `=`), e.g. for a preview. Unknown or bad
 * templates render as written. Never throws except for an unset `{{env:VAR}}` without default.
 */
export function renderTemplate(value: string, o: RenderOptions = {}): string {
  const problems: ProducerDiagnostic[] = [];
  const parts = scanTemplates({ text: String(value), lines: [{ line: 0, col: 0 }] }, {}, { diag: (d) => problems.push(d) });
  const state = stateFor(o, o.seed, '');
  state.now = typeof o.now === 'function' ? o.now() : o.now ?? Date.now();
  const bad = new Set(problems.map((p) => `${p.start}:${p.end}`));
  return parts
    .map((p) => {
      if (typeof p === 'string') return p;
      const written = String(value).slice(p.span.start, p.span.end);
      if (bad.has(`${p.span.start}:${p.span.end}`)) return written;
      try {
        return p.render(state);
      } catch {
        return written;
      }
    })
    .join('');
}
