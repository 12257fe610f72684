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

/**
 * A failure shown in place ("Cannot connect: …"), with an optional action on click. With
 * `actions` ("Retry", "Edit Connection…") it is drawn expanded, the actions as its child rows.
 */
export class ErrorNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: Node,
    readonly message: string,
    readonly action?: vscode.Command,
    private readonly extra: { description?: string; tooltip?: string; actions?: (self: ErrorNode) => Node[] } = {},
  ) {
    this.id = childId(parent, '~error');
    if (extra.actions) this.children = async () => extra.actions!(this);
  }
  children?: () => Promise<Node[]>;
  item(): vscode.TreeItem {
    const t = new vscode.TreeItem(this.message, this.extra.actions ? vscode.TreeItemCollapsibleState.Expanded : vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.iconPath = new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground'));
    t.description = this.extra.description;
    const text = this.extra.tooltip ?? this.message;
    t.tooltip = this.action ? `${text}\n\nClick to ${this.action.title.toLowerCase()}.` : text;
    t.command = this.action;
    t.contextValue = 'error';
    return t;
  }
}

/** A row that runs a command when clicked ("Retry", "Edit Connection…" under a failed connection). */
export class ActionNode implements Node {
  readonly id: string;
  constructor(
    readonly parent: Node,
    name: string,
    private readonly label: string,
    private readonly description: string,
    private readonly icon: string,
    readonly command: vscode.Command,
  ) {
    this.id = childId(parent, '~action', name);
  }
  item(): vscode.TreeItem {
    const t = new vscode.TreeItem(this.label, vscode.TreeItemCollapsibleState.None);
    t.id = this.id;
    t.iconPath = new vscode.ThemeIcon(this.icon);
    t.description = this.description;
    t.tooltip = `${this.label} (${this.description})`;
    t.command = this.command;
    t.contextValue = 'action';
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
