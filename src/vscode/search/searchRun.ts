import * as vscode from 'vscode';
import {
  BadInputError,
  MessageSearch,
  type QueueError,
  type RedisClient,
  type SearchHit,
  type SearchProgress,
  type SearchQuery,
  type SearchSource,
  type SearchSummary,
  NoStreamError,
  close,
  formatCount,
  toQueueError,
} from '../../core/internal';
import type { Session } from '../connections/session';

/** Where a search looks: a stream (or dead-letter stream), or a group's pending entries (of one consumer). */
export interface SearchTarget {
  session: Session;
  source: SearchSource;
  /** Set when the search was started on a consumer: its pending entries only. */
  consumer?: string;
}

/** Running, or why the last walk ended. */
export type SearchState = 'running' | SearchSummary['stopped'] | 'error';

export interface SearchRunOptions {
  /** Stop each walk after this many matches ("Find More" goes on for as many again). */
  limit: number;
  /** Largest page of one call (MessageSearch's maxPage). */
  maxPage?: number;
}

let lastRunId = 0;

/**
 * One search of the Search Results view: its hits so far (every walk's, in the order found), its
 * live figures, and how its last walk ended. A walk reads on a connection of its own (opened for
 * the walk, closed after it), so a long search never queues the tree's reads behind its pages,
 * and a cancel stops it before its next call. "Find More" / "Resume" walk on from where the last
 * walk stopped.
 */
export class SearchRun implements vscode.Disposable {
  readonly id = ++lastRunId;
  readonly hits: SearchHit[] = [];
  state: SearchState = 'running';
  /** The current (or last) walk's figures, as MessageSearch reports them. */
  progress: SearchProgress = { examined: 0, matched: 0, calls: 0 };
  /** How the last walk ended. */
  summary?: SearchSummary;
  error?: QueueError;
  /** Entries examined and calls made by the walks before the current one. */
  private before = { examined: 0, calls: 0, elapsedMs: 0, fraction: 0 };
  /** Entries in the whole range (from the first walk: the stream's length, or the PEL's size). */
  total?: number;
  private abort?: AbortController;
  private walkStarted = Date.now();
  /** Hits before the current batch: a batch (the first walk, or Find More) stops after `limit` matches; Resume finishes the batch. */
  private batchStart = 0;
  private walking?: Promise<SearchSummary>;
  private readonly changed = new vscode.EventEmitter<SearchRun>();
  /** Fires on each page examined, each hit and each change of state (not throttled). */
  readonly onDidChange = this.changed.event;

  constructor(
    readonly target: SearchTarget,
    readonly query: SearchQuery,
    /** The text the user typed (kept in recent searches; the label). */
    readonly text: string,
    readonly options: SearchRunOptions,
  ) {}

  get session(): Session {
    return this.target.session;
  }
  get key(): string {
    return this.target.source.key;
  }
  get group(): string | undefined {
    return this.target.source.kind === 'pending' ? this.target.source.group : undefined;
  }
  get running(): boolean {
    return this.state === 'running';
  }
  /** The last walk stopped before the end (limit, cancel, budget): "Find More" / "Resume" go on. */
  get resumable(): boolean {
    return !this.running && this.state !== 'error' && this.state !== 'end' && Boolean(this.summary?.resume);
  }
  /** Entries examined over all walks. */
  get examined(): number {
    return this.before.examined + this.progress.examined;
  }
  /** Calls made to Redis over all walks. */
  get calls(): number {
    return this.before.calls + this.progress.calls;
  }
  /** Time spent walking, over all walks. */
  get elapsedMs(): number {
    return this.before.elapsedMs + (this.running ? Date.now() - this.walkStarted : (this.summary?.elapsedMs ?? 0));
  }
  /**
   * How far through the range, 0..1: by the entries examined when the range's size is known (a
   * whole stream's length or a PEL's size, read when the search started), otherwise about, by the
   * time in the ids (a bounded range; ids are not spread evenly over time, so it is "about").
   */
  get fraction(): number | undefined {
    if (this.state === 'end') return 1;
    if (this.total) return Math.min(1, this.examined / this.total);
    const f = this.progress.fraction;
    if (f === undefined) return this.before.fraction || undefined;
    return this.before.fraction + (1 - this.before.fraction) * f;
  }

  /** Where the search looks, for labels: "orders", "orders › billing (pending)". */
  get where(): string {
    const s = this.target.source;
    if (s.kind === 'stream') return s.key;
    const consumer = this.query.consumer ?? this.target.consumer;
    return `${s.key} › ${s.group}${consumer !== undefined ? ` › ${consumer}` : ''} (pending)`;
  }

