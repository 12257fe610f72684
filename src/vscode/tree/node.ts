import * as vscode from 'vscode';

/** A tree node: a stable id, how it looks, and (for expandable nodes) how to list its children. */
export interface Node {
  readonly id: string;
  readonly parent?: Node;
  item(): vscode.TreeItem;
  children?(): Promise<Node[]>;
}

/** Builds a child id from a parent id and a segment (segments are URI-encoded, so ids stay unique). */
export function childId(parent: Node | undefined, ...segments: string[]): string {
  return [parent?.id ?? 'rq', ...segments.map((s) => encodeURIComponent(s))].join('/');
}

/** An informational leaf ("No consumer groups"). */
export class InfoNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: Node,
    private readonly label: string,
    private readonly tooltip?: string,
    private readonly icon = 'info',
  ) {
    this.id = childId(parent, '~info', label);
  }
  item(): vscode.TreeItem {
    const t = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.iconPath = new vscode.ThemeIcon(this.icon);
    t.tooltip = this.tooltip;
    t.contextValue = 'info';
    return t;
  }
}

/** A failure shown in place ("Cannot connect: …"), with an optional action on click. */
export class ErrorNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: Node,
    readonly message: string,
    private readonly action?: vscode.Command,
  ) {
    this.id = childId(parent, '~error');
  }
  item(): vscode.TreeItem {
    const t = new vscode.TreeItem(this.message, vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    t.tooltip = this.action ? `${this.message}\n\nClick to ${this.action.title.toLowerCase()}.` : this.message;
    t.command = this.action;
    t.contextValue = 'error';
    return t;
  }
}

/** "Load more" at the end of a page; clicking it loads the next page of its parent. */
export class LoadMoreNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: Node,
    private readonly label = 'Load more…',
  ) {
    this.id = childId(parent, '~more');
  }
  item(): vscode.TreeItem {
    const t = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.iconPath = new vscode.ThemeIcon('ellipsis');
    t.command = { command: 'redisQueues.explorer.loadMore', title: 'Load more', arguments: [this] };
    t.contextValue = 'loadMore';
    return t;
  }
}
