/**
 * Diagnostics plumbing shared by the template scanner and the parser: where problems go (a
 * {@link Sink}), how one is added, and "did you mean" suggestions for misspelt names.
 */
import type { ProducerDiagnostic, Severity, Span } from './model';

/** Where the parser and the template scanner report problems. */
export interface Sink {
  diag(d: ProducerDiagnostic): void;
}

export function addDiag(sink: Sink, severity: Severity, code: string, span: Span, message: string): void {
  sink.diag({ severity, code, message, ...span });
}

function editDistance(a: string, b: string): number {
  const d = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let prev = d[0]!;
    d[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = d[j]!;
      d[j] = Math.min(d[j]! + 1, d[j - 1]! + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return d[b.length]!;
}

/** ` Did you mean "x"?` when a name is close to one of `names`, else empty. */
export function suggest(word: string, names: readonly string[]): string {
  const w = word.toLowerCase();
  const best = names.map((n) => ({ n, d: editDistance(w, n.toLowerCase()) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= Math.max(1, Math.floor(w.length / 3)) ? ` Did you mean "${best.n}"?` : '';
}
