import * as vscode from 'vscode';
import { QUERY_HINT, TIME_RANGE_RULE, TIME_SPEC_HINT } from '../../core/internal';

export const HELP_SCHEME = 'redis-queues-help';
export const SEARCH_HELP_URI = vscode.Uri.from({ scheme: HELP_SCHEME, path: '/Find Messages.md' });

/** The search syntax as a read-only markdown page (the "?" of the search box). */
export const SEARCH_HELP = `# Find Messages: search syntax

Terms are separated by spaces; a message matches when **all** of them hold. An empty search lists
every entry in the range. Searches only read (XRANGE / XREVRANGE / XPENDING pages sized by their
bytes: one entry first, then as many as fit in about 1 MB, at most 1,000), so they work on
read-only connections and never block the server.

| term | matches |
|---|---|
| \`status=failed\`, \`status == failed\` | a field \`status\` whose value is exactly \`failed\` |
| \`status!=ok\` | messages with no field \`status\` equal to \`ok\` (also those without the field) |
| \`note~timeout\` | a field \`note\` whose value contains \`timeout\` |
| \`note=/time(d)? out/i\` | a field \`note\` whose value matches the regular expression (RE2 syntax, linear time; flags \`i\`, \`m\`, \`s\`; no backreferences or lookaround) |
| \`amount>100\`, \`>=\`, \`<\`, \`<=\` | a field whose value is a decimal number (optional sign, digits, optional fraction and exponent; not blank, hex or Infinity) compared to the number |
| \`payload.sku == "kb"\` | the JSON path \`sku\` in the field \`payload\` holding JSON (also \`items[0].sku\`; the JSON's own keys only) |
| \`*~kb\`, or a bare word \`kb\` | any field's value contains the text (\`*=v\`: some value is \`v\`; \`*!=v\`: no value is \`v\`) |
| \`has:trace-id\` | the message has a field \`trace-id\` |
| \`since:14:00 until:14:05\`, \`since:1h ago\` | ids between those times, both included (stream ids carry milliseconds) |
| \`from:ID to:ID\` | ids in that range (inclusive) |
| \`consumer:w1 idle:5m deliveries:3\` | pending entries only (search from a group or consumer): owner, idle at least, delivered at least |
| \`order:oldest\`, \`limit:20\` | oldest first (default newest first); stop after 20 matches |

Names and values with spaces or operator characters are quoted: \`"order id"="A 1"\`. A name with
a dot is first looked up as a whole field name, then as a JSON path. Bounds that leave nothing
(\`from:\` after \`to:\`, \`since:\` after \`until:\`) are refused; a stream that does not exist is an error.

**Times** (\`since:\`, \`until:\`, and *Go to Time…* on a stream's Entries): ${TIME_SPEC_HINT}. Written with
spaces (\`since:1h ago\`, \`until:2026-12-01 14:00\`) a time is read as one; it may also be quoted.
A range's ends: ${TIME_RANGE_RULE}.

**Examples:** ${QUERY_HINT.replace(/^e\.g\. /, '')}

## Where

- *Find Messages…* on a stream (or dead-letter stream) searches its entries; on a group, the
  group's pending entries; on a consumer, that consumer's pending entries. From the Command
  Palette it asks for the connection and the stream.
- Results stream into the **Search Results** view as they are found, with the same actions as in
  the tree (open, copy as JSON, ack, claim, dead-letter, replay). A search stops after
  \`redisQueues.search.limit\` matches (100); *Find More* goes on from there. *Stop* (or Cancel on
  the progress notification) ends a search within a page; *Resume* goes on within the same bounds.
- Recent searches are kept per connection and offered in the search box.
`;

/** Serves the help page (read-only, never an unsaved tab). */
export function registerSearchHelp(): vscode.Disposable {
  return vscode.workspace.registerTextDocumentContentProvider(HELP_SCHEME, { provideTextDocumentContent: () => SEARCH_HELP });
}

/** Opens the search syntax beside the editor, as a rendered preview when the markdown extension is there. */
export async function showSearchHelp(): Promise<vscode.Uri> {
  try {
    await vscode.commands.executeCommand('markdown.showPreviewToSide', SEARCH_HELP_URI);
  } catch {
    const doc = await vscode.workspace.openTextDocument(SEARCH_HELP_URI);
    await vscode.languages.setTextDocumentLanguage(doc, 'markdown');
    await vscode.window.showTextDocument(doc, { preview: true, viewColumn: vscode.ViewColumn.Beside });
  }
  return SEARCH_HELP_URI;
}
