import type {
  ErrorInfo,
  FieldIssue,
  HostRole,
  ProfileDraft,
  Result,
  SecretKind,
  SecretSlot,
  Settings,
} from '../../../src-main/ipc/contract';
import { call } from './call';
import type { SliceCreator } from './types';

export type SaveProfileResult = { ok: true; id: string } | { ok: false; error: ErrorInfo };
/** A draft for the editor; null when the user cancelled the file dialog. */
export type DraftResult = Result<{ draft: ProfileDraft | null; issues: FieldIssue[] }>;

export interface SettingsSlice {
  settings: Settings | null;
  secrets: SecretSlot[] | null;
  secretsError: ErrorInfo | null;
  /** What moving an earlier version's secrets did for this profile (left or moved), to say in Secrets. */
  secretsMigration: string | null;

  loadSettings(): Promise<void>;
  saveSettings(patch: Partial<Settings>): Promise<ErrorInfo | null>;
  settingsChanged(settings: Settings): void;
  loadSecrets(): Promise<void>;
  setSecret(kind: SecretKind, host: HostRole | null, value: string): Promise<ErrorInfo | null>;
  deleteSecret(kind: SecretKind, host: HostRole | null): Promise<ErrorInfo | null>;
  matrixLogin(userId: string, password: string): Promise<ErrorInfo | null>;
  matrixLogout(): Promise<ErrorInfo | null>;
  validateProfile(draft: ProfileDraft): Promise<FieldIssue[] | null>;
  saveProfile(id: string | null, draft: ProfileDraft): Promise<SaveProfileResult>;
  openProfileDraft(id: string): Promise<DraftResult>;
  exampleProfileDraft(): Promise<DraftResult>;
  importProfileYaml(yaml: string): Promise<DraftResult>;
  importProfileFile(): Promise<DraftResult>;
}

function asDraft(r: Result<{ draft: ProfileDraft | null; issues?: FieldIssue[] }>): DraftResult {
  return r.ok ? { ok: true, value: { draft: r.value.draft, issues: r.value.issues ?? [] } } : r;
}

export const createSettingsSlice: SliceCreator<SettingsSlice> =
  ({ api }) =>
  (set, get) => ({
    settings: null,
    secrets: null,
    secretsError: null,
    secretsMigration: null,

    async loadSettings() {
      const r = await call(() => api.settings.get());
      if (r.ok) set({ settings: r.value });
      else get().notifyError(r.error);
    },

    async saveSettings(patch) {
      const r = await call(() => api.settings.set({ patch }));
      if (!r.ok) return r.error;
      set({ settings: r.value });
      return null;
    },

    settingsChanged(settings) {
      set({ settings });
    },

    async loadSecrets() {
      const r = await call(() => api.secrets.list());
      if (r.ok) set({ secrets: r.value.secrets, secretsMigration: r.value.migration, secretsError: null });
      else set({ secretsError: r.error });
    },

    async setSecret(kind, host, value) {
      const r = await call(() => api.secrets.set({ kind, host, value }));
      if (!r.ok) return r.error;
      await get().loadSecrets();
      return null;
    },

    async deleteSecret(kind, host) {
      const r = await call(() => api.secrets.delete({ kind, host }));
      if (!r.ok) return r.error;
      await get().loadSecrets();
      return null;
    },

    async matrixLogin(userId, password) {
      const r = await call(() => api.matrix.login({ userId, password }));
      if (!r.ok) return r.error;
      await get().loadSecrets();
      return null;
    },

    async matrixLogout() {
      const r = await call(() => api.matrix.logout());
      if (!r.ok) return r.error;
      await get().loadSecrets();
      return null;
    },

    async validateProfile(draft) {
      const r = await call(() => api.profiles.validate({ draft }));
      return r.ok ? r.value.issues : null;
    },

    async saveProfile(id, draft) {
      const r = await call(() => api.profiles.save({ id, draft }));
      if (!r.ok) return r;
      const list = await call(() => api.profiles.list());
      if (list.ok) get().setProfiles(list.value);
      return { ok: true, id: r.value.id };
    },

    async openProfileDraft(id) {
      return asDraft(await call(() => api.profiles.get({ id })));
    },

    async exampleProfileDraft() {
      return asDraft(await call(() => api.profiles.example()));
    },

    async importProfileYaml(yaml) {
      return asDraft(await call(() => api.profiles.importYaml({ yaml })));
    },

    async importProfileFile() {
      return asDraft(await call(() => api.profiles.importFile()));
    },
  });
