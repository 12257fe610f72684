/**
 * Tools for AI agents: ONE table of definitions shared by the editor's language-model tools
 * (src/vscode/agent) and the MCP server (`redis-queues mcp`, src/cli/mcp.ts). Each tool has a name,
 * a description written for a model (when to use it, what it returns), an input schema, whether
 * it writes, for writes the impact sentence a confirmation states, and `run`, which answers from
 * this project's own inspection, health marks, search and journey: nothing here talks to Redis
 * except through src/core.
 *
 * Results are structured and bounded: pages of at most 100 rows, message values cut to 200
 * characters (ids exact), the whole result under ~24,000 characters with a note of what was
 * cut, and never a secret: the connection is named, never its URL, and error texts are scrubbed
 * (format.ts scrub); data (names, ids, fields, values) is returned as it is, never rewritten.
 * Writes are refused on a read-only connection before anything is sent ({@link ReadOnlyError}).
 *
 * This layer imports neither `vscode` nor the MCP SDK (an ESLint rule keeps it so).
 */
import { QueueError, assertWritable, toQueueError } from '../../core/internal';
import { AGENT_LIMITS, boundData, scrub } from '../format';
import { checkInput } from '../input';
import { type AgentContext, type AgentTool, type ToolOutput, type ToolResultText } from './model';
import {
  listQueues,
  groupHealthTool,
  pending,
  findMessagesTool,
  journey,
  sampleEntries,
  listJobs,
} from './read';
import { ack, claim, deadLetterTool, replayTool, requeueJob } from './write';

export * from './model';

/** Every tool: reads first, then writes. */
export const AGENT_TOOLS: readonly AgentTool[] = [listQueues, groupHealthTool, pending, findMessagesTool, journey, sampleEntries, listJobs, ack, claim, deadLetterTool, replayTool, requeueJob];

/** The tool named `name`, or undefined. */
export function agentTool(name: string): AgentTool | undefined {
  return AGENT_TOOLS.find((x) => x.name === name);
}

/**
 * Runs a tool the one way every caller does: the input checked (`ignore`: names the caller adds
 * for itself), a write refused on a read-only connection before anything is sent
 * ({@link ReadOnlyError}), then the result bounded (data cut to {@link AGENT_LIMITS}.outputChars,
 * saying what was cut). Failures are {@link QueueError}s with messages a model (and a person) can
 * act on, scrubbed of secrets.
 */
export async function runAgentTool(tool: AgentTool, ctx: AgentContext, rawInput: unknown, options: { ignore?: readonly string[] } = {}): Promise<ToolResultText> {
  let out: ToolOutput;
  try {
    const input = checkInput(tool.inputSchema, rawInput, options.ignore);
    if (tool.write) assertWritable({ client: ctx.inspector.client, readOnly: ctx.readOnly, name: ctx.connection }, tool.title.toLowerCase());
    out = await tool.run(ctx, input);
  } catch (e) {
    const err = toQueueError(e);
    throw ctx.secrets?.length ? new QueueError(err.code, scrub(err.message, ctx.secrets)) : err;
  }
  return finish(out, ctx);
}

/** Checks a write's input and states its impact (for confirmations); throws BadInputError on a bad input. */
export function describeImpact(tool: AgentTool, rawInput: unknown, options: { ignore?: readonly string[] } = {}): { impact: string; confirmName: string } {
  const input = checkInput(tool.inputSchema, rawInput, options.ignore);
  return { impact: tool.impact?.(input) ?? `Run ${tool.title}.`, confirmName: tool.confirmName?.(input) ?? '' };
}

function finish(out: ToolOutput, ctx: AgentContext): ToolResultText {
  const data: Record<string, unknown> = { connection: ctx.connection, ...out.data };
  const summaryChars = Math.min(out.summary.length, 6_000);
  const notes = boundData(data, AGENT_LIMITS.outputChars - summaryChars);
  if (notes.length) data['truncated'] = notes;
  // Not scrubbed here: the runners scrub the error texts they put in (errorText); the rest is data.
  const summary = out.summary.length > 6_000 ? `${out.summary.slice(0, 6_000)}\n… (summary cut; the data below holds the rest)` : out.summary;
  const json = JSON.stringify(data);
  return { summary, data: JSON.parse(json) as Record<string, unknown>, json, text: `${summary}\n\nData (JSON):\n${json}` };
}
