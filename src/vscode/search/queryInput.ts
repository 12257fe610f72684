import * as vscode from 'vscode';

export interface QueryPromptOptions {
  title: string;
  placeholder: string;
  /** Recent searches, most recent first: offered as items. */
  recent: string[];
  value?: string;
  /** Why the text cannot be searched (shown under it, and Enter is refused), or undefined. */
  validate(text: string): string | undefined;
  /** Opens the search syntax (the "?" button). */
  help(): void;
}

interface Item extends vscode.QuickPickItem {
  text?: string;
  /** The row of what is typed (not a recent search). */
  typed?: boolean;
}

const HELP_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('question'), tooltip: 'Search syntax' };
const EDIT_BUTTON: vscode.QuickInputButton = { iconPath: new vscode.ThemeIcon('edit'), tooltip: 'Edit this search' };

/**
 * The search box: a quick pick whose first row is what is typed (with why it cannot be searched,
 * when it cannot: a bad regular expression or time is explained before anything runs) and whose
 * other rows are the recent searches. Enter on a recent search runs it; its pencil puts it in the
 * box to edit. Resolves with the text, or undefined when dismissed.
 */
export function askQuery(o: QueryPromptOptions): Promise<string | undefined> {
  return new Promise((resolve) => {
    const qp = vscode.window.createQuickPick<Item>();
    qp.title = o.title;
    qp.placeholder = o.placeholder;
    qp.matchOnDescription = true;
    qp.ignoreFocusOut = true;
    qp.buttons = [HELP_BUTTON];
    const recent: Item[] = o.recent.map((text) => ({ label: text, text, description: 'recent', iconPath: new vscode.ThemeIcon('history'), buttons: [EDIT_BUTTON] }));
    let problem: string | undefined;
    const update = (value: string) => {
      problem = value.trim() ? o.validate(value) : undefined;
      const typed: Item | undefined = value.trim()
        ? problem
          ? { label: value, typed: true, text: value, alwaysShow: true, iconPath: new vscode.ThemeIcon('error', new vscode.ThemeColor('errorForeground')), description: 'cannot search this', detail: problem }
          : { label: value, typed: true, text: value, alwaysShow: true, iconPath: new vscode.ThemeIcon('search'), description: 'Enter to search' }
        : undefined;
      qp.items = typed ? [typed, ...recent.filter((r) => r.text !== value.trim())] : recent.length ? recent : [{ label: 'Type what to find (see the ? for the syntax); Enter on an empty box lists every entry', alwaysShow: true, typed: true, text: '' }];
      if (typed) qp.activeItems = [typed];
    };
    let done = false;
    const finish = (v: string | undefined) => {
      if (done) return;
      done = true;
      resolve(v);
      qp.dispose();
    };
    qp.onDidChangeValue(update);
    qp.onDidTriggerButton((b) => {
      if (b === HELP_BUTTON) o.help();
    });
    qp.onDidTriggerItemButton((e) => {
      qp.value = e.item.text ?? e.item.label;
      update(qp.value);
    });
    qp.onDidAccept(() => {
      const item = qp.selectedItems[0] ?? qp.activeItems[0];
      if (item && !item.typed) return finish(item.text ?? item.label);
      if (problem) return; // stays open; the row says why
      finish(qp.value.trim());
    });
    qp.onDidHide(() => finish(undefined));
    qp.value = o.value ?? '';
    update(qp.value);
    qp.show();
  });
}
