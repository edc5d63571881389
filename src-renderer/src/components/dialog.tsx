import { type ReactNode, useEffect, useId, useRef } from 'react';

const FOCUSABLE =
  'button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea, a[href], [tabindex="0"]';

/**
 * A modal dialog: focus moves in (to the element marked data-autofocus, else the first control), Tab stays
 * inside, Escape cancels, and focus returns where it was when it closes.
 */
export function Dialog({
  title,
  onCancel,
  children,
  wide = false,
  alert = false,
}: {
  title: string;
  onCancel: () => void;
  children: ReactNode;
  wide?: boolean;
  /** An alertdialog interrupts: for questions about danger (host keys, downtime). */
  alert?: boolean;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const titleId = useId();
  const cancel = useRef(onCancel);
  cancel.current = onCancel;

  useEffect(() => {
    const before = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    const box = ref.current;
    const first =
      box?.querySelector<HTMLElement>('[data-autofocus]') ?? box?.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
    return () => before?.focus();
  }, []);

  function onKeyDown(e: React.KeyboardEvent<HTMLDivElement>): void {
    if (e.key === 'Escape') {
      e.stopPropagation();
      cancel.current();
      return;
    }
    if (e.key !== 'Tab' || !ref.current) return;
    const items = [...ref.current.querySelectorAll<HTMLElement>(FOCUSABLE)];
    const first = items[0];
    const last = items.at(-1);
    if (!first || !last) return;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  }

  const box = {
    ref,
    'aria-modal': true,
    'aria-labelledby': titleId,
    className: wide ? 'modal modal-wide' : 'modal',
    onKeyDown,
  };
  const heading = (
    <h2 id={titleId} className="modal-title">
      {title}
    </h2>
  );
  return (
    <div className="modal-backdrop">
      {alert ? (
        <div role="alertdialog" {...box}>
          {heading}
          {children}
        </div>
      ) : (
        <div role="dialog" {...box}>
          {heading}
          {children}
        </div>
      )}
    </div>
  );
}
