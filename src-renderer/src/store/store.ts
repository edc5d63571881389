import { createContext, useContext } from 'react';
import { createStore, type StoreApi, useStore } from 'zustand';
import type { Api } from '../../../src-main/ipc/contract';
import { createActionsSlice } from './actions-slice';
import { createAlertsSlice } from './alerts-slice';
import { createAppSlice } from './app-slice';
import { createHistorySlice } from './history-slice';
import { createLogsSlice } from './logs-slice';
import { createPeopleSlice } from './people-slice';
import { createRunsSlice } from './runs-slice';
import { createSettingsSlice } from './settings-slice';
import { createStatusSlice } from './status-slice';
import { createTokensSlice } from './tokens-slice';
import type { AppState, StoreDeps } from './types';

export type AppStore = StoreApi<AppState>;

function nextFrame(fn: () => void): void {
  if (typeof requestAnimationFrame === 'function') requestAnimationFrame(() => fn());
  else setTimeout(fn, 16);
}

/** The one store of the window, made of slices; `api` is the only way out. */
export function createAppStore(api: Api, schedule: StoreDeps['schedule'] = nextFrame): AppStore {
  const deps: StoreDeps = { api, schedule };
  return createStore<AppState>()((...a) => ({
    ...createAppSlice(deps)(...a),
    ...createStatusSlice(deps)(...a),
    ...createActionsSlice(deps)(...a),
    ...createRunsSlice(deps)(...a),
    ...createLogsSlice(deps)(...a),
    ...createTokensSlice(deps)(...a),
    ...createPeopleSlice(deps)(...a),
    ...createSettingsSlice(deps)(...a),
    ...createHistorySlice(deps)(...a),
    ...createAlertsSlice(deps)(...a),
  }));
}

/** Routes every event channel into the store; returns one function that unsubscribes them all. */
export function connectEvents(store: AppStore, api: Api): () => void {
  const s = store.getState;
  const offs = [
    api.onStatusChanged((p) => s().setStatus(p)),
    api.onRunUpdated((p) => s().runUpdated(p)),
    api.onRunOutput((p) => s().runOutput(p.runId, p.chunks)),
    api.onRunFinished((p) => s().runFinished(p)),
    api.onLogsLines((p) => s().logLines(p.streamId, p.lines)),
    api.onLogsEnded((p) => s().logEnded(p.streamId, p.error)),
    api.onHostkeyPrompt((p) => s().promptHostKey(p, 'status')),
    api.onClipboardCleared((p) => s().clipboardCleared(p)),
    api.onInviteEnded((p) => s().inviteEnded(p)),
    api.onSettingsChanged((p) => s().settingsChanged(p)),
    api.onProfilesChanged((p) => s().setProfiles(p)),
    api.onAppNavigate((p) => s().navigate(p)),
  ];
  return () => {
    for (const off of offs) off();
  };
}

export const StoreContext = createContext<AppStore | null>(null);
export const ApiContext = createContext<Api | null>(null);

function useAppStore(): AppStore {
  const store = useContext(StoreContext);
  if (!store) throw new Error('StoreContext is missing');
  return store;
}

/** Read one field (or a stable derived value) of the store; components re-render only when it changes. */
export function useApp<T>(selector: (state: AppState) => T): T {
  return useStore(useAppStore(), selector);
}

/** For the few places that must talk to the main process outside the store (the 10 s token reveal). */
export function useApi(): Api {
  const api = useContext(ApiContext);
  if (!api) throw new Error('ApiContext is missing');
  return api;
}
