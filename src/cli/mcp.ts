// `redis-queues mcp`: an MCP server over stdio (the official MCP SDK) exposing the agent tools of
// src/agent/tools/ on one connection, given like every command's (--url, REDIS_PASSWORD, ...).
// Read tools only, unless started with --allow-writes; never writes on a --read-only connection.
// stdout is the protocol (mcpStdio.ts: every line answered): every log line goes to stderr.
// Calls run concurrently (a ping is answered during a long find); a client's
// notifications/cancelled aborts the running tool through the AbortSignal its context carries.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult, ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { AGENT_TOOLS, type AgentContext, runAgentTool } from '../agent/tools';
import { scrub } from '../agent/format';
import type { ObjectSchema, PropertySchema } from '../agent/input';
import { type ConnectionOptions, DEFAULT_THRESHOLDS, connectionSecrets, type HealthThresholds, Inspector, describeTarget, toQueueError } from '../core/internal';
import { type CommandSpec, UsageError } from './args';
import { type Command, CONNECTION_OPTIONS, onceSignalled } from './common';
import { LineTransport } from './mcpStdio';
import { version } from './version';

const spec: CommandSpec = {
  name: 'mcp',
  summary: 'Serve the agent tools (queues and health, pending entries, search, journeys; writes with --allow-writes) to an AI agent over MCP on stdio.',
  positionals: [],
  options: [
    { name: 'allow-writes', type: 'boolean', description: 'Also offer the write tools (ack, claim, dead-letter, replay, requeue); the agent\'s client confirms each call' },
    { name: 'read-only', type: 'boolean', description: 'The connection is read-only: write tools are never offered, whatever --allow-writes says (env RQ_READ_ONLY=1)' },
    { name: 'name', type: 'string', value: 'NAME', description: 'The connection\'s name in results and messages (default: its host and port)' },
    { name: 'poison-deliveries', type: 'int', value: 'N', min: 1, description: 'A pending entry delivered this often is POISON', default: String(DEFAULT_THRESHOLDS.poisonDeliveries) },
    { name: 'stuck-idle', type: 'int', value: 'MS', min: 1, description: 'A consumer idle this long holding entries (or a list job running this long) is STUCK', default: String(DEFAULT_THRESHOLDS.stuckIdleMs) },
    { name: 'lag-warning', type: 'int', value: 'N', min: 0, description: 'A group lagging by more entries is LAGGING (Redis 7+)', default: String(DEFAULT_THRESHOLDS.lagWarning) },
    { name: 'list-queue', type: 'list', value: 'NAME', description: 'A list queue to report even before it has a processing or dead list' },
    { name: 'tls-ca', type: 'string', value: 'FILE', description: 'CA certificate(s) to trust, a PEM file (env REDIS_TLS_CA)' },
    { name: 'tls-cert', type: 'string', value: 'FILE', description: 'Client certificate for mutual TLS, a PEM file (env REDIS_TLS_CERT)' },
    { name: 'tls-key', type: 'string', value: 'FILE', description: 'Client key, a PEM file (env REDIS_TLS_KEY; its passphrase: env REDIS_TLS_PASSPHRASE)' },
    { name: 'tls-servername', type: 'string', value: 'NAME', description: 'TLS server name (SNI) when it differs from the host' },
    { name: 'tls-insecure', type: 'boolean', description: 'Do not verify the server certificate (test servers only)' },
    ...CONNECTION_OPTIONS,
  ],
  details: [
    `Tools: ${AGENT_TOOLS.filter((x) => !x.write).map((x) => x.name).join(', ')}; with --allow-writes also ${AGENT_TOOLS.filter((x) => x.write).map((x) => x.name).join(', ')}.`,
    'Results are structured and bounded (pages of at most 100 rows, message values cut to 200 characters, ids exact) and never hold the connection\'s URL or secrets.',
    'Secrets come from the environment (REDIS_PASSWORD, REDIS_TLS_PASSPHRASE, REDIS_SENTINEL_PASSWORD), never the command line of a server other local users can list. stdout carries the protocol; logs go to stderr.',
  ].join('\n'),
  examples: [
    'REDIS_URL=redis://127.0.0.1:6379 redis-queues mcp',
    'REDIS_PASSWORD=... redis-queues mcp --url rediss://cache.example.com:6380 --name prod --read-only',
    'redis-queues mcp --url redis://127.0.0.1:6379 --allow-writes',
  ],
};

