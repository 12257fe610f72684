import * as vscode from 'vscode';
import { wrap } from '../commands/command';
import type { Services } from '../services';
import { registerLanguage } from './language';
import { newProducerFile, type NewFileArgs } from './newFile';
import { NEW_FILE_COMMAND, PUBLISH_COMMAND, publishFromFile, type PublishArgs } from './publish';

export { newProducerFile, publishFromFile };
export type { NewFileArgs, PublishArgs };

/**
 * Producer files (`*.redisq`): the two commands (New Producer File; Publish, used by the
 * CodeLenses) and the language features (diagnostics, lenses, completion, hovers, outline).
 */
export function registerProducerFiles(s: Services): vscode.Disposable[] {
  return [
    vscode.commands.registerCommand(NEW_FILE_COMMAND, wrap(NEW_FILE_COMMAND, (args?: NewFileArgs) => newProducerFile(s, args))),
    vscode.commands.registerCommand(PUBLISH_COMMAND, wrap(PUBLISH_COMMAND, (args?: PublishArgs) => publishFromFile(s, args))),
    ...registerLanguage(s),
  ];
}
