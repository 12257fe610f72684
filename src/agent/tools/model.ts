/** What every agent tool is: its context, its output and its definition. */
import { type HealthThresholds, type Inspector } from '../../core/internal';
import { type ObjectSchema, type ToolInput } from '../input';

/** What a tool runs with: one connection, named, never described by its URL. */
export interface AgentContext {
  /** An inspector on the connection (its client serves the writes too). */
  inspector: Inspector;
  /** The connection's name, for results and messages. */
  connection: string;
  /** Writes are refused before anything is sent. */
  readOnly: boolean;
  /** What counts as poison, stuck and lagging (the extension's settings, or the CLI's defaults). */
  thresholds: HealthThresholds;
  /** List queues to report even before they have a processing or dead-letter list. */
  listQueueNames?: string[];
  /** Secrets of the connection, removed from any text a tool returns. */
  secrets?: string[];
  signal?: AbortSignal;
}

/** What a tool returns: a few lines in words, and the data (JSON, bounded). */
export interface ToolOutput {
  summary: string;
  data: Record<string, unknown>;
}

/** A tool's result as the callers pass it on: the summary, the data, and both as one text. */
export interface ToolResultText extends ToolOutput {
  /** The summary, then the data as JSON. */
  text: string;
  /** The data as JSON text. */
  json: string;
}

export interface AgentTool {
  /** `redisq_…`: the name in the editor's tool list and in MCP. */
  name: string;
  /** Short title (display name). */
  title: string;
  /** One sentence for a person (tool pickers). */
  userDescription: string;
  /** For the model: when to use it, what it returns. */
  description: string;
  inputSchema: ObjectSchema;
  /** Changes data: offered only when writes are turned on, confirmed, refused on read-only connections. */
  write: boolean;
  /** Writes: the impact, as the commands' confirmations state it. */
  impact?(input: ToolInput): string;
  /** Writes: the name a production connection asks to type (the stream or queue acted on). */
  confirmName?(input: ToolInput): string;
  run(ctx: AgentContext, input: ToolInput): Promise<ToolOutput>;
}
