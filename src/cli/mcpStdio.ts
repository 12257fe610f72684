// The MCP server's stdio transport: one JSON-RPC message per line on stdin, answers on stdout.
// Unlike the SDK's StdioServerTransport, which drops a line it cannot use (and its client then
// waits forever), every line gets its answer as JSON-RPC 2.0 says: a line that is not JSON gets a
// parse error (-32700, id null); an array (a batch: MCP has none since 2025-06-18), a wrong
// "jsonrpc" or an object that is no JSON-RPC message gets "invalid request" (-32600, with the id
// when one can be read). A tools/call whose "arguments" is not an object gets a tool error that
// says so, not the SDK's validation dump. Everything else goes to the SDK unchanged.
import { StringDecoder } from 'node:string_decoder';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';

/** JSON-RPC 2.0 error codes. */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;

/** A line longer than this (no newline yet) is refused and dropped: 10 MB, as the SDK's transport. */
const MAX_LINE = 10 * 1024 * 1024;

type Id = string | number | null;
type Answer = Record<string, unknown>;

/** What the transport answers itself for one line, or the message to hand on. */
export function triage(line: string): { answer: Answer | Answer[] } | { message: JSONRPCMessage } {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch (e) {
    return { answer: rpcError(null, PARSE_ERROR, `Parse error: the line is not JSON (${(e as Error).message})`) };
  }
  if (Array.isArray(v)) {
    const why = 'Invalid request: batches (JSON arrays) are not supported by MCP; send each message on a line of its own';
    if (!v.length) return { answer: rpcError(null, INVALID_REQUEST, why) };
    return { answer: v.map((x) => rpcError(idOf(x), INVALID_REQUEST, why)) };
  }
  if (!v || typeof v !== 'object') return { answer: rpcError(null, INVALID_REQUEST, 'Invalid request: a JSON-RPC message is an object') };
  const o = v as Record<string, unknown>;
  if (o['jsonrpc'] !== '2.0') return { answer: rpcError(idOf(o), INVALID_REQUEST, `Invalid request: "jsonrpc" must be "2.0" (got ${JSON.stringify(o['jsonrpc']) ?? 'nothing'})`) };
  const parsed = JSONRPCMessageSchema.safeParse(o);
  if (!parsed.success) return { answer: rpcError(idOf(o), INVALID_REQUEST, 'Invalid request: not a JSON-RPC request, notification or response (a request has "method" and an "id" that is a string or a number)') };
  const params = o['params'] as Record<string, unknown> | undefined;
  if (o['method'] === 'tools/call' && 'id' in o && params && typeof params === 'object' && 'arguments' in params) {
    const a = params['arguments'];
    if (a !== undefined && (a === null || typeof a !== 'object' || Array.isArray(a))) {
      return {
        answer: {
          jsonrpc: '2.0',
          id: o['id'] as Id,
          result: { isError: true, content: [{ type: 'text', text: `arguments must be an object of the tool's inputs, e.g. {} for none (got ${a === null ? 'null' : Array.isArray(a) ? 'an array' : typeof a}): nothing was run` }] },
        },
      };
    }
  }
  return { message: parsed.data };
}

function idOf(x: unknown): Id {
  const id = x && typeof x === 'object' && !Array.isArray(x) ? (x as Record<string, unknown>)['id'] : undefined;
  return typeof id === 'string' || (typeof id === 'number' && Number.isFinite(id)) ? id : null;
}

function rpcError(id: Id, code: number, message: string): Answer {
  return { jsonrpc: '2.0', id, error: { code, message } };
}

/** Newline-delimited JSON-RPC over a process's stdin and stdout, answering every line it cannot pass on. */
export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  private buffer = '';
  private readonly decoder = new StringDecoder('utf8');
  private dropping = false;
  private closed = false;

  constructor(
    private readonly input: NodeJS.ReadableStream = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stdout,
  ) {}

  private readonly onData = (chunk: Buffer | string) => {
    this.buffer += typeof chunk === 'string' ? chunk : this.decoder.write(chunk);
    let nl: number;
    while ((nl = this.buffer.indexOf('\n')) >= 0) {
      const line = this.buffer.slice(0, nl).replace(/\r$/, '');
      this.buffer = this.buffer.slice(nl + 1);
      if (this.dropping) {
        this.dropping = false;
        continue;
      }
      if (line.trim()) this.line(line);
    }
    if (this.buffer.length > MAX_LINE) {
      this.buffer = '';
      if (!this.dropping) void this.write(rpcError(null, INVALID_REQUEST, `Invalid request: a message longer than ${MAX_LINE} characters was dropped`));
      this.dropping = true;
    }
  };

  private readonly onError = (e: Error) => this.onerror?.(e);

  private line(line: string): void {
    const t = triage(line);
    if ('answer' in t) void this.write(t.answer);
    else this.onmessage?.(t.message);
  }

  async start(): Promise<void> {
    this.input.on('data', this.onData);
    this.input.on('error', this.onError);
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.write(message);
  }

  private write(message: unknown): Promise<void> {
    if (this.closed) return Promise.resolve();
    return new Promise((resolve) => {
      if (this.output.write(`${JSON.stringify(message)}\n`)) resolve();
      else this.output.once('drain', () => resolve());
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.off('error', this.onError);
    this.buffer = '';
    this.onclose?.();
  }
}
