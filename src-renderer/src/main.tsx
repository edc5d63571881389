import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
import type { Api } from '../../src-main/ipc/contract';
import { App } from './app';
import { ApiContext, connectEvents, createAppStore, StoreContext } from './store/store';
import './styles.css';

declare global {
  interface Window {
    /** Exposed by the preload (or, in end-to-end tests, by the harness), built from ipc/contract.ts. */
    api?: Api;
  }
}

const root = document.getElementById('root');
const api = window.api;
if (root && api) {
  const store = createAppStore(api);
  connectEvents(store, api);
  void store.getState().boot();
  createRoot(root).render(
    <StrictMode>
      <ApiContext.Provider value={api}>
        <StoreContext.Provider value={store}>
          <App />
        </StoreContext.Provider>
      </ApiContext.Provider>
    </StrictMode>,
  );
} else if (root) {
  root.textContent =
    'Homeserver Tray could not reach its main process (window.api is missing). Restart the app.';
}
