/**
 * The search's regular expressions: every user-supplied pattern runs on RE2 (re2js), whose
 * matching time is linear in the value's length, so no pattern can freeze the editor or the MCP
 * server (`(a+)+$` on a long value is as quick as `a+$`). RE2 has no backreferences and no
 * lookaround: those are refused by name, with the reason.
 *
 * Flags: `i` (case-insensitive), `m` (`^`/`$` at line ends), `s` (`.` matches a newline); `g`, `y`
 * and `u` change nothing for a yes/no test and are accepted. Any other flag is refused.
 */
import { RE2JS } from 're2js';
import { BadInputError } from '../redis/errors';

/** A compiled pattern: does it match somewhere in the text. */
export interface ValueRegex {
  test(text: string): boolean;
}

const FLAGS: Record<string, number> = { i: RE2JS.CASE_INSENSITIVE, m: RE2JS.MULTILINE, s: RE2JS.DOTALL, g: 0, y: 0, u: 0 };

/** Constructs of JavaScript patterns that RE2 does not have, found before compiling to name them. */
const UNSUPPORTED: [RegExp, string][] = [
  [/\(\?<[=!]/, 'lookbehind ((?<=…) or (?<!…))'],
  [/\(\?[=!]/, 'lookahead ((?=…) or (?!…))'],
  [/\\k<[^>]*>/, 'a named backreference (\\k<name>)'],
  [/\\[1-9]/, 'a backreference (\\1 … \\9)'],
];

/** Compiles a pattern and its flags; a {@link BadInputError} naming what is wrong otherwise. */
export function compileRegex(source: string, flags = ''): ValueRegex {
  let bits = 0;
  for (const f of flags) {
    const b = FLAGS[f];
    if (b === undefined) throw new BadInputError(`The regular expression /${source}/${flags} has the flag "${f}", which a search does not support (use i, m or s)`);
    bits |= b;
  }
  // Outside character classes and escapes only: `[(?=]` is three characters, `\\1` a backslash and a 1.
  const bare = source.replace(/\\\\/g, '').replace(/\[(?:\\.|[^\]\\])*\]/g, '');
  for (const [re, what] of UNSUPPORTED) {
    if (re.test(bare)) throw new BadInputError(`The regular expression /${source}/ uses ${what}, which a search does not support: its patterns run in linear time (RE2 syntax), without backreferences or lookaround`);
  }
  try {
    return RE2JS.compile(source, bits);
  } catch (e) {
    const why = String((e as Error).message).replace(/^error parsing regexp: /, '');
    throw new BadInputError(`The regular expression /${source}/ is not valid: ${why}`);
  }
}
