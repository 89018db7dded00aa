// The one entry point the app uses to tell people about updates: decides with the reminder policy,
// shows through the desktop's notification server, remembers what was said, and reports buttons.
//
// One notification per kind is on screen at a time: a newer notice of the same kind replaces the
// older one in place (replaces_id) instead of stacking. Notices that could not be shown for lack of
// a server wait, latest per kind, and go out when a server appears.

import type { HistoryError } from './notice-history.ts';
import { historyFile, readHistory, writeHistory } from './notice-history.ts';
import { DesktopNotifications, NotifyError, type Availability } from './desktop-notifications.ts';
import { Listeners } from './listeners.ts';
import { noticeNotification, noticeProblem, type Notice, type NoticeAction, type NoticeKind } from './notices.ts';
import { decideNotice, EMPTY_HISTORY, mergeHistories, recordShown, type Cadence, type NoticeHistory } from './reminder-policy.ts';

export interface UpdateNotifierOptions {
  /** The app config's `reminders`. */
  readonly reminders: Cadence;
  /** Where the history lives; defaults to historyFile(env). */
  readonly historyFile?: string;
  readonly env?: NodeJS.ProcessEnv;
  /** Milliseconds since the epoch; tests pass their own. */
  readonly clock?: () => number;
  /** A client to use instead of connecting one; the notifier then leaves it open on close(). */
  readonly notifications?: DesktopNotifications;
}

export type NoticeOutcome =
  | { readonly status: 'shown'; readonly id: number; readonly reason: 'new' | 'reminder'; readonly replaced: boolean }
  | { readonly status: 'quiet'; readonly nextReminderAt: number }
  /** No notification server (or bus) now; shown when one appears, if still due then. */
  | { readonly status: 'deferred'; readonly error: NotifyError }
  | { readonly status: 'failed'; readonly error: NotifyError };

/** A person pressed a button on one of the app's notices. */
export interface NoticeActionEvent {
  readonly action: NoticeAction;
  readonly notice: Notice;
  /** Pass to the window being raised (XDG activation) when present. */
  readonly activationToken?: string;
}

interface OnScreen {
  readonly id: number;
  readonly notice: Notice;
  readonly actionsByKey: ReadonlyMap<string, NoticeAction>;
}

export class UpdateNotifier {
  readonly #client: DesktopNotifications;
  readonly #ownsClient: boolean;
  readonly #cadence: Cadence;
  readonly #file: string;
  readonly #clock: () => number;
  #history: NoticeHistory = EMPTY_HISTORY;
  #historyProblem: HistoryError | undefined;
  readonly #onScreen = new Map<NoticeKind, OnScreen>();
  readonly #waiting = new Map<NoticeKind, Notice>();
  readonly #actions = new Listeners<NoticeActionEvent>();
  readonly #unsubscribe: Array<() => void> = [];
  // Notices are handled one at a time so replaces_id and the history never race.
  #queue: Promise<unknown> = Promise.resolve();