export const mcpCommand: Command = {
  spec,
  async run(args, ctx) {
    const o = args.options;
    const env = ctx.io.env;
    const readOnly = Boolean(o['read-only']) || /^(1|true|yes)$/i.test(env['RQ_READ_ONLY'] ?? '');
    const allowWrites = Boolean(o['allow-writes']) && !readOnly;
    const connection = withTls(ctx.connection, o, env);
    const secrets = [...new Set([...ctx.secrets, ...connectionSecrets(connection)])];
    const thresholds: HealthThresholds = {
      poisonDeliveries: (o['poison-deliveries'] as number | undefined) ?? DEFAULT_THRESHOLDS.poisonDeliveries,
      stuckIdleMs: (o['stuck-idle'] as number | undefined) ?? DEFAULT_THRESHOLDS.stuckIdleMs,
      lagWarning: (o['lag-warning'] as number | undefined) ?? DEFAULT_THRESHOLDS.lagWarning,
    };
    const name = (o['name'] as string | undefined) ?? describeTarget(connection);
    const tools = AGENT_TOOLS.filter((x) => !x.write || allowWrites);

    // One inspector, opened on the first call (a server that is down makes tool errors, not a
    // dead MCP server) and opened again after a connection-level failure.
    let inspector: Promise<Inspector> | undefined;
    const inspectorFor = (): Promise<Inspector> => {
      inspector ??= Inspector.open({ ...connection, readOnly, clientName: 'redis-queues-mcp' }).catch((e: unknown) => {
        inspector = undefined;
        throw e;
      });
      return inspector;
    };
    const dropInspector = async () => {
      const i = inspector;
      inspector = undefined;
      (await i?.catch(() => undefined))?.close();
    };

    const server = new McpServer(
      { name: 'redis-queues', title: 'Redis Queues', version: version() },
      {
        instructions:
          `Redis Streams and list queues on the connection "${name}". Start with redisq_list_queues (health marks LAGGING, STUCK, POISON), then redisq_group_health, redisq_pending, redisq_find_messages and redisq_journey. ` +
          (allowWrites ? 'Write tools change the queues: state their impact to the user and act only on what the user asked for.' : 'This server is read-only: it offers no tools that change data.'),
      },
    );
    // registerTool's generic types recurse too deep on a schema built at run time: call it through a plain signature.
    const register = server.registerTool.bind(server) as unknown as (
      name: string,
      config: { title: string; description: string; inputSchema: z.ZodTypeAny; annotations: ToolAnnotations },
      handler: (input: Record<string, unknown>, extra: { signal: AbortSignal }) => Promise<CallToolResult>,
    ) => void;
    for (const tool of tools) {
      register(
        tool.name,
        {
          title: tool.title,
          description: tool.description,
          inputSchema: zodOf(tool.inputSchema),
          annotations: { title: tool.title, readOnlyHint: !tool.write, destructiveHint: tool.write, idempotentHint: !tool.write, openWorldHint: false },
        },
        async (input, extra) => {
          const started = Date.now();
          const cancelled = (what: string) => ctx.err(`redis-queues mcp: ${tool.name}: cancelled by the client; the call ended after ${Date.now() - started} ms${what}`);
          try {
            const context: AgentContext = { inspector: await inspectorOrError(), connection: name, readOnly, thresholds, listQueueNames: o['list-queue'] as string[] | undefined, secrets, signal: extra.signal };
            const r = await runAgentTool(tool, context, input);
            // The SDK sends no answer to a cancelled request: say in the log where the call stopped.
            if (extra.signal.aborted) cancelled(` (${r.summary.split('\n')[0]})`);
            return { content: [{ type: 'text' as const, text: r.summary }, { type: 'text' as const, text: r.json }], structuredContent: r.data };
          } catch (e) {
            const err = toQueueError(e);
            if (extra.signal.aborted) cancelled(`: ${err.message}`);
            if (['CANNOT_CONNECT', 'AUTH', 'NO_ANSWER', 'UNAVAILABLE'].includes(err.code)) await dropInspector();
            ctx.err(`redis-queues mcp: ${tool.name}: ${err.message}`);
            return { isError: true, content: [{ type: 'text' as const, text: scrub(err.message, secrets) }] };
          }
        },
      );
    }

    async function inspectorOrError(): Promise<Inspector> {
      try {
        return await inspectorFor();
      } catch (e) {
        throw toQueueError(e);
      }
    }

    const transport = new LineTransport();
    const closed = new Promise<void>((resolve) => {
      transport.onclose = () => resolve();
      // The SDK's transport does not end when its client closes stdin: stop then too.
      process.stdin.once('end', () => resolve());
      process.stdin.once('close', () => resolve());
    });
    const signals = onceSignalled();
    try {
      await server.connect(transport);
      const how = readOnly ? 'read-only connection: read tools only' : allowWrites ? 'writes allowed (--allow-writes)' : 'read tools only (writes need --allow-writes)';
      ctx.err(`redis-queues mcp: serving ${tools.length} tools for "${name}" on stdio; ${how}${o['allow-writes'] && readOnly ? '; --allow-writes is ignored on a read-only connection' : ''}`);
      await Promise.race([closed, signals.promise]);
      return 0;
    } finally {
      signals.dispose();
      await server.close().catch(() => undefined);
      await dropInspector();
    }
  },
};

