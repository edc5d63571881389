import { render } from '@testing-library/react';
import type { ReactNode } from 'react';
import {
  ApiContext,
  type AppStore,
  connectEvents,
  createAppStore,
  StoreContext,
} from '../../src-renderer/src/store/store';
import { type FakeApi, fakeApi, type Handlers } from './fake-api';
import * as fx from './fixtures';

/** The handlers a normal, already set-up window needs; tests override what they exercise. */
export function baseHandlers(): Handlers {
  return {
    'app.info': () => fx.appInfo,
    'profiles.list': () => fx.profiles,
    'settings.get': () => fx.settings,
    'status.get': () => fx.greenStatus,
    'status.all': () => ({ servers: [fx.greenStatus] }),
    'status.refresh': () => fx.greenStatus,
    'actions.list': () => ({ actions: fx.catalog }),
    'runs.list': () => ({ runs: [] }),
    'secrets.list': () => ({ secrets: fx.secrets, migration: null }),
  };
}

export interface Harness {
  fake: FakeApi;
  store: AppStore;
  disconnect: () => void;
}

/** A store wired to a fake api, with log re-renders run at once instead of on the next frame. */
export function harness(overrides: Handlers = {}): Harness {
  const fake = fakeApi({ ...baseHandlers(), ...overrides });
  const store = createAppStore(fake.api, (fn) => fn());
  const disconnect = connectEvents(store, fake.api);
  return { fake, store, disconnect };
}

export function renderWith(h: Harness, ui: ReactNode) {
  return render(
    <ApiContext.Provider value={h.fake.api}>
      <StoreContext.Provider value={h.store}>{ui}</StoreContext.Provider>
    </ApiContext.Provider>,
  );
}
