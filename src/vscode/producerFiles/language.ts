import * as vscode from 'vscode';
import { GENERATORS, KEYS, isPublishable, renderTemplate, type ProducerDiagnostic, type ProducerFile } from '../../core/producerFile';
import type { Services } from '../services';
import { LANGUAGE_ID, PUBLISH_COMMAND, parseDocument, type PublishArgs } from './publish';

const SELECTOR: vscode.DocumentSelector = { language: LANGUAGE_ID };

/** One parse per document version, shared by lenses, diagnostics, symbols and folding. */
class ParseCache {
  private readonly cache = new Map<string, { version: number; stamp: number; file: ProducerFile }>();
  /** Bumped when what the parse depends on outside the text changes (the connection names). */
  stamp = 0;
  constructor(private readonly s: Services) {}
  get(doc: vscode.TextDocument): ProducerFile {
    const key = doc.uri.toString();
    const hit = this.cache.get(key);
    if (hit && hit.version === doc.version && hit.stamp === this.stamp) return hit.file;
    const file = parseDocument(this.s, doc);
    this.cache.set(key, { version: doc.version, stamp: this.stamp, file });
    return file;
  }
  forget(doc: vscode.TextDocument): void {
    this.cache.delete(doc.uri.toString());
  }
}

function toDiagnostic(d: ProducerDiagnostic): vscode.Diagnostic {
  const out = new vscode.Diagnostic(new vscode.Range(d.line, d.start, d.line, d.end), d.message, d.severity === 'error' ? vscode.DiagnosticSeverity.Error : vscode.DiagnosticSeverity.Warning);
  out.source = 'redisq';
  out.code = d.code;
  return out;
}

class Lenses implements vscode.CodeLensProvider {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  constructor(private readonly parses: ParseCache) {}
  refresh(): void {
    this.changed.fire();
  }
  provideCodeLenses(doc: vscode.TextDocument): vscode.CodeLens[] {
    const lenses: vscode.CodeLens[] = [];
    for (const m of this.parses.get(doc).messages) {
      const range = new vscode.Range(m.line, 0, m.line, 0);
      if (!isPublishable(m)) {
        const errors = m.diagnostics.filter((d) => d.severity === 'error');
        const first = errors[0]!;
        lenses.push(
          new vscode.CodeLens(range, {
            title: `$(error) Not publishable: ${errors.length === 1 ? '' : `${errors.length} problems; `}line ${first.line + 1}: ${first.message.length > 90 ? `${first.message.slice(0, 90)}…` : first.message}`,
            command: 'workbench.actions.view.problems',
            tooltip: errors.map((e) => `line ${e.line + 1}: ${e.message}`).join('\n'),
          }),
        );
        continue;
      }
      const base: PublishArgs = { uri: doc.uri.toString(), message: m.name, line: m.line };
      const to = `${m.target!.kind === 'stream' ? 'stream' : 'list'} ${m.target!.key}${m.connection ? ` @ ${m.connection}` : ''}`;
      lenses.push(
        new vscode.CodeLens(range, { title: `$(play) Publish${m.count > 1 ? ` ×${m.count}` : ''}`, tooltip: `Publish "${m.name}" to ${to}`, command: PUBLISH_COMMAND, arguments: [{ ...base }] }),
        new vscode.CodeLens(range, { title: '×10', tooltip: `Publish "${m.name}" 10 times`, command: PUBLISH_COMMAND, arguments: [{ ...base, times: 10 }] }),
        new vscode.CodeLens(range, { title: '×N…', tooltip: `Publish "${m.name}" a number of times you choose`, command: PUBLISH_COMMAND, arguments: [{ ...base, times: 'ask' }] }),
        new vscode.CodeLens(range, { title: `→ ${to}${m.trim ? ` (${m.trim.strategy.toLowerCase()} ${m.trim.exact ? '=' : '~'}${m.trim.threshold})` : ''}`, command: '' }),
      );
      // Your handler on this message before anything is published (stream messages: what a worker gets).
      if (m.target!.kind === 'stream') lenses.push(new vscode.CodeLens(range, { title: '$(debug-alt) Debug Handler', tooltip: `Run your handler for ${m.target!.key} (redisQueues.handlers) on "${m.name}" under the debugger, without publishing it`, command: 'redisQueues.handler.debugFromFile', arguments: [{ ...base }] }));
    }
    return lenses;
  }
}

const TEMPLATE_AT = /\{\{([^}]*)\}\}/g;

