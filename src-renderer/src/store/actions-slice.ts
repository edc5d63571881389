import type {
  ActionInfo,
  ErrorInfo,
  ParamValues,
  Plan,
  Result,
  ValueOf,
} from '../../../src-main/ipc/contract';
import { call } from './call';
import type { SliceCreator } from './types';

/** The confirm step: the plan of exactly this request names the effect, the danger and the downtime. */
export interface PendingConfirm {
  action: ActionInfo;
  plan: Plan;
}

export interface DryRunView {
  actionId: string;
  params: ParamValues;
  plan: Plan | null;
  error: ErrorInfo | null;
}

export interface ActionsSlice {
  catalog: ActionInfo[] | null;
  catalogError: ErrorInfo | null;
  pendingConfirm: PendingConfirm | null;
  dryRunView: DryRunView | null;
  /** The last refusal of a request, shown by the form of that action (at the field when it names one). */
  runError: { actionId: string; error: ErrorInfo } | null;
  /** An action between its request and its run (or its confirm dialog). */
  requesting: string | null;

  /** `answer`: an actions.list sent earlier (boot sends all its requests at once); else one is sent now. */
  loadCatalog(
    answer?: Result<ValueOf<'actions.list'>> | Promise<Result<ValueOf<'actions.list'>>>,
  ): Promise<void>;
  actionById(id: string): ActionInfo | undefined;
  /**
   * Read-only actions start at once. Every other request is planned first: a safe plan starts, anything
   * else waits for the confirm dialog, which shows the plan's own sentence for these parameters.
   */
  requestRun(actionId: string, params: ParamValues): Promise<void>;
  confirmRun(): Promise<void>;
  cancelConfirm(): void;
  showDryRun(actionId: string, params: ParamValues): Promise<void>;
  closeDryRun(): void;
}

export const createActionsSlice: SliceCreator<ActionsSlice> =
  ({ api }) =>
  (set, get) => {
    function refused(actionId: string, error: ErrorInfo): void {
      set({ runError: { actionId, error } });
      if (!error.field) get().notifyError(error);
    }

    async function planFor(action: ActionInfo, params: ParamValues): Promise<void> {
      const r = await call(() => api.actions.plan({ actionId: action.id, params }));
      if (!r.ok) return refused(action.id, r.error);
      if (r.value.danger === 'safe') return start(action, r.value.params, null);
      set({ pendingConfirm: { action, plan: r.value } });
    }

    /** `confirmation`: the one the main process issued with the plan the user accepted; null for a safe plan. */
    async function start(
      action: ActionInfo,
      params: ParamValues,
      confirmation: string | null,
    ): Promise<void> {
      const r = await call(() => api.actions.run({ actionId: action.id, params, confirmation }));
      if (!r.ok) {
        // The plan changed since it was shown (a secret changed in between, or it waited too long): ask again.
        if (r.error.code === 'ConfirmationRequired') return planAndConfirm(action, params);
        return refused(action.id, r.error);
      }
      await get().openRun(r.value.runId);
    }

    async function planAndConfirm(action: ActionInfo, params: ParamValues): Promise<void> {
      const r = await call(() => api.actions.plan({ actionId: action.id, params }));
      if (r.ok) set({ pendingConfirm: { action, plan: r.value } });
      else refused(action.id, r.error);
    }

    return {
      catalog: null,
      catalogError: null,
      pendingConfirm: null,
      dryRunView: null,
      runError: null,
      requesting: null,

      async loadCatalog(answer) {
        const r = await (answer ?? call(() => api.actions.list()));
        if (r.ok) set({ catalog: r.value.actions, catalogError: null });
        else set({ catalogError: r.error });
      },

      actionById(id) {
        return get().catalog?.find((a) => a.id === id);
      },

      async requestRun(actionId, params) {
        const action = get().actionById(actionId);
        if (!action) {
          get().notify(
            'error',
            `The action "${actionId}" is not in this server’s catalog.`,
            'Reload the window.',
          );
          return;
        }
        set({ runError: null, requesting: actionId });
        try {
          if (action.readOnly) await start(action, params, null);
          else await planFor(action, params);
        } finally {
          set({ requesting: null });
        }
      },

      async confirmRun() {
        const pending = get().pendingConfirm;
        if (!pending) return;
        set({ pendingConfirm: null });
        await start(pending.action, pending.plan.params, pending.plan.confirmation);
      },

      cancelConfirm() {
        set({ pendingConfirm: null });
      },

      async showDryRun(actionId, params) {
        set({ dryRunView: { actionId, params, plan: null, error: null } });
        const r = await call(() => api.actions.plan({ actionId, params }));
        if (get().dryRunView?.actionId !== actionId) return;
        set({
          dryRunView: r.ok
            ? { actionId, params, plan: r.value, error: null }
            : { actionId, params, plan: null, error: r.error },
        });
      },

      closeDryRun() {
        set({ dryRunView: null });
      },
    };
  };
