import type {
  AppInfo,
  ErrorInfo,
  HostKeyInfo,
  HostRole,
  NavigateTarget,
  Panel,
  ProfilesList,
  Result,
  ValueOf,
} from '../../../src-main/ipc/contract';
import { call } from './call';
import type { SliceCreator } from './types';

export interface Notice {
  id: number;
  kind: 'error' | 'info';
  message: string;
  nextStep: string | null;
}

export type HostTestResult = ValueOf<'onboarding.testHost'>;
export type HostTest =
  | { state: 'idle' }
  | { state: 'testing' }
  | { state: 'ok'; result: HostTestResult }
  | { state: 'failed'; error: ErrorInfo };

export interface HostKeyPrompt {
  key: HostKeyInfo;
  /** What to retry once the key is trusted. */
  origin: 'status' | 'onboarding';
}

export interface AppSlice {
  info: AppInfo | null;
  bootError: ErrorInfo | null;
  panel: Panel;
  /** What a notification or the tray pointed at (a check, a run, a unit). */
  focus: NavigateTarget | null;
  onboarding: boolean;
  profiles: ProfilesList | null;
  hostKeyPrompt: HostKeyPrompt | null;
  /** Questions about other keys met while one dialog is open (both hosts at first run): asked next. */
  hostKeyQueue: HostKeyPrompt[];
  hostTests: Record<HostRole, HostTest>;
  notices: Notice[];

  boot(): Promise<void>;
  navigate(target: NavigateTarget): void;
  notify(kind: Notice['kind'], message: string, nextStep?: string | null): void;
  notifyError(error: ErrorInfo): void;
  dismissNotice(id: number): void;
  /** A new list; when its selection changed (here, in the tray, on the command line), the window follows. */
  setProfiles(list: ProfilesList): void;
  /** Shows another server: its status, catalog, secrets and runs, as its core kept them. */
  selectProfile(id: string): Promise<void>;
  deleteProfile(id: string): Promise<ErrorInfo | null>;
  testHost(host: HostRole): Promise<void>;
  promptHostKey(key: HostKeyInfo, origin: HostKeyPrompt['origin']): void;
  trustHostKey(permanent: boolean): Promise<void>;
  dismissHostKey(): void;
  /** After HostKeyChanged, on the user's explicit request: drop the app's old pin for that host. */
  forgetHostKey(host: HostRole): Promise<Result<ValueOf<'hostkey.forget'>>>;
  finishOnboarding(): Promise<void>;
}

let noticeId = 0;

function sameKey(a: HostKeyInfo, b: HostKeyInfo): boolean {
  return a.host === b.host && a.fingerprint === b.fingerprint;
}

