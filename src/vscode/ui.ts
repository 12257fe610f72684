import * as vscode from 'vscode';
import { type QueryPromptOptions, askQuery } from './search/queryInput';

export interface PickItem<T> extends vscode.QuickPickItem {
  value: T;
}

/**
 * Every question a command asks goes through here. The default asks with VS Code's own prompts;
 * the extension-host tests swap in scripted answers so that each confirmation's text and its
 * cancel path are exercised for real.
 */
export interface Prompter {
  pick<T>(items: PickItem<T>[], options: { title: string; placeHolder?: string }): Promise<T | undefined>;
  /**
   * Ticks some of `items`. With `back`, the box has VS Code's own Back button (top left, as in
   * multi-step inputs): pressing it answers `[back]`, never a ticked item.
   */
  pickMany<T>(items: PickItem<T>[], options: { title: string; back?: T }): Promise<T[] | undefined>;
  input(options: { title: string; prompt?: string; value?: string; password?: boolean; validate?: (v: string) => string | undefined }): Promise<string | undefined>;
  /** A modal that states the impact; true only when the user chose `button`. */
  confirm(message: string, detail: string, button: string): Promise<boolean>;
  info(message: string): void;
  warn(message: string): void;
  /** The search box (recent searches, validation as you type, a "?" for the syntax). Without it, {@link input} asks. */
  query?(options: QueryPromptOptions): Promise<string | undefined>;
}

export const vscodePrompter: Prompter = {
  async pick(items, options) {
    return (await vscode.window.showQuickPick(items, { title: options.title, placeHolder: options.placeHolder }))?.value;
  },
  async pickMany(items, options) {
    if (options.back === undefined) return (await vscode.window.showQuickPick(items, { title: options.title, canPickMany: true }))?.map((i) => i.value);
    const back = options.back as (typeof items)[number]['value'];
    return new Promise((resolve) => {
      const qp = vscode.window.createQuickPick<(typeof items)[number]>();
      qp.title = options.title;
      qp.canSelectMany = true;
      qp.items = items;
      qp.selectedItems = items.filter((i) => i.picked);
      qp.buttons = [vscode.QuickInputButtons.Back];
      let answer: (typeof back)[] | undefined;
      qp.onDidTriggerButton((b) => {
        if (b !== vscode.QuickInputButtons.Back) return;
        answer = [back];
        qp.hide();
      });
      qp.onDidAccept(() => {
        answer = qp.selectedItems.map((i) => i.value);
        qp.hide();
      });
      qp.onDidHide(() => {
        qp.dispose();
        resolve(answer);
      });
      qp.show();
    });
  },
  input(options) {
    return Promise.resolve(vscode.window.showInputBox({ title: options.title, prompt: options.prompt, value: options.value, password: options.password, validateInput: options.validate }));
  },
  async confirm(message, detail, button) {
    return (await vscode.window.showWarningMessage(message, { modal: true, detail }, button)) === button;
  },
  info(message) {
    void vscode.window.showInformationMessage(message);
  },
  warn(message) {
    void vscode.window.showWarningMessage(message);
  },
  query: askQuery,
};
