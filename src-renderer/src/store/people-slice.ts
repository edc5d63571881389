import type {
  ErrorInfo,
  PayloadOf,
  Result,
  UserDetailsView,
  UserPageView,
  UserSummaryView,
} from '../../../src-main/ipc/contract';
import { call } from './call';
import type { SliceCreator } from './types';

/** Users asked for at a time: a family server is one answer, a server with 1,000 people two. */
export const PEOPLE_PAGE = 1000;
/**
 * Device counts cost one request per user on the server's side: they come after the list, for the first
 * users of it (every user's devices are in their details).
 */
export const COUNTED_DEVICES = 50;

/**
 * The People panel's state: the local users (all pages, shown as they come), the selected user's details,
 * and what the server says it can do. Never a password: a new one goes to the clipboard in the main process.
 */
export interface PeopleSlice {
  people: {
    users: UserSummaryView[];
    total: number;
    route: UserPageView['route'] | null;
    note: string | null;
    search: string;
    loading: boolean;
    error: ErrorInfo | null;
  };
  selectedUser: string | null;
  userDetails: UserDetailsView | null;
  userError: ErrorInfo | null;
  autoJoin: { rooms: string[] | null; problem: string | null } | null;
  /** The last "joined" the main process reported, shown on the panel until the list is looked at again. */
  joinedNews: PayloadOf<'invite.ended'>[];

  loadPeople(search?: string): Promise<void>;
  selectUser(userId: string | null): Promise<void>;
  signOutDevice(userId: string, deviceId: string | null): Promise<boolean>;
  deactivateUser(userId: string, leaveRooms: boolean, erase: boolean): Promise<boolean>;
  setUserAdmin(userId: string, admin: boolean): Promise<boolean>;
  resetPassword(userId: string, signOut: boolean, password: string | null): Promise<boolean>;
  sendNotice(text: string): Promise<boolean>;
  revokeUnusedInvites(): Promise<void>;
  loadAutoJoin(): Promise<void>;
  inviteEnded(event: PayloadOf<'invite.ended'>): void;
}

let loadSeq = 0;

export const createPeopleSlice: SliceCreator<PeopleSlice> =
  ({ api }) =>
  (set, get) => ({
    people: { users: [], total: 0, route: null, note: null, search: '', loading: false, error: null },
    selectedUser: null,
    userDetails: null,
    userError: null,
    autoJoin: null,
    joinedNews: [],

    async loadPeople(search = get().people.search) {
      const seq = ++loadSeq;
      set({ people: { ...get().people, search, loading: true, error: null } });
      const users: UserSummaryView[] = [];
      for (let from: number | null = 0; from !== null; ) {
        const start: number = from;
        const r: Result<UserPageView> = await call(() =>
          api.people.list({ from: start, limit: PEOPLE_PAGE, search, devices: false }),
        );
        // A newer search started meanwhile: its answer is the one to show.
        if (seq !== loadSeq) return;
        if (!r.ok) {
          set({ people: { ...get().people, loading: false, error: r.error } });
          return;
        }
        users.push(...r.value.users);
        set({
          people: {
            users: [...users],
            total: r.value.total,
            route: r.value.route,
            note: r.value.note,
            search,
            loading: r.value.nextFrom !== null,
            error: null,
          },
        });
        from = r.value.nextFrom;
      }
      // The admin room has no device counts to give (and would be asked everything again).
      if (get().people.route !== 'admin-api') return;
      const counted = await call(() =>
        api.people.list({ from: 0, limit: COUNTED_DEVICES, search, devices: true }),
      );
      if (seq !== loadSeq || !counted.ok) return;
      const byId = new Map(counted.value.users.map((u) => [u.userId, u.deviceCount]));
      set({
        people: {
          ...get().people,
          users: get().people.users.map((u) =>
            byId.has(u.userId) ? { ...u, deviceCount: byId.get(u.userId) ?? null } : u,
          ),
        },
      });
    },

    async selectUser(userId) {
      set({ selectedUser: userId, userDetails: null, userError: null });
      if (userId === null) return;
      const r = await call(() => api.people.show({ user: userId }));
      if (get().selectedUser !== userId) return;
      if (r.ok) set({ userDetails: r.value });
      else set({ userError: r.error });
    },

    async signOutDevice(userId, deviceId) {
      const r = await call(() => api.people.signOut({ user: userId, deviceId }));
      if (!r.ok) {
        get().notifyError(r.error);
        return false;
      }
      const n = r.value.removed.length;
      get().notify('info', `Signed ${userId} out of ${n} device${n === 1 ? '' : 's'}.`);
      await get().selectUser(userId);
      return true;
    },

    async deactivateUser(userId, leaveRooms, erase) {
      const r = await call(() => api.people.deactivate({ user: userId, leaveRooms, erase }));
      if (!r.ok) {
        get().notifyError(r.error);
        return false;
      }
      get().notify('info', `${userId} was deactivated.`);
      await Promise.all([get().selectUser(userId), get().loadPeople()]);
      return true;
    },

    async setUserAdmin(userId, admin) {
      const r = await call(() => api.people.setAdmin({ user: userId, admin }));
      if (!r.ok) {
        get().notifyError(r.error);
        return false;
      }
      get().notify('info', admin ? `${userId} is a server admin.` : `${userId} is no longer a server admin.`);
      await get().selectUser(userId);
      return true;
    },

    async resetPassword(userId, signOut, password) {
      const r = await call(() => api.people.resetPassword({ user: userId, signOut, password }));
      if (!r.ok) {
        get().notifyError(r.error);
        return false;
      }
      set({ clipboard: { what: 'password', clearsAt: r.value.clearsAt } });
      get().notify(
        'info',
        `The new password of ${userId} is on the clipboard${signOut ? '; their devices were signed out' : ''}.`,
        'Give it to them in person or by phone; they can change it in their client.',
      );
      return true;
    },

    async sendNotice(text) {
      const r = await call(() => api.people.sendNotice({ text }));
      if (!r.ok) {
        get().notifyError(r.error);
        return false;
      }
      const failed = r.value.failed.length;
      get().notify(
        failed > 0 ? 'error' : 'info',
        `The notice went to ${r.value.sent} user${r.value.sent === 1 ? '' : 's'}${failed > 0 ? `; ${failed} failed` : ''}.`,
      );
      return failed === 0;
    },

    async revokeUnusedInvites() {
      const r = await call(() => api.invite.revokeUnused());
      if (!r.ok) return get().notifyError(r.error);
      get().notify('info', `Revoked ${r.value.revoked} unused invite${r.value.revoked === 1 ? '' : 's'}.`);
      await get().loadInvites();
    },

    async loadAutoJoin() {
      const r = await call(() => api.invite.autoJoinRooms());
      set({ autoJoin: r.ok ? r.value : { rooms: null, problem: r.error.message } });
    },

    inviteEnded(event) {
      set({ joinedNews: [event, ...get().joinedNews].slice(0, 5) });
      void get().loadInvites();
      if (event.state === 'used' && get().panel === 'people') void get().loadPeople();
    },
  });