export const createAppSlice: SliceCreator<AppSlice> =
  ({ api }) =>
  (set, get) => {
    /** The run panel each server had open, so switching back shows it again. */
    const openRunOf = new Map<string, string | null>();

    /** The dialog was answered: the next waiting question, if any, takes its place. */
    function nextHostKeyQuestion(): void {
      const [next = null, ...rest] = get().hostKeyQueue;
      set({ hostKeyPrompt: next, hostKeyQueue: rest });
    }

    /**
     * The window now shows another server. Its state lives in the main process, one core per server, all
     * polling: the status the switcher already holds is shown at once, then status, catalog, secrets and
     * runs are read from that server's core, and the run panel it had open comes back.
     */
    async function showServer(from: string | null, to: string | null): Promise<void> {
      if (from !== null) openRunOf.set(from, get().activeRunId);
      const streamId = get().logStreamId;
      if (streamId) get().logEnded(streamId, null);
      set({
        status: get().servers.find((s) => s.profileId === to) ?? null,
        statusError: null,
        activeRunId: null,
        recentRuns: [],
      });
      if (to === null) return;
      await Promise.all([
        get().loadStatus(),
        get().loadCatalog(),
        get().loadSecrets(),
        get().loadRecentRuns(),
      ]);
      const runId = openRunOf.get(to);
      if (runId && get().profiles?.selectedId === to) await get().openRun(runId);
    }

    return {
      info: null,
      bootError: null,
      panel: 'dashboard',
      focus: null,
      onboarding: false,
      profiles: null,
      hostKeyPrompt: null,
      hostKeyQueue: [],
      hostTests: { homeserver: { state: 'idle' }, deploy: { state: 'idle' } },
      notices: [],

      async boot() {
        // Every request at once: each one crosses IPC, and three rounds of them in a row were most of the
        // time to the first dashboard. Status, catalog and runs need a set-up profile: an answer that is ok
        // proves there is one, so it is shown at once (the dashboard does not wait for app.info); a refusal
        // waits for app.info, and on a first run it only says "no profile yet", so onboarding shows alone.
        const status = call(() => api.status.get());
        const info = call(() => api.app.info());
        const setUp = info.then((r) => r.ok && !r.value.firstRun);
        const whenSetUp = <T>(answer: Promise<Result<T>>, show: (r: Result<T>) => unknown) =>
          answer.then(async (r) => {
            if (r.ok || (await setUp)) await show(r);
          });
        await Promise.all([
          // A status.changed event of the same server that got here first is at least as new as this answer.
          whenSetUp(status, (r) =>
            get().status === null || (r.ok && get().status?.profileId !== r.value.profileId)
              ? get().loadStatus(r)
              : undefined,
          ),
          get().loadServers(),
          info.then((r) => {
            if (r.ok) set({ info: r.value, onboarding: r.value.firstRun, bootError: null });
            else set({ bootError: r.error });
          }),
          whenSetUp(
            call(() => api.actions.list()),
            (r) => get().loadCatalog(r),
          ),
          whenSetUp(
            call(() => api.runs.list()),
            (r) => get().loadRecentRuns(r),
          ),
          call(() => api.profiles.list()).then((r) => {
            if (r.ok) set({ profiles: r.value });
          }),
          get().loadSettings(),
        ]);
      },

      navigate(target) {
        set({ panel: target.panel, focus: target });
        if (target.runId) void get().openRun(target.runId);
      },

      notify(kind, message, nextStep = null) {
        noticeId += 1;
        set({ notices: [...get().notices, { id: noticeId, kind, message, nextStep }].slice(-4) });
      },

      notifyError(error) {
        get().notify('error', error.message, error.nextStep);
      },

      dismissNotice(id) {
        set({ notices: get().notices.filter((n) => n.id !== id) });
      },

      setProfiles(list) {
        const before = get().profiles;
        set({ profiles: list });
        const switched = before !== null && before.selectedId !== list.selectedId;
        if (switched || list.profiles.length !== get().servers.length) void get().loadServers();
        if (switched) void showServer(before.selectedId, list.selectedId);
      },

      async selectProfile(id) {
        if (get().profiles?.selectedId === id) return;
        // The log stream belongs to the server shown now: it ends before the window shows another.
        if (get().logStreamId) await get().stopLogs();
        const r = await call(() => api.profiles.select({ id }));
        if (!r.ok) return get().notifyError(r.error);
        get().setProfiles(r.value);
      },

      async deleteProfile(id) {
        const r = await call(() => api.profiles.delete({ id }));
        if (!r.ok) return r.error;
        set({ profiles: r.value });
        return null;
      },

      async testHost(host) {
        set({ hostTests: { ...get().hostTests, [host]: { state: 'testing' } } });
        const r = await call(() => api.onboarding.testHost({ host }));
        const result: HostTest = r.ok
          ? { state: 'ok', result: r.value }
          : { state: 'failed', error: r.error };
        set({ hostTests: { ...get().hostTests, [host]: result } });
        if (!r.ok && r.error.hostKey && r.error.code === 'HostKeyUnknown')
          get().promptHostKey(r.error.hostKey, 'onboarding');
      },

      promptHostKey(key, origin) {
        // One dialog at a time; a second prompt for the same key (poll + test) is the same question, and
        // another host's key waits its turn rather than being dropped.
        const asked = [get().hostKeyPrompt, ...get().hostKeyQueue];
        if (asked.some((p) => p && sameKey(p.key, key))) return;
        if (get().hostKeyPrompt) set({ hostKeyQueue: [...get().hostKeyQueue, { key, origin }] });
        else set({ hostKeyPrompt: { key, origin } });
      },

      async trustHostKey(permanent) {
        const prompt = get().hostKeyPrompt;
        if (!prompt) return;
        nextHostKeyQuestion();
        const { host, fingerprint } = prompt.key;
        const r = await call(() => api.hostkey.trust({ host, fingerprint, permanent }));
        if (!r.ok) return get().notifyError(r.error);
        // The first-run row waiting on this key tests again, whichever check (its Test, the poll) asked.
        const row = get().hostTests[host];
        const rowWaits = row.state === 'failed' && row.error.code === 'HostKeyUnknown';
        if (prompt.origin === 'onboarding' || rowWaits) await get().testHost(host);
        if (prompt.origin === 'status') await get().refreshStatus();
      },

      dismissHostKey() {
        nextHostKeyQuestion();
      },

      async forgetHostKey(host) {
        return call(() => api.hostkey.forget({ host }));
      },

      async finishOnboarding() {
        set({ onboarding: false, panel: 'dashboard' });
        await Promise.all([get().refreshStatus(), get().loadCatalog()]);
      },
    };
  };