  /** The percentage shown: by count when the range's size is known, "about" by the ids' times otherwise. */
  get percent(): string | undefined {
    const f = this.fraction;
    if (f === undefined) return undefined;
    return `${this.total || this.state === 'end' ? '' : 'about '}${Math.floor(f * 100)} %`;
  }

  /** Where the current batch stops: its matches so far plus what is left of `limit` (Find More adds `limit`). */
  get stopsAt(): number {
    return this.batchStart + this.options.limit;
  }

  /**
   * The figures for the results row: "3 matches · 25,000 of 1,000,000 examined · 2 %", then how it
   * ended. One word per state, the same as its action: Stop Search → "stopped" → Resume.
   */
  describe(): string {
    const n = this.hits.length;
    const matches = `${formatCount(n)} match${n === 1 ? '' : 'es'}`;
    const pct = this.percent;
    switch (this.state) {
      case 'running':
        return [matches, `${formatCount(this.examined)}${this.total ? ` of ${formatCount(this.total)}` : ''} examined`, pct].filter(Boolean).join(' · ');
      case 'end':
        return `${matches} · ${formatCount(this.examined)} examined · done`;
      case 'limit':
        return `${matches} · stopped at ${formatCount(n)} (limit) · Find More`;
      case 'cancelled':
        return `${matches} · stopped${pct ? ` at ${pct}` : ''}${this.resumable ? ' · Resume' : ''}`;
      case 'budget':
        return `${matches} · stopped (budget)${pct ? ` at ${pct}` : ''}${this.resumable ? ' · Resume' : ''}`;
      case 'error':
        return `${matches} · failed`;
    }
  }

  /** Stops the walk in progress before its next call to Redis (a no-op when none runs). */
  cancel(): void {
    this.abort?.abort();
  }

  /** Waits for the walk in progress, if any. */
  settled(): Promise<SearchSummary | undefined> {
    return this.walking ? this.walking.then((s) => s, () => undefined) : Promise.resolve(this.summary);
  }

  /**
   * Walks the range: the first time from its start, then on after where the last walk stopped.
   * Hits are appended as they are found. Rejects (and the row shows the error) when Redis refuses.
   */
  walk(): Promise<SearchSummary> {
    if (this.walking) return this.walking;
    this.walking = this.doWalk().finally(() => {
      this.walking = undefined;
    });
    return this.walking;
  }

  private async doWalk(): Promise<SearchSummary> {
    const resume = this.summary?.resume;
    const first = this.summary === undefined;
    // After a cancel (or budget), Resume goes on with the same batch; after the limit, Find More starts a new one.
    if (first || this.state === 'limit') this.batchStart = this.hits.length;
    const limit = Math.max(1, this.batchStart + this.options.limit - this.hits.length);
    if (!first) {
      this.before = { examined: this.examined, calls: this.calls, elapsedMs: this.before.elapsedMs + (this.summary?.elapsedMs ?? 0), fraction: this.fraction ?? 0 };
      this.progress = { examined: 0, matched: 0, calls: 0 };
    }
    this.state = 'running';
    this.error = undefined;
    this.walkStarted = Date.now();
    const abort = (this.abort = new AbortController());
    this.fire();
    let client: RedisClient | undefined;
    try {
      // The session first (inside): Restricted Mode and a server that is down read as they do in the tree.
      client = await this.session.openOwnClient('search');
      const search = new MessageSearch(client, this.target.source, { ...this.query, limit }, {
        signal: abort.signal,
        resume,
        maxPage: this.options.maxPage,
        onProgress: (p) => {
          this.progress = { ...p };
          if (first && p.total !== undefined) this.total = p.total;
          this.fire();
        },
      });
      if (abort.signal.aborted) {
        this.summary = { ...this.progress, stopped: 'cancelled', resume: resume ?? this.summary?.resume, elapsedMs: 0, largestPage: 0 };
      } else {
        for await (const hit of search) {
          this.hits.push(hit);
          this.fire();
        }
        this.summary = search.summary!;
        // A cancelled first walk that had not examined anything yet resumes from the start.
        if (this.summary.stopped === 'cancelled' && !this.summary.resume && resume) this.summary.resume = resume;
      }
      this.progress = { ...this.progress, ...this.summary };
      this.state = this.summary.stopped;
      return this.summary;
    } catch (e) {
      // A missing key is said with the connection's name (the core's search refuses it: XRANGE on a missing key is just empty).
      this.error = e instanceof NoStreamError ? new BadInputError(`There is no stream "${this.key}" on "${this.session.name}" (the key does not exist)`) : toQueueError(e, { key: this.key, group: this.group });
      this.state = 'error';
      throw this.error;
    } finally {
      if (this.abort === abort) this.abort = undefined;
      close(client);
      this.fire();
    }
  }

  private fire(): void {
    this.changed.fire(this);
  }

  dispose(): void {
    this.cancel();
    this.changed.dispose();
  }
}