/** --tls-* options and REDIS_TLS_* / REDIS_SENTINEL_PASSWORD added to the connection options. */
function withTls(c: ConnectionOptions, o: Record<string, unknown>, env: NodeJS.ProcessEnv): ConnectionOptions {
  const pick = (option: string, variable: string) => (o[option] as string | undefined) ?? (env[variable] || undefined);
  const tls = {
    ca: pick('tls-ca', 'REDIS_TLS_CA'),
    cert: pick('tls-cert', 'REDIS_TLS_CERT'),
    key: pick('tls-key', 'REDIS_TLS_KEY'),
    passphrase: env['REDIS_TLS_PASSPHRASE'] || undefined,
    servername: o['tls-servername'] as string | undefined,
    ...(o['tls-insecure'] ? { rejectUnauthorized: false } : {}),
  };
  if (Boolean(tls.cert) !== Boolean(tls.key)) throw new UsageError('--tls-cert and --tls-key go together (mutual TLS needs both)', 'mcp');
  const any = Object.values(tls).some((v) => v !== undefined);
  const sentinelPassword = env['REDIS_SENTINEL_PASSWORD'] || undefined;
  return {
    ...c,
    ...(any ? { tls: Object.fromEntries(Object.entries(tls).filter(([, v]) => v !== undefined)) } : {}),
    ...(c.sentinel && sentinelPassword ? { sentinel: { ...c.sentinel, sentinelPassword } } : {}),
  };
}

/** A tool's input schema (the subset src/agent/input.ts declares) as the zod object the SDK validates with. */
export function zodOf(schema: ObjectSchema): z.ZodTypeAny {
  const shape: Record<string, z.ZodTypeAny> = {};
  for (const [name, p] of Object.entries(schema.properties)) {
    const s = zodProperty(p).describe(p.description);
    shape[name] = schema.required?.includes(name) ? s : s.optional();
  }
  return z.object(shape).strict();
}

function zodProperty(p: PropertySchema): z.ZodTypeAny {
  switch (p.type) {
    case 'string': {
      if (p.enum) return z.enum(p.enum as [string, ...string[]]);
      let s = z.string();
      if (p.minLength !== undefined) s = s.min(p.minLength);
      if (p.maxLength !== undefined) s = s.max(p.maxLength);
      return s;
    }
    case 'integer': {
      let n = z.number().int();
      if (p.minimum !== undefined) n = n.min(p.minimum);
      if (p.maximum !== undefined) n = n.max(p.maximum);
      return n;
    }
    case 'boolean':
      return z.boolean();
    case 'array': {
      let item = z.string();
      if (p.items.minLength !== undefined) item = item.min(p.items.minLength);
      let a = z.array(item);
      if (p.minItems !== undefined) a = a.min(p.minItems);
      if (p.maxItems !== undefined) a = a.max(p.maxItems);
      return a;
    }
  }
}

