import * as vscode from 'vscode';
import { messageObject, parseId } from '../../core/internal';
import type { Session } from '../connections/session';
import { entryUri } from '../entryDocument';

/** A stream entry named by its connection, stream and id (what a tail row knows of its entry). */
export interface StreamEntryRef {
  connection: string;
  stream: string;
  id: string;
}

/**
 * Opens a stream entry as the same read-only JSON document the tree opens (`redisQueues.entry.open`),
 * by connection, stream and id: the document reads the entry from Redis when it is shown, so a
 * tail needs to keep nothing of the entry to open it. Beside the active editor by default (a tail
 * stays in view), as a preview, without taking the focus.
 */
export async function openStreamEntry(ref: StreamEntryRef, show: vscode.TextDocumentShowOptions = {}): Promise<vscode.TextDocument> {
  parseId(ref.id);
  let doc = await vscode.workspace.openTextDocument(entryUri({ connection: ref.connection, kind: 'stream', key: ref.stream, id: ref.id }));
  doc = await vscode.languages.setTextDocumentLanguage(doc, 'json');
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, preview: true, preserveFocus: true, ...show });
  return doc;
}

/**
 * A stream entry as lossless JSON (the form "Copy as JSON" gives in the tree: `pairs` in order,
 * binary as {"base64"}, plus the `fields` record), read now with XRANGE id id on the session's
 * connection. `undefined` when the entry is no longer in the stream (deleted or trimmed).
 */
export async function streamEntryJson(session: Session, stream: string, id: string): Promise<string | undefined> {
  parseId(id);
  const entry = await session.run((insp) => insp.entry(stream, id));
  if (!entry?.raw) return undefined;
  return JSON.stringify(messageObject({ id: entry.id, stream }, entry.raw), null, 2);
}
