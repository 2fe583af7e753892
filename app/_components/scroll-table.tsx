import type { ComponentPropsWithoutRef } from 'react';

/**
 * A table in its own sideways-scrolling region: on a narrow screen (390 px) a wide table scrolls
 * inside the region instead of widening the page. The region is named and focusable, so a keyboard
 * user can reach it with Tab and scroll it with the arrow keys (axe `scrollable-region-focusable`),
 * and a screen reader announces what it holds. `wide` keeps the table at least 44rem wide (columns
 * that would be unreadable squeezed: trades, decisions, runs), scrolling below that width.
 * Every table of the app goes through this component; the other props go to the `<table>`.
 */
export function ScrollTable({ label, wide = false, children, ...table }: { label: string; wide?: boolean } & ComponentPropsWithoutRef<'table'>) {
  return (
    <div className={wide ? 'table-wrap table-wide' : 'table-wrap'} role="region" aria-label={label} tabIndex={0}>
      <table {...table}>{children}</table>
    </div>
  );
}
