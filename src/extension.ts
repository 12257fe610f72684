import type * as vscode from 'vscode';
import { activateExtension } from './vscode/activate';

export function activate(context: vscode.ExtensionContext) {
  return activateExtension(context);
}

export function deactivate(): void {
  // Disposables registered on the context are released by VS Code.
}
