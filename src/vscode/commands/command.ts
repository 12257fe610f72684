import * as vscode from 'vscode';
import { toQueueError } from '../../core';

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

/**
 * Wraps a command: core errors become one readable message (never a stack, never a secret),
 * cancellation is silent, and the result is returned (so tests can await commands).
 */
export function wrap<A extends unknown[], R>(id: string, fn: (...args: A) => Promise<R> | R): (...args: A) => Promise<R | undefined> {
  return async (...args: A) => {
    try {
      return await fn(...args);
    } catch (e) {
      if (e instanceof Cancelled) return undefined;
      const err = toQueueError(e);
      void vscode.window.showErrorMessage(`Redis Queues: ${err.message}`);
      // Tests and callers that await the command see the failure too.
      if (process.env.RQ_COMMANDS_THROW === '1') throw err;
      console.error(`[redis-queues] ${id}: ${err.message}`);
      return undefined;
    }
  };
}
