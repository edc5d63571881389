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
  hostTests: Record<HostRole, HostTest>;
  notices: Notice[];

  boot(): Promise<void>;
  navigate(target: NavigateTarget): void;
  notify(kind: Notice['kind'], message: string, nextStep?: string | null): void;
  notifyError(error: ErrorInfo): void;
  dismissNotice(id: number): void;
  setProfiles(list: ProfilesList): void;
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

export const createAppSlice: SliceCreator<AppSlice> =
  ({ api }) =>
  (set, get) => ({
    info: null,
    bootError: null,
    panel: 'dashboard',
    focus: null,
    onboarding: false,
    profiles: null,
    hostKeyPrompt: null,
    hostTests: { homeserver: { state: 'idle' }, deploy: { state: 'idle' } },
    notices: [],

    async boot() {
      const [info, profiles] = await Promise.all([
        call(() => api.app.info()),
        call(() => api.profiles.list()),
      ]);
      if (!info.ok) {
        set({ bootError: info.error });
        return;
      }
      set({ info: info.value, onboarding: info.value.firstRun, bootError: null });
      if (profiles.ok) set({ profiles: profiles.value });
      await get().loadSettings();
      if (!info.value.firstRun)
        await Promise.all([get().loadStatus(), get().loadCatalog(), get().loadRecentRuns()]);
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
      set({ profiles: list });
    },

    async selectProfile(id) {
      const r = await call(() => api.profiles.select({ id }));
      if (!r.ok) return get().notifyError(r.error);
      set({ profiles: r.value });
      await Promise.all([get().loadStatus(), get().loadCatalog(), get().loadSecrets()]);
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
      const result: HostTest = r.ok ? { state: 'ok', result: r.value } : { state: 'failed', error: r.error };
      set({ hostTests: { ...get().hostTests, [host]: result } });
      if (!r.ok && r.error.hostKey && r.error.code === 'HostKeyUnknown')
        get().promptHostKey(r.error.hostKey, 'onboarding');
    },

    promptHostKey(key, origin) {
      // One dialog at a time; a second prompt for the same key (poll + test) is the same question.
      if (get().hostKeyPrompt) return;
      set({ hostKeyPrompt: { key, origin } });
    },

    async trustHostKey(permanent) {
      const prompt = get().hostKeyPrompt;
      if (!prompt) return;
      set({ hostKeyPrompt: null });
      const r = await call(() =>
        api.hostkey.trust({ host: prompt.key.host, fingerprint: prompt.key.fingerprint, permanent }),
      );
      if (!r.ok) return get().notifyError(r.error);
      if (prompt.origin === 'onboarding') await get().testHost(prompt.key.host);
      else await get().refreshStatus();
    },

    dismissHostKey() {
      set({ hostKeyPrompt: null });
    },

    async forgetHostKey(host) {
      return call(() => api.hostkey.forget({ host }));
    },

    async finishOnboarding() {
      set({ onboarding: false, panel: 'dashboard' });
      await Promise.all([get().refreshStatus(), get().loadCatalog()]);
    },
  });
