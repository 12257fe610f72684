import type * as vscode from 'vscode';
import type { Services } from '../services';
import { type QueueTool, registerLmTools } from './lmTools';
import { type McpServers, registerMcpServers } from './mcpServers';

/** The agent integration: the language-model tools and the MCP server definitions. */
export interface AgentRegistration extends vscode.Disposable {
  /** The registered tools by name (for the extension-host tests). */
  readonly tools: ReadonlyMap<string, QueueTool>;
  readonly mcp: McpServers;
}

/** Registers the chat tools (vscode.lm.registerTool) and the MCP server definition provider. */
export function registerAgent(s: Services): AgentRegistration {
  const lm = registerLmTools(s);
  const mcp = registerMcpServers(s);
  const all = [...lm.disposables, ...mcp.disposables];
  return {
    tools: lm.tools,
    mcp: mcp.provider,
    dispose() {
      for (const d of all) d.dispose();
    },
  };
}
