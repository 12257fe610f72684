/**
 * Tool inputs: the small JSON-schema subset the tools declare (an object of strings, whole
 * numbers, booleans and lists of strings, with enums, bounds and required names), and the check
 * every input passes before a tool runs, whoever called it (the editor and the MCP SDK validate
 * too; this is the tool's own guard). A bad input is a {@link BadInputError} naming the field.
 */
import { BadInputError, parseDuration, parseId } from '../core/internal';

export interface StringSchema {
  type: 'string';
  description: string;
  enum?: string[];
  minLength?: number;
  maxLength?: number;
  default?: string;
}
export interface IntegerSchema {
  type: 'integer';
  description: string;
  minimum?: number;
  maximum?: number;
  default?: number;
}
export interface BooleanSchema {
  type: 'boolean';
  description: string;
  default?: boolean;
}
export interface StringListSchema {
  type: 'array';
  description: string;
  items: { type: 'string'; minLength?: number };
  minItems?: number;
  maxItems?: number;
}
export type PropertySchema = StringSchema | IntegerSchema | BooleanSchema | StringListSchema;

/** A tool's input: an object of named properties, no others. */
export interface ObjectSchema {
  type: 'object';
  properties: Record<string, PropertySchema>;
  required?: string[];
  additionalProperties: false;
}

/** A checked input: values of the declared types only. */
export type ToolInput = Record<string, string | number | boolean | string[] | undefined>;

/**
 * Checks `input` against `schema` and returns it (unknown names refused, defaults not filled in).
 * `ignore`: names a caller adds for itself (e.g. the editor's `connection`), dropped here.
 */
export function checkInput(schema: ObjectSchema, input: unknown, ignore: readonly string[] = []): ToolInput {
  if (input === undefined || input === null) input = {};
  if (typeof input !== 'object' || Array.isArray(input)) throw new BadInputError('The tool input must be an object');
  const out: ToolInput = {};
  for (const [name, value] of Object.entries(input as Record<string, unknown>)) {
    if (ignore.includes(name)) continue;
    const p = Object.hasOwn(schema.properties, name) ? schema.properties[name] : undefined;
    if (!p) throw new BadInputError(`Unknown input "${name}": this tool takes ${Object.keys(schema.properties).join(', ') || 'no input'}`);
    if (value === undefined || value === null) continue;
    out[name] = checkValue(name, p, value);
  }
  for (const name of schema.required ?? []) {
    if (out[name] === undefined) throw new BadInputError(`Input "${name}" is required: ${schema.properties[name]?.description ?? ''}`.trim());
  }
  return out;
}

function checkValue(name: string, p: PropertySchema, v: unknown): string | number | boolean | string[] {
  switch (p.type) {
    case 'string': {
      if (typeof v !== 'string') throw new BadInputError(`Input "${name}" must be a string`);
      if (p.minLength !== undefined && v.length < p.minLength) throw new BadInputError(`Input "${name}" must not be empty`);
      if (p.maxLength !== undefined && v.length > p.maxLength) throw new BadInputError(`Input "${name}" is too long (at most ${p.maxLength} characters)`);
      if (p.enum && !p.enum.includes(v)) throw new BadInputError(`Input "${name}" must be one of ${p.enum.join(', ')}`);
      return v;
    }
    case 'integer': {
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw new BadInputError(`Input "${name}" must be a whole number`);
      if (p.minimum !== undefined && v < p.minimum) throw new BadInputError(`Input "${name}" must be at least ${p.minimum}`);
      if (p.maximum !== undefined && v > p.maximum) throw new BadInputError(`Input "${name}" must be at most ${p.maximum}`);
      return v;
    }
    case 'boolean':
      if (typeof v !== 'boolean') throw new BadInputError(`Input "${name}" must be true or false`);
      return v;
    case 'array': {
      if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) throw new BadInputError(`Input "${name}" must be a list of strings`);
      if (p.items.minLength !== undefined && v.some((x: string) => x.length < p.items.minLength!)) throw new BadInputError(`Input "${name}" must not hold empty strings`);
      if (p.minItems !== undefined && v.length < p.minItems) throw new BadInputError(`Input "${name}" needs at least ${p.minItems} item${p.minItems === 1 ? '' : 's'}`);
      if (p.maxItems !== undefined && v.length > p.maxItems) throw new BadInputError(`Input "${name}" takes at most ${p.maxItems} items per call`);
      return [...(v as string[])];
    }
  }
}

// ---- reading a checked input ----

export function str(input: ToolInput, name: string): string;
export function str(input: ToolInput, name: string, fallback: string | undefined): string | undefined;
export function str(input: ToolInput, name: string, fallback?: string): string | undefined {
  const v = input[name];
  return typeof v === 'string' ? v : fallback;
}

export function int(input: ToolInput, name: string, fallback: number): number {
  const v = input[name];
  return typeof v === 'number' ? v : fallback;
}

export function list(input: ToolInput, name: string): string[] | undefined {
  const v = input[name];
  return Array.isArray(v) ? v : undefined;
}

export function bool(input: ToolInput, name: string, fallback: boolean): boolean {
  const v = input[name];
  return typeof v === 'boolean' ? v : fallback;
}

/** Stream ids, each checked (a full `<ms>-<seq>` id); duplicates dropped, order kept. */
export function ids(input: ToolInput, name: string): string[] {
  const out = [...new Set((list(input, name) ?? []).map((x) => x.trim()))];
  for (const id of out) parseId(id, { allowMsOnly: false });
  return out;
}

/** A duration typed like `90s`, `5m`, `1h 30m` (a plain number is seconds), in ms; undefined when absent. */
export function duration(input: ToolInput, name: string): number | undefined {
  const v = str(input, name, undefined);
  if (v === undefined || v.trim() === '') return undefined;
  try {
    return parseDuration(v);
  } catch (e) {
    throw new BadInputError(`Input "${name}": ${(e as Error).message}`);
  }
}
