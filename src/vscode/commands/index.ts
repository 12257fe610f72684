import * as vscode from 'vscode';
import type { Services } from '../services';
import { wrap } from './command';
import * as connections from './connections';
import * as explorer from './explorer';
import * as sandbox from './sandbox';
import * as pending from './pending';
import * as admin from './admin';
import * as copy from './copy';
import * as live from './live';
import * as discovery from './discovery';
import * as search from './search';
import * as journey from './journey';
import * as transfer from './transfer';
import * as handler from './handler';
import * as bullmq from './bullmq';
import { FRAMEWORKS } from '../../core/frameworks/readers';
import { findFrameworkJobs, exportFrameworkJobs, frameworkJobAction } from './frameworks';
import { allowProductionWrites } from '../agent/productionWrites';

type Handler = (s: Services, ...args: never[]) => unknown;

/** The one registration table: command id → handler. Titles, icons and menus live in package.json. */
export const COMMANDS: Record<string, Handler> = {
  'redisQueues.connection.add': connections.addConnection,
  'redisQueues.agent.allowProductionWrites': allowProductionWrites,
  'redisQueues.connection.addLocal': connections.addLocalConnection,
  'redisQueues.connection.edit': connections.editConnection,
  'redisQueues.connection.remove': connections.removeConnection,
  'redisQueues.connection.test': connections.testConnectionCommand,
  'redisQueues.connection.retry': (s: Services, arg?: unknown) => connections.retryConnection(s, arg),
  'redisQueues.connection.connectAnyway': (s: Services, arg?: unknown) => connections.retryConnection(s, arg, true),
  'redisQueues.explorer.refresh': explorer.refresh,
  'redisQueues.explorer.refreshNode': explorer.refresh,
  'redisQueues.explorer.loadMore': explorer.loadMore,
  'redisQueues.explorer.setFilter': explorer.setFilter,
  'redisQueues.discovery.scanMore': discovery.scanMore,
  'redisQueues.discovery.scanAll': discovery.scanAll,
  'redisQueues.discovery.rescan': discovery.rescan,
  'redisQueues.discovery.pin': discovery.pin,
  'redisQueues.discovery.forget': discovery.forget,
  'redisQueues.entry.open': explorer.openEntry,
  'redisQueues.entry.copyId': explorer.copyId,
  'redisQueues.entry.copyJson': copy.copyAsJson,
  'redisQueues.copyRedisCli': copy.copyRedisCli,
  'redisQueues.pending.ack': pending.ackPending,
  'redisQueues.pending.claim': pending.claimPending,
  'redisQueues.pending.deadLetter': pending.deadLetterPending,
  'redisQueues.group.autoClaim': pending.autoClaim,
  'redisQueues.group.create': admin.createGroup,
  'redisQueues.group.setId': admin.setGroupId,
  'redisQueues.group.destroy': admin.destroyGroup,
  'redisQueues.consumer.delete': admin.deleteConsumer,
  'redisQueues.stream.trim': admin.trimStream,
  'redisQueues.entry.delete': admin.deleteEntries,
  'redisQueues.dlq.replay': admin.replayDeadLetters,
  'redisQueues.list.requeue': admin.requeueJobs,
  'redisQueues.list.retryDead': admin.retryDeadJobs,
  'redisQueues.list.deleteJob': admin.deleteJob,
  'redisQueues.publish': live.publish,
  'redisQueues.tail.open': live.openTail,
  'redisQueues.dashboard.show': live.showDashboard,
  'redisQueues.tables.show': live.showTables,
  'redisQueues.debug.start': live.debugConsumer,
  'redisQueues.sandbox.start': sandbox.startSandbox,
  'redisQueues.sandbox.stop': sandbox.stopSandbox,
  'redisQueues.search': search.search,
  'redisQueues.search.findMore': search.findMore,
  'redisQueues.search.stop': search.stopSearch,
  'redisQueues.search.remove': search.removeSearch,
  'redisQueues.search.clear': search.clearSearches,
  'redisQueues.search.help': search.searchHelp,
  'redisQueues.entries.goToTime': search.goToTime,
  'redisQueues.entries.newer': (s: Services, node?: unknown) => search.pageEntries(s, node, 'newer'),
  'redisQueues.entries.older': (s: Services, node?: unknown) => search.pageEntries(s, node, 'older'),
  'redisQueues.entries.backToNewest': search.backToNewest,
  'redisQueues.handler.run': handler.runHandlerCommand,
  'redisQueues.handler.debug': handler.debugHandlerCommand,
  'redisQueues.handler.debugFromFile': handler.debugHandlerFromFile,
  'redisQueues.journey': journey.showJourney,
  'redisQueues.journey.find': journey.showJourney,
  'redisQueues.bullmq.retry': bullmq.retryJobs,
  'redisQueues.bullmq.promote': bullmq.promoteJobs,
  'redisQueues.bullmq.remove': bullmq.removeJobs,
  'redisQueues.bullmq.clean': bullmq.cleanJobs,
  'redisQueues.bullmq.pause': bullmq.pauseQueue,
  'redisQueues.bullmq.resume': bullmq.resumeQueue,
  'redisQueues.bullmq.history': bullmq.showJobHistory,
  'redisQueues.frameworks.findJobs': findFrameworkJobs,
  'redisQueues.frameworks.exportJobs': exportFrameworkJobs,
  // The frameworks' job actions: redisQueues.<framework>.<action> (RQ's Requeue and Delete…).
  ...Object.fromEntries(
    FRAMEWORKS.flatMap((f) => f.actions.map((a) => [`redisQueues.${f.reader.framework}.${a.name}`, (s: Services, node?: unknown, selected?: unknown[]) => frameworkJobAction(s, f.reader.framework, a.name, node, selected)])),
  ),
  'redisQueues.export': transfer.exportMessages,
  'redisQueues.import': transfer.importMessages,
};

export function registerCommands(s: Services): vscode.Disposable[] {
  return Object.entries(COMMANDS).map(([id, fn]) =>
    vscode.commands.registerCommand(id, wrap(id, (...args: unknown[]) => (fn as (s: Services, ...a: unknown[]) => unknown)(s, ...args))),
  );
}
