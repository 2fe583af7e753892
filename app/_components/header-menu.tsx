'use client';
import { useEffect, useId, useRef, useState, type ReactNode } from 'react';
import { usePathname } from 'next/navigation';

/**
 * The header's navigation, theme and account links. On wide screens they sit in the top bar; on
 * narrow ones (CSS, at most 700 px) they fold behind a "Menu" button (`aria-expanded`), which opens
 * them below the bar. Escape closes the menu and returns focus to the button; following a link closes it.
 */
export function HeaderMenu({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState(false);
  const id = useId();
  const buttonRef = useRef<HTMLButtonElement>(null);
  const pathname = usePathname();
  useEffect(() => setOpen(false), [pathname]);
  return (
    <>
      <button
        ref={buttonRef}
        type="button"
        className="menu-button"
        data-testid="menu-button"
        aria-expanded={open}
        aria-controls={id}
        onClick={() => setOpen((o) => !o)}
      >
        <span aria-hidden="true">{open ? '✕' : '☰'}</span> Menu
      </button>
      <div
        id={id}
        className="header-menu"
        data-open={open}
        data-testid="header-menu"
        onKeyDown={(event) => {
          if (event.key === 'Escape' && open) {
            setOpen(false);
            buttonRef.current?.focus();
          }
        }}
        onClick={(event) => {
          if ((event.target as HTMLElement).closest('a')) setOpen(false);
        }}
      >
        {children}
      </div>
    </>
  );
}
