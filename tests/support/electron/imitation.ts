/**
 * The types that keep the stand-in honest: every member it has is a member of the real Electron type of the
 * same name (electron.d.ts of the installed electron package), with Electron's own parameter types. A
 * member renamed, removed or retyped in a new Electron release fails `tsc` here, not in a user's hands.
 */

/**
 * Some of T's members, each with T's parameters. Results that are Electron objects may be stand-ins of
 * them: they only need to share a member with the real type (their own class is checked with Imitation).
 */
export type Imitation<T> = {
  [K in keyof T]?: T[K] extends (...args: infer A) => infer R ? (...args: A) => Standing<R> : Standing<T[K]>;
};

type Standing<R> =
  R extends Promise<infer P>
    ? Promise<Standing<P>>
    : R extends readonly (infer E)[]
      ? readonly Standing<E>[]
      : R extends (...args: never[]) => unknown
        ? R
        : // biome-ignore lint/complexity/noBannedTypes: electron.d.ts types some members (MenuItem.click) as Function.
          R extends Function
          ? R
          : R extends object
            ? { [K in keyof R]?: unknown }
            : R;

/** Where a stand-in keeps what tests may inspect: one symbol, so it never collides with Electron's names. */
export const INSIDE: unique symbol = Symbol('electron stand-in state');

/** The names S has that the real T does not (its INSIDE state aside); `never` when S only imitates. */
export type NotInElectron<S, T> = Exclude<keyof S, keyof T | typeof INSIDE>;

/**
 * `true` when S has no member Electron's T lacks. Used as `const x: OnlyElectron<S, T> = true`: an extra
 * member turns the type into its name and the assignment fails to compile.
 */
export type OnlyElectron<S, T> = [NotInElectron<S, T>] extends [never] ? true : NotInElectron<S, T>;
