import * as vscode from 'vscode';

/** Text for an HTML attribute value. */
export function attr(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * The one page shape of this extension's webviews: a strict Content-Security-Policy (nothing but
 * the extension's own media: no inline script, no remote resource), the view's stylesheet and
 * script from `media/`, and its body. Configuration travels in `data-` attributes of the body.
 */
export function webviewPage(
  webview: vscode.Webview,
  media: vscode.Uri,
  { name, title, data = {}, body, libraries = [] }: { name: string; title: string; data?: Record<string, string | number>; body: string; libraries?: vscode.Uri[] },
): string {
  const script = webview.asWebviewUri(vscode.Uri.joinPath(media, `${name}.js`));
  const style = webview.asWebviewUri(vscode.Uri.joinPath(media, `${name}.css`));
  // Libraries the page's script uses (a .js and its .css), loaded before it.
  const libs = libraries.map((u) => webview.asWebviewUri(u));
  const libStyles = libs.filter((u) => u.path.endsWith('.css')).map((u) => `<link rel="stylesheet" href="${u}">\n`).join('');
  const libScripts = libs.filter((u) => u.path.endsWith('.js')).map((u) => `<script src="${u}"></script>\n`).join('');
  const csp = `default-src 'none'; img-src ${webview.cspSource}; style-src ${webview.cspSource}; script-src ${webview.cspSource}; font-src ${webview.cspSource};`;
  const attrs = Object.entries(data)
    .map(([k, v]) => ` data-${k}="${attr(String(v))}"`)
    .join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${libStyles}<link rel="stylesheet" href="${style}">
<title>${attr(title)}</title>
</head>
<body${attrs}>
${body}
${libScripts}<script src="${script}"></script>
</body>
</html>`;
}

/** What a {@link PanelRegistry} holds: a webview panel under a key, that forgets itself when disposed. */
export interface KeyedPanel extends vscode.Disposable {
  readonly key: string;
  readonly panel: vscode.WebviewPanel;
}

/**
 * The open panels of one kind (journeys, dashboards, tables), one per key: opening a key that is
 * open reveals its panel instead of making a second; a panel forgets itself when it is closed.
 */
export class PanelRegistry<P extends KeyedPanel> implements vscode.Disposable {
  private readonly panels = new Map<string, P>();

  /** The panel under `key` (revealed), or a new one from `create` (remembered); `fresh` says which. */
  open(key: string, create: () => P): { panel: P; fresh: boolean } {
    const open = this.panels.get(key);
    if (open) {
      open.panel.reveal(undefined, false);
      return { panel: open, fresh: false };
    }
    const p = create();
    this.panels.set(key, p);
    return { panel: p, fresh: true };
  }

  get(key: string): P | undefined {
    return this.panels.get(key);
  }

  list(): P[] {
    return [...this.panels.values()];
  }

  /** Called by a panel as it is disposed. */
  forget(p: P): void {
    if (this.panels.get(p.key) === p) this.panels.delete(p.key);
  }

  dispose(): void {
    for (const p of [...this.panels.values()]) p.dispose();
    this.panels.clear();
  }
}
