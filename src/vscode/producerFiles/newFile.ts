import * as vscode from 'vscode';
import { required } from '../commands/command';
import type { Services } from '../services';
import { LANGUAGE_ID } from './publish';

export interface NewFileArgs {
  /** `untitled` (default without a workspace) or `workspace` (a new file in the first folder, or the one given). */
  where?: 'untitled' | 'workspace';
  folder?: vscode.Uri;
}

/** Opens the sample producer file (every feature, commented) as an untitled document or a new file in the workspace. */
export async function newProducerFile(s: Services, args: NewFileArgs = {}): Promise<string> {
  const bytes = await vscode.workspace.fs.readFile(vscode.Uri.joinPath(s.context.extensionUri, 'media', 'sample.redisq'));
  const content = Buffer.from(bytes).toString('utf8');
  const folders = vscode.workspace.workspaceFolders ?? [];
  let where = args.where;
  let folder: vscode.Uri | undefined = args.folder ?? folders[0]?.uri;
  if (!where) {
    if (!folders.length) where = 'untitled';
    else {
      const picked = required(
        await s.ui.pick<{ where: 'untitled' | 'workspace'; folder: vscode.Uri | undefined }>(
          [
            { label: '$(new-file) Untitled file', description: 'save it later as *.redisq', value: { where: 'untitled', folder: undefined } },
            ...folders.map((f) => ({ label: `$(folder) New file in ${f.name}`, description: 'producer.redisq', value: { where: 'workspace' as const, folder: f.uri } })),
          ],
          { title: 'New producer file' },
        ),
      );
      where = picked.where;
      folder = picked.folder;
    }
  }
  let doc: vscode.TextDocument;
  if (where === 'workspace') {
    if (!folder) throw new Error('No workspace folder is open: create an untitled producer file instead');
    const uri = await freeName(folder);
    await vscode.workspace.fs.writeFile(uri, Buffer.from(content, 'utf8'));
    doc = await vscode.workspace.openTextDocument(uri);
  } else {
    doc = await vscode.workspace.openTextDocument({ language: LANGUAGE_ID, content });
  }
  await vscode.window.showTextDocument(doc);
  return doc.uri.toString();
}

async function freeName(folder: vscode.Uri): Promise<vscode.Uri> {
  for (let i = 1; ; i++) {
    const uri = vscode.Uri.joinPath(folder, i === 1 ? 'producer.redisq' : `producer-${i}.redisq`);
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      return uri;
    }
  }
}