/** Diagnostics, CodeLenses, completion, hovers, outline and folding for `*.redisq`. */
export function registerLanguage(s: Services): vscode.Disposable[] {
  const parses = new ParseCache(s);
  const diagnostics = vscode.languages.createDiagnosticCollection(LANGUAGE_ID);
  const lenses = new Lenses(parses);
  const timers = new Map<string, NodeJS.Timeout>();

  const diagnose = (doc: vscode.TextDocument) => {
    if (doc.languageId !== LANGUAGE_ID || doc.isClosed) return;
    diagnostics.set(doc.uri, parses.get(doc).diagnostics.map(toDiagnostic));
  };
  const later = (doc: vscode.TextDocument) => {
    const key = doc.uri.toString();
    clearTimeout(timers.get(key));
    timers.set(key, setTimeout(() => (timers.delete(key), diagnose(doc)), 150));
  };
  const all = () => vscode.workspace.textDocuments.forEach(diagnose);
  all();

  return [
    diagnostics,
    vscode.workspace.onDidOpenTextDocument(diagnose),
    vscode.workspace.onDidChangeTextDocument((e) => later(e.document)),
    vscode.workspace.onDidCloseTextDocument((doc) => {
      diagnostics.delete(doc.uri);
      parses.forget(doc);
    }),
    // A connection added or removed changes the "unknown connection" warnings.
    s.sessions.onDidChange((session) => {
      if (session) return;
      parses.stamp++;
      all();
      lenses.refresh();
    }),
    { dispose: () => timers.forEach((t) => clearTimeout(t)) },
    vscode.languages.registerCodeLensProvider(SELECTOR, lenses),
    vscode.languages.registerCompletionItemProvider(SELECTOR, { provideCompletionItems: complete }, '{', ':'),
    vscode.languages.registerHoverProvider(SELECTOR, { provideHover: hover }),
    vscode.languages.registerDocumentSymbolProvider(SELECTOR, {
      provideDocumentSymbols: (doc) =>
        parses.get(doc).messages.map((m) => {
          const full = new vscode.Range(m.line, 0, m.endLine, doc.lineAt(m.endLine).text.length);
          const detail = m.target ? `${m.target.kind} ${m.target.key}` : 'no target';
          return new vscode.DocumentSymbol(m.name || '(unnamed)', detail, vscode.SymbolKind.Event, full, doc.lineAt(m.line).range);
        }),
    }),
    vscode.languages.registerFoldingRangeProvider(SELECTOR, {
      provideFoldingRanges: (doc) => parses.get(doc).messages.filter((m) => m.endLine > m.line).map((m) => new vscode.FoldingRange(m.line, m.endLine, vscode.FoldingRangeKind.Region)),
    }),
  ];
}

function complete(doc: vscode.TextDocument, pos: vscode.Position): vscode.CompletionItem[] {
  const before = doc.lineAt(pos.line).text.slice(0, pos.character);
  const open = /\{\{\s*([A-Za-z]*)$/.exec(before);
  if (open) {
    const after = doc.lineAt(pos.line).text.slice(pos.character);
    const close = after.startsWith('}}') ? '' : '}}';
    return GENERATORS.map((g, i) => {
      const item = new vscode.CompletionItem(g.name, vscode.CompletionItemKind.Function);
      item.detail = `{{${g.name}${g.args ? `:${g.args}` : ''}}}`;
      item.documentation = new vscode.MarkdownString(`${g.doc}\n\n\`${g.example}\``);
      item.insertText = new vscode.SnippetString(`${g.name}${g.args && !g.args.startsWith('[') ? ':${1}' : '$1'}${close}`);
      item.sortText = String(i).padStart(3, '0');
      return item;
    });
  }
  if (/^\s*[a-z]*$/i.test(before)) {
    return Object.entries(KEYS).map(([k, doc]) => {
      const item = new vscode.CompletionItem(`${k}:`, vscode.CompletionItemKind.Property);
      item.insertText = `${k}: `;
      item.documentation = new vscode.MarkdownString(doc);
      return item;
    });
  }
  return [];
}

function hover(doc: vscode.TextDocument, pos: vscode.Position): vscode.Hover | undefined {
  const text = doc.lineAt(pos.line).text;
  for (const m of text.matchAll(TEMPLATE_AT)) {
    const start = m.index;
    const end = start + m[0].length;
    if (pos.character < start || pos.character > end) continue;
    const name = (m[1] ?? '').split(':')[0]!.trim().toLowerCase();
    const g = GENERATORS.find((x) => x.name.toLowerCase() === name);
    if (!g) return undefined;
    // No live sample of {{env}}: a hover is no place to show a variable's value.
    const sample = g.name === 'env' ? '' : `\n\nNow, e.g.: \`${renderTemplate(m[0])}\``;
    const md = new vscode.MarkdownString(`**{{${g.name}${g.args ? `:${g.args}` : ''}}}** — ${g.doc}\n\nExample: \`${g.example}\`${sample}`);
    return new vscode.Hover(md, new vscode.Range(pos.line, start, pos.line, end));
  }
  return undefined;
}
