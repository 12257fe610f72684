import * as vscode from 'vscode';

/** How long after a tab change the state is shown to the walkthrough, and for how long. */
const PULSE_AFTER_MS = 500;
const PULSE_FOR_MS = 1500;

/**
 * Lets the Get Started walkthrough check its Connect and Explore steps on what already exists.
 *
 * VS Code completes a step on a context key (`onContext:`) or a view (`onView:`) only when it
 * becomes true while the walkthrough watches. The walkthrough starts watching when it is first
 * opened, and a key already true then is never counted: a user who connected (or opened the view)
 * before opening the walkthrough saw "Connect" unchecked although a connection existed. So when
 * the active tab becomes one VS Code does not describe to extensions (the walkthrough is one),
 * `redisQueues:walkthrough.connected` and `redisQueues:walkthrough.explored` turn true a moment
 * later, for that state, and false again after: a change the walkthrough sees.
 */
export function registerWalkthroughPulse(state: { connected(): boolean; explored(): boolean }): vscode.Disposable {
  const timers = new Set<NodeJS.Timeout>();
  const later = (ms: number, fn: () => void) => {
    const t = setTimeout(() => {
      timers.delete(t);
      fn();
    }, ms);
    timers.add(t);
  };
  const set = (key: 'redisQueues:walkthrough.connected' | 'redisQueues:walkthrough.explored', value: boolean) => void vscode.commands.executeCommand('setContext', key, value);
  const pulse = () => {
    const tab = vscode.window.tabGroups.activeTabGroup.activeTab;
    if (!tab || tab.input !== undefined) return;
    later(PULSE_AFTER_MS, () => {
      if (state.connected()) set('redisQueues:walkthrough.connected', true);
      if (state.explored()) set('redisQueues:walkthrough.explored', true);
      later(PULSE_FOR_MS, () => {
        set('redisQueues:walkthrough.connected', false);
        set('redisQueues:walkthrough.explored', false);
      });
    });
  };
  const subs = [vscode.window.tabGroups.onDidChangeTabs(pulse), vscode.window.tabGroups.onDidChangeTabGroups(pulse)];
  pulse();
  return {
    dispose: () => {
      for (const s of subs) s.dispose();
      for (const t of timers) clearTimeout(t);
    },
  };
}