  private constructor(client: DesktopNotifications, ownsClient: boolean, options: UpdateNotifierOptions) {
    this.#client = client;
    this.#ownsClient = ownsClient;
    this.#cadence = options.reminders;
    this.#file = options.historyFile ?? historyFile(options.env);
    this.#clock = options.clock ?? Date.now;
    this.#unsubscribe.push(
      client.onAction((event) => {
        const shown = [...this.#onScreen.values()].find((s) => s.id === event.id);
        const action = shown?.actionsByKey.get(event.actionKey);
        if (!shown || !action) return;
        this.#actions.emit({ action, notice: shown.notice, ...(event.activationToken ? { activationToken: event.activationToken } : {}) });
      }),
      client.onClosed((event) => {
        for (const [kind, shown] of this.#onScreen) if (shown.id === event.id) this.#onScreen.delete(kind);
      }),
      client.onAvailability((availability) => {
        // Whatever was on screen went with the old server.
        this.#onScreen.clear();
        if (availability.status === 'available') void this.#enqueue(() => this.#deliverWaiting());
      }),
    );
  }

  static async open(options: UpdateNotifierOptions): Promise<UpdateNotifier> {
    const client = options.notifications ?? (await DesktopNotifications.connect({ ...(options.env ? { env: options.env } : {}) }));
    const notifier = new UpdateNotifier(client, options.notifications === undefined, options);
    await notifier.#enqueue(() => notifier.#loadHistory());
    return notifier;
  }

  /** Whether notices can be shown now, and if not, why. */
  get availability(): Availability {
    return this.#client.availability;
  }

  /** Trouble with the history file (ignored or unwritable) since it was last written; for the doctor. */
  get historyProblem(): HistoryError | undefined {
    return this.#historyProblem;
  }

  /** Shows `notice` if the reminder policy says it is due; never rejects. */
  notify(notice: Notice): Promise<NoticeOutcome> {
    return this.#enqueue(() => this.#notify(notice));
  }

  /** Calls `callback` when a button on one of the app's notices is pressed; returns an unsubscribe. */
  onAction(callback: (event: NoticeActionEvent) => void): () => void {
    return this.#actions.add(callback);
  }

  /** The matter is settled (update installed or discarded, host migrated): take its notice down. */
  withdraw(kind: NoticeKind): Promise<void> {
    return this.#enqueue(async () => {
      this.#waiting.delete(kind);
      const shown = this.#onScreen.get(kind);
      this.#onScreen.delete(kind);
      if (shown) await this.#client.close(shown.id).catch(() => {});
    });
  }

  async close(): Promise<void> {
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.#actions.clear();
    await this.#queue;
    if (this.#ownsClient) this.#client.disconnect();
  }

  #enqueue<T>(task: () => Promise<T>): Promise<T> {
    const run = this.#queue.then(task);
    this.#queue = run.catch(() => {});
    return run;
  }

  async #loadHistory(): Promise<void> {
    const { history, problem } = await readHistory(this.#file);
    this.#history = mergeHistories(this.#history, history);
    if (problem) this.#historyProblem = problem;
  }

  async #notify(notice: Notice): Promise<NoticeOutcome> {
    const problem = noticeProblem(notice);
    if (problem !== undefined) {
      return { status: 'failed', error: new NotifyError('invalid-notice', `The ${notice.kind} notice was not shown because ${problem}; this is a bug in Vespera Updates, please report it.`) };
    }
    // Another process (the CLI, a second session) may have announced something since.
    await this.#loadHistory();
    const decision = decideNotice(notice, this.#history, this.#clock(), this.#cadence);
    if (!decision.notify) {
      this.#waiting.delete(notice.kind);
      return { status: 'quiet', nextReminderAt: decision.nextReminderAt };
    }
    // The words depend on the server (buttons, markup), so find out what is there first.
    const availability = await this.#client.ready();
    if (availability.status === 'unavailable') return this.#defer(notice, availability.error);
    const { content, actionsByKey } = noticeNotification(notice, availability.capabilities);
    const previous = this.#onScreen.get(notice.kind);
    let id: number;
    try {
      id = await this.#client.show(content, previous ? { replaces: previous.id } : {});
    } catch (error) {
      const notifyError = error instanceof NotifyError ? error : new NotifyError('server-refused', String(error));
      if (notifyError.code === 'no-server' || notifyError.code === 'no-session-bus') return this.#defer(notice, notifyError);
      return { status: 'failed', error: notifyError };
    }
    this.#waiting.delete(notice.kind);
    this.#onScreen.set(notice.kind, { id, notice, actionsByKey });
    this.#history = recordShown(this.#history, notice, this.#clock());
    try {
      await writeHistory(this.#file, this.#history);
      this.#historyProblem = undefined;
    } catch (error) {
      this.#historyProblem = error as HistoryError;
    }
    return { status: 'shown', id, reason: decision.reason, replaced: previous?.id === id };
  }

  #defer(notice: Notice, error: NotifyError): NoticeOutcome {
    this.#waiting.set(notice.kind, notice);
    return { status: 'deferred', error };
  }

  async #deliverWaiting(): Promise<void> {
    const waiting = [...this.#waiting.values()];
    for (const notice of waiting) await this.#notify(notice);
  }
}
