import type { ErrorInfo, InviteInfo, PayloadOf } from '../../../src-main/ipc/contract';
import { call } from './call';
import type { SliceCreator } from './types';

/**
 * Never holds a token: copies happen in the main process, and the one reveal lives in the reveal
 * component's own state for its 10 s.
 */
export interface TokensSlice {
  clipboard: { what: PayloadOf<'clipboard.cleared'>['what']; clearsAt: string | null } | null;
  invites: InviteInfo[] | null;
  invitesError: ErrorInfo | null;
  /** The invite made last, with its own copy buttons. */
  lastInvite: InviteInfo | null;
  rotationRunId: string | null;

  copyToken(): Promise<void>;
  clipboardCleared(event: PayloadOf<'clipboard.cleared'>): void;
  loadInvites(): Promise<void>;
  /** `inviteTo`: a room or space whoever registers with it is invited into once they joined. */
  createInvite(uses: number, expiresInDays: number | null, inviteTo?: string | null): Promise<boolean>;
  copyInviteToken(id: string): Promise<void>;
  copyInstructions(): Promise<void>;
  revokeInvite(id: string): Promise<void>;
  rotateToken(apply: boolean): Promise<void>;
  rollbackToken(runId: string): Promise<void>;
}

export const createTokensSlice: SliceCreator<TokensSlice> =
  ({ api }) =>
  (set, get) => ({
    clipboard: null,
    invites: null,
    invitesError: null,
    lastInvite: null,
    rotationRunId: null,

    async copyToken() {
      const r = await call(() => api.token.copy());
      if (!r.ok) return get().notifyError(r.error);
      set({ clipboard: { what: 'registration-token', clearsAt: r.value.clearsAt } });
      // A rotated token the server does not accept yet is said, not handed out silently.
      if (r.value.notLive) get().notify('error', r.value.notLive);
    },

    clipboardCleared(event) {
      if (get().clipboard?.what === event.what) set({ clipboard: null });
      if (event.cleared) get().notify('info', 'The clipboard was cleared.');
    },

    async loadInvites() {
      const r = await call(() => api.invite.list());
      if (r.ok) set({ invites: r.value.invites, invitesError: null });
      else set({ invitesError: r.error });
    },

    async createInvite(uses, expiresInDays, inviteTo = null) {
      const r = await call(() =>
        api.invite.create({ uses, expiresInDays, ...(inviteTo ? { inviteTo } : {}) }),
      );
      if (!r.ok) {
        get().notifyError(r.error);
        return false;
      }
      set({
        lastInvite: r.value.invite,
        clipboard: { what: 'invite-token', clearsAt: r.value.clearsAt },
        invites: [r.value.invite, ...(get().invites ?? []).filter((i) => i.id !== r.value.invite.id)],
      });
      return true;
    },

    async copyInviteToken(id) {
      const r = await call(() => api.invite.copyToken({ id }));
      if (r.ok) set({ clipboard: { what: 'invite-token', clearsAt: r.value.clearsAt } });
      else get().notifyError(r.error);
    },

    async copyInstructions() {
      const r = await call(() => api.invite.copyInstructions());
      if (r.ok)
        get().notify('info', 'The joining instructions were copied. Send the token through another channel.');
      else get().notifyError(r.error);
    },

    async revokeInvite(id) {
      const r = await call(() => api.invite.revoke({ id }));
      if (!r.ok) return get().notifyError(r.error);
      set({
        invites: (get().invites ?? []).filter((i) => i.id !== id),
        lastInvite: get().lastInvite?.id === id ? null : get().lastInvite,
      });
    },

    async rotateToken(apply) {
      // The plan of what the dialog just confirmed carries the confirmation the main process requires.
      const plan = await call(() => api.actions.plan({ actionId: 'token.rotate', params: { apply } }));
      if (!plan.ok) return get().notifyError(plan.error);
      const r = await call(() => api.token.rotate({ apply, confirmation: plan.value.confirmation }));
      if (!r.ok) return get().notifyError(r.error);
      set({ rotationRunId: r.value.runId });
      await get().openRun(r.value.runId);
    },

    async rollbackToken(runId) {
      const r = await call(() => api.token.rollback({ runId }));
      if (!r.ok) return get().notifyError(r.error);
      set({ rotationRunId: r.value.runId });
      await get().openRun(r.value.runId);
    },
  });
