import * as vscode from 'vscode';
import { type QueueError, toQueueError } from '../../core/internal';

/** Thrown (or rejected) when the user dismissed a prompt: the command ends silently. */
export class Cancelled extends Error {
  constructor() {
    super('cancelled');
  }
}

/** Returns the value, or throws {@link Cancelled} when a prompt returned undefined. */
export function required<T>(value: T | undefined): T {
  if (value === undefined) throw new Cancelled();
  return value;
}

/** A command that failed: its id, and the error whose message the user was shown. */
export interface CommandFailure {
  readonly command: string;
  readonly error: QueueError;
}

const failures = new vscode.EventEmitter<CommandFailure>();
/**
 * Fires when a wrapped command fails, after its message is shown (a cancelled prompt is not a
 * failure). The command itself resolves to undefined; this is how a caller (or a test) that ran
 * it learns why. Exposed as `Services.onDidFailCommand`.
 */
export const onDidFailCommand: vscode.Event<CommandFailure> = failures.event;

/**
 * Wraps a command: core errors become one readable message (never a stack, never a secret),
 * cancellation is silent, and the result is returned (so tests can await commands). A failure
 * resolves to undefined and fires {@link onDidFailCommand}.
 */
export function wrap<A extends unknown[], R>(id: string, fn: (...args: A) => Promise<R> | R): (...args: A) => Promise<R | undefined> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (e) {
      if (e instanceof Cancelled) return undefined;
      const err = toQueueError(e);
      void vscode.window.showErrorMessage(`Redis Queues: ${err.message}`);
      failures.fire({ command: id, error: err });
      console.error(`[redis-queues] ${id}: ${err.message}`);
      return undefined;
    }
  };
}
