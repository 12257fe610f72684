/**
 * Producer files (`*.redisq`): named test messages written by hand, with templated values.
 * A pure parser (never throws: every mistake is a {@link ProducerDiagnostic} with a position), a
 * template engine with a seedable random source (deterministic under a seed), and a formatter
 * whose output parses back to the same messages. No VS Code here.
 *
 * Where each part lives (this folder): `model.ts` (the parsed types, keys, limits), `parser.ts`
 * (text → model, diagnostics), `templates.ts` (`{{...}}` scanning, JSON checks, escaping),
 * `generators.ts` (the template generators and their fake data), `random.ts` (the seedable
 * source), `render.ts` (model → field strings), `format.ts` (model → text), `diagnostics.ts`
 * (shared diagnostic plumbing). Only what this index exports is public.
 *
 * Format (one message per `### name` section; lines before the first section set defaults):
 * ```
 * # a comment (whole lines only; also //)
 * connection: local            # (not a comment: values run to the end of the line)
 * ### order-created
 * stream: orders               # or  list: emails   (a list queue)
 * maxlen: ~10000               # or  =10000 (exact), 10000 (= ~10000); or  minid: ~1700000000000-0
 * count: 1                     # messages per click of "Publish" (default 1)
 * seed: 42                     # random templates repeat the same values on every publish
 * orderId = ord-{{seq}}
 * payload = {"sku": "{{pick:kb|mouse}}", "qty": {{int:1:5}}}
 * note = """
 *   several lines,
 *   indentation removed
 *   """
 * ```
 * Values: the text after `=` (trimmed). A value that is one JSON string literal (`"  padded "`) is
 * decoded. An unquoted value starting with `{` or `[` must be JSON (checked with the templates in
 * place; template output inside a JSON string is escaped). `\{{` is a literal `{{`. A field name
 * with `=`, `:` or spaces at its ends is quoted: `"user:id" = 7`.
 */
export { KEYS, MAX_COUNT, isPublishable, messageAt } from './model';
export type { FieldSpec, MessageSpec, ParseOptions, ProducerDiagnostic, ProducerFile, RenderState, Severity, Span, TargetKind, TemplateCall, ValuePart } from './model';
export { parseProducerFile } from './parser';
export { GENERATORS, templateReference } from './generators';
export { seededRandom } from './random';
export { escapeTemplates } from './templates';
export { renderMessages, renderTemplate, type RenderOptions } from './render';
export { formatMessage, formatProducerFile, type MessageModel } from './format';
