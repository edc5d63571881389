import type { StateCreator } from 'zustand';
import type { Api } from '../../../src-main/ipc/contract';
import type { ActionsSlice } from './actions-slice';
import type { AlertsSlice } from './alerts-slice';
import type { AppSlice } from './app-slice';
import type { HistorySlice } from './history-slice';
import type { LogsSlice } from './logs-slice';
import type { PeopleSlice } from './people-slice';
import type { RunsSlice } from './runs-slice';
import type { SettingsSlice } from './settings-slice';
import type { StatusSlice } from './status-slice';
import type { TokensSlice } from './tokens-slice';

export type AppState = AppSlice &
  StatusSlice &
  ActionsSlice &
  RunsSlice &
  LogsSlice &
  TokensSlice &
  PeopleSlice &
  SettingsSlice &
  HistorySlice &
  AlertsSlice;

export interface StoreDeps {
  api: Api;
  /** Defers a re-render to the next frame (log lines arrive faster than the screen refreshes). */
  schedule: (fn: () => void) => void;
}

export type SliceCreator<T> = (deps: StoreDeps) => StateCreator<AppState, [], [], T>;
