/**
 * The producer-file model: what the parser produces ({@link ProducerFile}, {@link MessageSpec},
 * diagnostics with positions), the keys a section takes, and what a template sees while it
 * renders ({@link RenderState}). Types and small queries only; no parsing or rendering here.
 */
import type { TrimOptions } from '../queue/validate';


/** A position on one line: 0-based line, columns [start, end). */
export interface Span {
  line: number;
  start: number;
  end: number;
}

export type Severity = 'error' | 'warning';

export interface ProducerDiagnostic extends Span {
  severity: Severity;
  message: string;
  /** A stable code for quick fixes and tests: `unknown-template`, `bad-maxlen`, ... */
  code: string;
}

/** One `{{...}}` in a value, compiled at parse time. */
export interface TemplateCall {
  /** The generator's canonical name (`int`, `now`, ...). */
  name: string;
  /** The text after the first `:` (undefined when there is none). */
  arg: string | undefined;
  /** Inside a JSON string of a JSON value: its output is JSON-escaped. */
  inJsonString: boolean;
  span: Span;
  render: (state: RenderState) => string;
}

export type ValuePart = string | TemplateCall;

export interface FieldSpec {
  name: string;
  parts: ValuePart[];
  /** The value is JSON (unquoted and starting with `{` or `[`): every rendering is checked. */
  json: boolean;
  /** Where the field's line starts (the name), for messages. */
  span: Span;
}

export type TargetKind = 'stream' | 'list';

/** A message section, with the file's defaults applied. */
export interface MessageSpec {
  name: string;
  /** The `###` line. */
  line: number;
  /** The last line of the section (inclusive). */
  endLine: number;
  target?: { kind: TargetKind; key: string };
  trim?: TrimOptions;
  /** Messages per click of "Publish" (default 1). */
  count: number;
  connection?: string;
  seed?: number;
  jobPrefix?: string;
  fields: FieldSpec[];
  /** This section's problems (file-level problems are in {@link ProducerFile.diagnostics} only). */
  diagnostics: ProducerDiagnostic[];
}

export interface ProducerFile {
  messages: MessageSpec[];
  /** Every problem in the file, sections' included, in line order. */
  diagnostics: ProducerDiagnostic[];
}

export interface ParseOptions {
  /** Environment for `{{env:VAR}}` checks (an unset variable without a default is an error). Default: not checked. */
  env?: Record<string, string | undefined>;
  /** Known connection names: a `connection:` naming another is a warning. Default: not checked. */
  connections?: readonly string[];
}

/** Most messages one publish may render (×N is capped here). */
export const MAX_COUNT = 100_000;

/** Keys of a section (case-insensitive), with what they take. */
export const KEYS: Record<string, string> = {
  stream: 'the stream to XADD to',
  list: 'the list queue to enqueue on (payload in a hash, id pushed on the list)',
  maxlen: 'trim on every XADD: `~10000` (approximate, the default) or `=10000` (exact)',
  minid: 'trim entries below this id on every XADD: `~1700000000000-0` or `=...`',
  count: `messages per click of "Publish" (1–${MAX_COUNT}, default 1)`,
  connection: 'the connection to publish on (default: ask once per file when there are several)',
  seed: 'an integer: random templates produce the same values on every publish',
  jobprefix: 'list queues: prefix of the job hashes (default `<queue>:job:`)',
};


/** What a template sees while one message is rendered. */
export interface RenderState {
  /** Uniform in [0, 1). */
  rng: () => number;
  /** The message's sequence number (1, 2, ... continuing across publishes). */
  seq: number;
  /** 0-based position in the current batch. */
  index: number;
  /** Epoch ms for this message. */
  now: number;
  env: Record<string, string | undefined>;
  /** The message's name. */
  message: string;
}

/** Whether a message may be published (no error-level diagnostics). */
export function isPublishable(m: MessageSpec): boolean {
  return !m.diagnostics.some((d) => d.severity === 'error');
}

/** The message whose section contains `line`, if any. */
export function messageAt(file: ProducerFile, line: number): MessageSpec | undefined {
  let found: MessageSpec | undefined;
  for (const m of file.messages) if (m.line <= line) found = m;
  return found;
}
